import Foundation
import OcoreTestSupport
import Testing

/// Scripts read every command's result as JSON, the same facts as its text.
@Suite("Every command speaks JSON (real PostgreSQL)")
struct JSONCommandsTests {
    @Test("policy show, notify show, storage test, retention extend, inventory export/import, jobs cancel and jobs retry print JSON with --json")
    func json() throws {
        let f = try CloneFixture()
        let nas = TestDirectories.make("json-nas")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])

        #expect(try f.ocore.jsonObject(["policy", "show", "production", "--json"])["policy"] is NSNull)
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "02:30", "--daily", "3", "--no-filestore"])
        let policy = try #require(try f.ocore.jsonObject(["policy", "show", "production", "--json"])["policy"] as? [String: Any])
        #expect(policy["at"] as? String == "02:30" && policy["include_filestore"] as? Bool == false)
        #expect((policy["retention"] as? [String: Any])?["daily_days"] as? Int == 3)

        _ = try f.ocore.ok(["notify", "set", "acme", "--smtp", "smtp://mailer@127.0.0.1:2525", "--password-env", "T_SMTP_PW", "--to", "ops@acme.example"])
        let notify = try f.ocore.jsonObject(["notify", "show", "acme", "--json"])
        #expect(notify["email_to"] as? String == "ops@acme.example" && notify["smtp_password_env"] as? String == "T_SMTP_PW" && notify["webhook"] is NSNull)

        let tested = try f.ocore.jsonObject(["storage", "test", "nas", "--json"])
        #expect(tested["ok"] as? Bool == true && (tested["steps"] as? [String])?.isEmpty == false)

        let backup = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])["id"] as? String)
        let extended = try f.ocore.jsonObject(["retention", "extend", backup, "--days", "30", "--json"])
        #expect(extended["id"] as? String == backup && (extended["expires_at"] as? String)?.hasPrefix("20") == true)

        let exported = try f.ocore.jsonObject(["inventory", "export", "-", "--json"])
        #expect((exported["environments"] as? [[String: Any]])?.map { $0["name"] as? String } == ["production"])
        let file = TestDirectories.make("json-inventory") + "/inventory.toml"
        _ = try f.ocore.ok(["inventory", "export", file])
        let imported = try f.ocore.jsonObject(["inventory", "import", file, "--json"])
        #expect(imported["environments"] as? Int == 1 && imported["storage"] as? Int == 1)

        let scratch = f.ocore.home + "/scratch"
        let failing = try f.ocore.diagnose(["--steps", "1", "--seconds", "0.1", "--fail-at", "1"], scratch: scratch)
        _ = try f.ocore.waitForJob(failing, "the failure") { $0["status"] as? String == "failed" }
        let retried = try f.ocore.jsonObject(["jobs", "retry", String(failing), "--json"])
        #expect(retried["retry_of"] as? Int == failing && (retried["job_id"] as? Int ?? 0) > failing)
        let long = try f.ocore.diagnose(["--steps", "1", "--seconds", "30"], scratch: scratch + "2")
        let cancelled = try f.ocore.jsonObject(["jobs", "cancel", String(long), "--json"])
        #expect(cancelled["id"] as? Int == long && ["cancelled", "cancel_requested"].contains(cancelled["status"] as? String ?? ""), "\(cancelled)")
        _ = try f.ocore.waitForJob(long, "the cancellation") { $0["status"] as? String == "cancelled" }
    }
}

@Suite("The audit log (real PostgreSQL)")
struct AuditLogTests {
    @Test("server, storage and environment records added and removed, pins and expiry changes are audited; --filter narrows by words")
    func everyAction() throws {
        let f = try CloneFixture()
        let nas = TestDirectories.make("audit-nas")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])["id"] as? String)
        _ = try f.ocore.ok(["backup", "pin", id])
        _ = try f.ocore.ok(["backup", "unpin", id])
        _ = try f.ocore.ok(["retention", "extend", id, "--days", "7"])
        _ = try f.ocore.ok(["server", "add", "spare", "--local"])
        _ = try f.ocore.ok(["server", "rm", "spare"])
        _ = try f.ocore.ok(["storage", "add", "old", "--dir", TestDirectories.make("audit-old")])
        _ = try f.ocore.ok(["storage", "rm", "old"])
        let records = try f.ocore.jsonArray(["audit", "--json", "--limit", "100"])
        let actions = records.compactMap { $0["action"] as? String }
        for action in ["storage.add", "backup.pin", "backup.unpin", "retention.extend", "server.add", "server.rm", "storage.rm"] {
            #expect(actions.contains(action), "\(action) not audited: \(actions)")
        }
        #expect(records.allSatisfy { $0["os_user"] is String && $0.keys.contains("ssh_client") && $0.keys.contains("job_id") })
        let removals = try f.ocore.jsonArray(["audit", "--json", "--filter", "rm spare"])
        #expect(removals.compactMap { $0["action"] as? String } == ["server.rm"], "\(removals)")
        #expect(try f.ocore.jsonArray(["audit", "--json", "--filter", "100%_"]).isEmpty, "% and _ are text, not patterns")
    }
}
