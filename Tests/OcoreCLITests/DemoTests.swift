import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("ocore demo: the embedded default", .serialized)
struct DemoTests {
    @Test("demo --no-tui builds the databases, the filestore and the inventory, and re-runs idempotently")
    func demoSetsUpEverything() throws {
        let ocore = OcoreBinary()
        defer { stopDemo(ocore) }
        let first = try ocore.ok(["demo", "--no-tui"])
        #expect(first.contains("database demo_production"))
        registerClusterCleanup(ocore)

        let envs = try ocore.jsonArray(["env", "list", "--json"])
        #expect(envs.map { $0["name"] as? String } == ["production", "staging", "development"])
        #expect(envs.map { $0["protected"] as? Bool } == [true, false, false])
        #expect(Set(envs.map { $0["project"] as? String }) == ["demo"])
        let storage = try ocore.jsonArray(["storage", "list", "--json"])
        #expect(storage.first?["name"] as? String == "local" && storage.first?["is_default"] as? Bool == true)
        #expect(try ocore.ok(["server", "test", "local"]).contains("✓ postgresql"))

        let production = try #require(envs.first)
        let psql = PSQL(executor: LocalExecutor(), connection: PostgresConnection(
            host: production["pg_host"] as? String, port: production["pg_port"] as! Int, user: "odoo", database: "demo_production"))
        // Odoo-shaped: the tables ocore touches, with data.
        let counts = try psql.query("""
            SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM res_users WHERE active),
                   (SELECT count(*) FROM mail_message WHERE body LIKE '%@%'), (SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception')),
                   (SELECT count(*) FROM ir_mail_server WHERE active), (SELECT count(*) FROM payment_provider WHERE state = 'enabled'),
                   (SELECT count(*) FROM ir_module_module WHERE state = 'installed'),
                   (SELECT active::text FROM ir_ui_view WHERE key = 'web.neutralize_banner'),
                   (SELECT count(*) FROM ir_config_parameter WHERE key IN ('web.base.url', 'database.uuid', 'database.secret'))
            """)[0]
        #expect(counts[0] == "2000")
        #expect(Int(counts[1])! >= 10)
        #expect(Int(counts[2])! > 100, "personal data also lives in message bodies")
        #expect(Int(counts[3])! > 0 && Int(counts[4])! == 2 && Int(counts[5])! >= 2)
        #expect(Int(counts[6])! >= 10)
        #expect(counts[7] == "false")
        #expect(counts[8] == "3")

        // Every attachment's file is in the filestore, named by its SHA-1 in a two-character folder.
        let filestore = try #require(production["filestore"] as? String)
        let stored = try psql.query("SELECT store_fname, checksum FROM ir_attachment WHERE store_fname IS NOT NULL")
        #expect(stored.count >= 150)
        for row in stored {
            #expect(row[0] == String(row[1].prefix(2)) + "/" + row[1])
            #expect(FileManager.default.fileExists(atPath: filestore + "/" + row[0]), "missing \(row[0])")
        }
        // The addons path has the modules' neutralize.sql files; staging was neutralized with them.
        let addons = try #require((production["addons"] as? [String])?.first)
        #expect(FileManager.default.fileExists(atPath: addons + "/base/data/neutralize.sql"))
        #expect(FileManager.default.fileExists(atPath: addons + "/payment_stripe/data/neutralize.sql"))
        let staging = PSQL(executor: LocalExecutor(), connection: psql.connection.database("demo_staging"))
        #expect(try staging.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        #expect(try staging.scalar("SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host <> 'invalid'") == "0")

        // Re-running reuses everything and changes nothing.
        let uuid = try psql.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
        let second = try ocore.ok(["demo", "--no-tui"])
        #expect(second.contains("demo_production ready (reused)"))
        #expect(try psql.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'") == uuid)
        #expect(try ocore.jsonArray(["env", "list", "--json"]).count == 3)
    }

    @Test("demo refuses to overwrite a server named local that is not the demo's")
    func demoRespectsExistingInventory() throws {
        let ocore = OcoreBinary()
        _ = try ocore.ok(["server", "add", "local", "--local", "--data-dir", "/srv/odoo"])
        expectCleanFailure(try ocore.run(["demo", "--no-tui"]), mentions: "--home")
        #expect(try ocore.jsonObject(["server", "show", "local", "--json"])["data_dir"] as? String == "/srv/odoo")
    }

    /// Stops the demo's cluster even if this test process dies before `stopDemo` runs.
    private func registerClusterCleanup(_ ocore: OcoreBinary) {
        guard let data = FileManager.default.contents(atPath: ocore.home + "/demo/demo.json"),
              let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let root = state["clusterRoot"] as? String else { return }
        let pgCtl = [LocalPostgresCluster.binDirectory + "/pg_ctl", "-D", root + "/data", "-m", "immediate", "stop"]
        Cleanup.register(shell: [geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] + pgCtl : pgCtl, ["rm", "-rf", root]]) {}
    }

    private func stopDemo(_ ocore: OcoreBinary) {
        _ = try? ocore.run(["demo", "--stop"])
        if let data = FileManager.default.contents(atPath: ocore.home + "/demo/demo.json"),
           let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let root = state["clusterRoot"] as? String {
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}
