import Foundation
import OcoreTestSupport
import Testing

/// Secrets are references: never stored, printed or sent where they do not belong.
@Suite("Secrets by reference (real PostgreSQL)")
struct SecretsTests {
    @Test("SMTP: a password in the URL is refused with the hint, --password-env is stored as a name only, line breaks in addresses are refused")
    func smtp() throws {
        let f = try HostileDumpFixture()
        expectCleanFailure(try f.ocore.run(["notify", "set", "acme", "--smtp", "smtp://mailer:S3cret@127.0.0.1:2525", "--to", "ops@acme.example"]),
                           mentions: "holds a password: give the user in the URL (smtp://USER@127.0.0.1) and the password in a variable with --password-env VAR")
        expectCleanFailure(try f.ocore.run(["notify", "set", "acme", "--smtp", "smtp://127.0.0.1:2525", "--to", "ops@acme.example\r\nBcc: spy@evil.example"]),
                           mentions: "must be one e-mail address")
        expectCleanFailure(try f.ocore.run(["notify", "set", "acme", "--smtp", "smtp://127.0.0.1:2525", "--to", "ops@acme.example", "--from", "a@b\nX: y"]),
                           mentions: "--from")
        expectCleanFailure(try f.ocore.run(["notify", "set", "acme", "--smtp", "smtp://", "--to", "ops@acme.example"]), mentions: "has no host")
        _ = try f.ocore.ok(["notify", "set", "acme", "--smtp", "smtp://mailer@127.0.0.1:2525", "--password-env", "OCORE_TEST_SMTP_PW", "--to", "ops@acme.example"])
        let shown = try f.ocore.ok(["notify", "show", "acme"], environment: ["OCORE_TEST_SMTP_PW": "S3cret"])
        #expect(shown.contains("password from $OCORE_TEST_SMTP_PW") && !shown.contains("S3cret"), "\(shown)")
        let stored = try String(contentsOfFile: f.ocore.home + "/ocore.db", encoding: .isoLatin1)
        #expect(!stored.contains("S3cret"))
        // Sending without the variable says which one is missing.
        let test = try f.ocore.run(["notify", "test", "acme"])
        #expect(!test.succeeded && test.stderrText.contains("the SMTP password variable OCORE_TEST_SMTP_PW is not set"), "\(test.stderrText)")
    }

    @Test("a database password variable missing in the shell is an error naming it; a running worker without it, or with another value, is refused the job by name")
    func passwordVariables() throws {
        let f = try HostileDumpFixture()
        _ = try f.ocore.ok(["env", "add", "guarded", "--project", "acme", "--type", "development", "--server", "local", "--db", f.source + "_g",
                            "--pg-password-env", "OCORE_TEST_PG_PW"])
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        expectCleanFailure(try f.ocore.run(["backup", "create", "guarded"]),
                           mentions: "environment guarded reads its database password from $OCORE_TEST_PG_PW, which is not set in this shell")
        #expect(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).isEmpty)

        // A worker started from a shell without the variable (by a job on another environment)
        // would run the job without it: the job is refused before it is queued, naming both.
        let first = try f.ocore.diagnose(["--env", "production", "--steps", "1", "--seconds", "4"], scratch: f.ocore.home + "/a")
        _ = try f.ocore.waitForJob(first, "the worker") { $0["status"] as? String == "running" }
        let pid = try #require(try f.ocore.workerPID())
        expectCleanFailure(try f.ocore.run(["backup", "create", "guarded"], environment: ["OCORE_TEST_PG_PW": "pw"]),
                           mentions: "the running worker (pid \(pid)) does not have $OCORE_TEST_PG_PW, which environment guarded needs")
        _ = try f.ocore.waitForJob(first, "the diagnostic") { $0["status"] as? String == "completed" }
        let idle = ContinuousClock.now + .seconds(30)
        while try f.ocore.workerPID() != nil, ContinuousClock.now < idle { usleep(100_000) }  // it exits once idle
        // A worker started with an older value would use the old credentials: refused too.
        let old = try f.ocore.run(["jobs", "diagnose", "--env", "guarded", "--steps", "1", "--seconds", "4", "--scratch", f.ocore.home + "/b"],
                                  environment: ["OCORE_TEST_PG_PW": "old"])
        #expect(old.succeeded, "\(old.stderrText)")
        _ = try f.ocore.waitForJob(Int(old.stdoutText.split(separator: " ")[1])!, "the worker") { $0["status"] as? String == "running" }
        let oldPID = try #require(try f.ocore.workerPID())
        expectCleanFailure(try f.ocore.run(["backup", "create", "guarded"], environment: ["OCORE_TEST_PG_PW": "new"]),
                           mentions: "the running worker (pid \(oldPID)) has another value of $OCORE_TEST_PG_PW")
        #expect(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).allSatisfy { $0["kind"] as? String == "diagnostic" })
    }
}
