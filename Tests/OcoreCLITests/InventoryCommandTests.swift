import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("Inventory commands: servers, environments, storage")
struct InventoryCommandTests {
    @Test("env show --json gives resolved values with the server's defaults applied")
    func envShowJSON() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local",
                          "--db", "acme_prod", "--url", "https://erp.acme.example", "--addons", "/opt/odoo/addons,/opt/custom"])
        let env = try ocore.jsonObject(["env", "show", "production", "--json"])
        #expect(env["name"] as? String == "production")
        #expect(env["project"] as? String == "acme")
        #expect(env["type"] as? String == "production")
        #expect(env["server"] as? String == "local")
        #expect(env["db_name"] as? String == "acme_prod")
        #expect(env["pg_host"] as? String == TestPostgres.cluster.socketDirectory)
        #expect(env["pg_port"] as? Int == TestPostgres.cluster.port)
        #expect(env["pg_user"] as? String == "odoo")
        #expect(env["filestore"] as? String == ocore.home + "/odoo-data/filestore/acme_prod")
        #expect(env["url"] as? String == "https://erp.acme.example")
        #expect(env["protected"] as? Bool == true)
        #expect(env["addons"] as? [String] == ["/opt/odoo/addons", "/opt/custom"])
        let list = try ocore.jsonArray(["env", "list", "--json"])
        #expect(list.count == 1 && list[0]["db_name"] as? String == "acme_prod")
        // Keys a script relies on are present even when empty.
        _ = try ocore.ok(["env", "add", "dev", "--project", "acme", "--type", "development", "--server", "local", "--db", "acme_dev"])
        let dev = try ocore.jsonObject(["env", "show", "dev", "--json"])
        #expect(dev["url"] is NSNull && dev["protected"] as? Bool == false)
    }

    @Test("bad input gets one clear line on stderr, a non-zero exit, and changes nothing")
    func badInput() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", "acme_stg"])
        let before = try ocore.ok(["env", "list", "--json"])

        expectCleanFailure(try ocore.run(["env", "add", "x", "--project", "acme", "--type", "staging", "--server", "nowhere", "--db", "x_db"]),
                           mentions: "no server named \"nowhere\"")
        expectCleanFailure(try ocore.run(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", "other"]),
                           mentions: "already exists")
        expectCleanFailure(try ocore.run(["env", "show", "nope"]), mentions: "no environment named \"nope\"")
        for hostile in ["prod'; DROP TABLE environment;--", "$(touch /tmp/ocore-cli-pwned)", "a b", "prodüction"] {
            expectCleanFailure(try ocore.run(["env", "add", hostile, "--project", "acme", "--type", "staging", "--server", "local", "--db", "db_ok"]),
                               mentions: "invalid environment name")
        }
        expectCleanFailure(try ocore.run(["env", "add", "ok", "--project", "acme", "--type", "staging", "--server", "local", "--db", "db\"; DROP DATABASE x"]),
                           mentions: "invalid database name")
        expectCleanFailure(try ocore.run(["server", "add", "bad name", "--local"]), mentions: "invalid server name")
        expectCleanFailure(try ocore.run(["server", "rm", "local"]), mentions: "still used by environment staging")
        #expect(try ocore.ok(["env", "list", "--json"]) == before)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ocore-cli-pwned"))
    }

    @Test("env rm removes the record only: the database and filestore stay")
    func envRemoveKeepsData() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        let db = try TestPostgres.createDatabase(prefix: "keep")
        let filestore = TestDirectories.make("ocore-fs")
        try "x".write(toFile: filestore + "/file", atomically: true, encoding: .utf8)
        _ = try ocore.ok(["env", "add", "old", "--project", "p", "--type", "staging", "--server", "local", "--db", db, "--filestore", filestore])
        let out = try ocore.ok(["env", "rm", "old"])
        #expect(out.contains("not touched"))
        #expect(try ocore.jsonArray(["env", "list", "--json"]).isEmpty)
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = '\(db)'") == "1")
        #expect(FileManager.default.fileExists(atPath: filestore + "/file"))
    }

    @Test("server test on this host reports every check")
    func localServerTest() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        let out = try ocore.ok(["server", "test", "local"])
        for check in ["reach", "pg_dump", "psql", "pg_restore", "postgresql", "disk", "cpu", "memory"] {
            #expect(out.contains("✓ \(check)"), "missing check \(check) in:\n\(out)")
        }
        #expect(out.contains("(PostgreSQL) 15"))
    }

    @Test("a missing pg_dump fails server test with the install hint")
    func missingPgDump() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        // A PATH with the tools a server needs, except pg_dump.
        let bin = TestDirectories.make("ocore-bin")
        for tool in ["uname", "psql", "pg_restore", "df", "nproc", "cat", "perl"] {
            let target = try LocalExecutor().output(Command(["sh", "-c", "command -v \(tool)"])).trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(tool)", withDestinationPath: target)
        }
        let result = try ocore.run(["server", "test", "local"], environment: ["PATH": bin])
        #expect(result.stdoutText.contains("✗ pg_dump"))
        expectCleanFailure(result, mentions: "pg_dump is not installed")
        #expect(result.stderrText.contains("apt-get install postgresql-client-15"))
    }

    @Test("several ocore processes writing at once lose nothing")
    func concurrentProcesses() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        let group = DispatchGroup()
        let failures = Failures()
        for i in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let r = try ocore.run(["env", "add", "env\(i)", "--project", "p\(i % 2)", "--type", "development", "--server", "local", "--db", "db_\(i)"])
                    if !r.succeeded { failures.add(r.stderrText) }
                } catch { failures.add("\(error)") }
            }
        }
        group.wait()
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try ocore.jsonArray(["env", "list", "--json"]).count == 8)
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}
