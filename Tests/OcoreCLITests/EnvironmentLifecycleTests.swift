import Foundation
import OcoreModel
import OcoreOdoo
import OcoreTestSupport
import Testing

@Suite("An environment's whole life: edited in place, destroyed with its data after a backup")
struct EnvironmentLifecycleTests {
    @Test("env set edits the record; lowering a protected environment's protection or changing its type needs its name; the change is audited")
    func set() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["env", "set", "production", "--no-protect"]), mentions: "add --confirm production")
        expectCleanFailure(try f.ocore.run(["env", "set", "production", "--type", "staging"]), mentions: "changing its type")
        #expect(try f.ocore.jsonObject(["env", "show", "production", "--json"])["protected"] as? Bool == true)
        _ = try f.ocore.ok(["env", "set", "production", "--url", "https://erp.acme.example", "--filestore-owner", "odoo:odoo"])
        let shown = try f.ocore.jsonObject(["env", "show", "production", "--json"])
        #expect(shown["url"] as? String == "https://erp.acme.example" && shown["filestore_owner"] as? String == "odoo:odoo" && shown["protected"] as? Bool == true)
        expectCleanFailure(try f.ocore.run(["env", "set", "production", "--stop-command", "systemctl stop odoo"]), mentions: "--start-command")
        expectCleanFailure(try f.ocore.run(["env", "set", "production", "--url", "https://erp acme"]), mentions: "--url")
        _ = try f.ocore.ok(["env", "set", "production", "--no-protect", "--confirm", "production"])
        #expect(try f.ocore.jsonObject(["env", "show", "production", "--json"])["protected"] as? Bool == false)
        #expect(try f.ocore.ok(["audit"]).contains("env.set"))
        _ = try f.ocore.ok(["env", "add", "dr", "--project", "acme", "--type", "development", "--server", "local", "--db", "dr_db"])
        _ = try f.ocore.ok(["env", "set", "dr", "--type", "production"])
        #expect(try f.ocore.jsonObject(["env", "show", "dr", "--json"])["protected"] as? Bool == true, "made production, it is protected")
    }

    @Test("env destroy: the typed name, a verified backup first, then the database, the filestore and the record are gone; production needs more")
    func destroy() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("destroy-backups"), "--default"])
        _ = try f.clone("stg-doomed", preset: "minimal")
        let filestore = try #require(try f.ocore.jsonObject(["env", "show", "stg-doomed", "--json"])["filestore"] as? String)
        #expect(FileManager.default.fileExists(atPath: filestore))
        expectCleanFailure(try f.ocore.run(["env", "destroy", "stg-doomed"]), mentions: "--confirm stg-doomed")
        expectCleanFailure(try f.ocore.run(["env", "destroy", "production", "--confirm", "production"]), mentions: "--i-am-sure-this-is-production")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(f.source))") == "1")

        _ = try f.ocore.ok(["env", "destroy", "stg-doomed", "--confirm", "stg-doomed"])
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'stg-doomed'") == "0")
        #expect(!FileManager.default.fileExists(atPath: filestore))
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).allSatisfy { $0["name"] as? String != "stg-doomed" })
        let kept = try f.ocore.jsonArray(["backup", "list", "--json"]).filter { $0["environment"] as? String == "stg-doomed" }
        #expect(kept.count == 1 && kept.first?["type"] as? String == "pre_destroy" && kept.first?["is_verified"] as? Bool == true, "\(kept)")
        #expect(try f.ocore.ok(["audit"]).contains("env.destroy"))
        // The source was only ever read.
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(f.source))") == "1")
    }

    @Test("on a fresh ops host with no environment yet, restore import --new takes the project: the archive becomes an environment of it")
    func importOnFreshHost() throws {
        let f = try CloneFixture()
        let external = ExternalBackups(f: f)
        let dump = external.dir + "/fresh.dump"
        try external.pgDump(["--format=custom"], to: dump)
        let fresh = OcoreBinary()
        let name = "imp-\(UUID().uuidString.prefix(6).lowercased())"  // the cluster is shared with other tests
        try fresh.addLocalServer()
        expectCleanFailure(try fresh.run(["restore", "import", dump, "--new", name, "--type", "staging", "--yes"]), mentions: "give --project NAME")
        let result = try fresh.run(["restore", "import", dump, "--new", name, "--type", "staging", "--project", "acme", "--yes", "--json"])
        #expect(result.succeeded, "\(result.stderrText) \(result.stdoutText)")
        let env = try fresh.jsonObject(["env", "show", name, "--json"])
        #expect(env["project"] as? String == "acme" && env["type"] as? String == "staging")
        #expect(try TestPostgres.psql(name).scalar("SELECT count(*) > 0 FROM res_partner") == "t")
    }
}
