import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// Protection and locks belong to the data, and no record, file or path can get around them.
@Suite("Protection that cannot be bypassed (real PostgreSQL)")
struct ProtectionTests {
    @Test("a second record for production's database is refused; as --alias-of it is protected too, and a restore into it needs the typed name")
    func aliasOfProduction() throws {
        let f = try HostileDumpFixture()
        let before = try TestPostgres.psql(f.source).scalar("SELECT string_agg(login, ',' ORDER BY id) FROM res_users")
        expectCleanFailure(try f.ocore.run(["env", "add", "alias", "--project", "acme", "--type", "development", "--server", "local", "--db", f.source]),
                           mentions: "is already environment production's: to register another name for it, add --alias-of production")
        expectCleanFailure(try f.ocore.run(["env", "add", "alias", "--project", "acme", "--type", "development", "--server", "local", "--db", "other_db",
                                            "--filestore", f.ocore.home + "/odoo-data/filestore/" + f.source]),
                           mentions: "filestore")
        let added = try f.ocore.ok(["env", "add", "alias", "--project", "acme", "--type", "development", "--server", "local", "--db", f.source,
                                    "--alias-of", "production"])
        #expect(added.contains("protected as an alias of production"), "\(added)")
        let dump = try f.dump("clean.sql", appending: "")
        expectCleanFailure(try f.ocore.run(["restore", "import", dump, "--to", "alias", "--no-safety-backup", "--preset", "none", "--i-understand-the-risk", "--yes"]),
                           mentions: "alias is protected (its database or filestore is production's): restoring overwrites it; repeat its name with --confirm alias")
        #expect(try TestPostgres.psql(f.source).scalar("SELECT string_agg(login, ',' ORDER BY id) FROM res_users") == before)
        // A job on one name holds the other: they are one database.
        let job = try f.ocore.diagnose(["--env", "production", "--steps", "1", "--seconds", "3"], scratch: f.ocore.home + "/a")
        expectCleanFailure(try f.ocore.run(["jobs", "diagnose", "--env", "alias", "--scratch", f.ocore.home + "/b"]),
                           mentions: "environment alias is busy with job \(job) (diagnostic)")
        // And neither record goes while it runs.
        expectCleanFailure(try f.ocore.run(["env", "rm", "alias", "--confirm", "alias"]), mentions: "alias has job \(job) (diagnostic")
        _ = try f.ocore.ok(["jobs", "cancel", String(job)])
    }

    @Test("env rm of production needs the typed name and is audited; inventory import cannot quietly unprotect it, change its type or add unknown keys")
    func removeAndImport() throws {
        let f = try HostileDumpFixture()
        expectCleanFailure(try f.ocore.run(["env", "rm", "production"]), mentions: "production is protected: repeat its name with --confirm production")
        let toml = f.dir + "/inventory.toml"
        func write(_ body: String) throws {
            try """
                [[environments]]
                name = "production"
                project = "acme"
                server = "local"
                db = "\(f.source)"
                \(body)
                """.write(toFile: toml, atomically: true, encoding: .utf8)
        }
        try write("type = \"development\"")
        expectCleanFailure(try f.ocore.run(["inventory", "import", toml]), mentions: "environment production is protected; the file changes its type from production to development: add --confirm production")
        try write("type = \"production\"\nprotected = false")
        expectCleanFailure(try f.ocore.run(["inventory", "import", toml]), mentions: "the file removes its protection")
        try write("type = \"production\"\nprotcted = false")
        expectCleanFailure(try f.ocore.run(["inventory", "import", toml]), mentions: "environments production: unknown key \"protcted\"")
        #expect(try f.ocore.jsonObject(["env", "show", "production", "--json"])["protected"] as? Bool == true)

        try write("type = \"production\"\nprotected = false")
        _ = try f.ocore.ok(["inventory", "import", toml, "--confirm", "production"])
        #expect(try f.ocore.jsonObject(["env", "show", "production", "--json"])["protected"] as? Bool == false)
        _ = try f.ocore.ok(["env", "rm", "production"])
        let actions = try f.ocore.jsonArray(["audit", "--json"]).compactMap { $0["action"] as? String }
        #expect(actions.contains("inventory.import") && actions.contains("env.rm") && actions.contains("env.add"), "\(actions)")
        // The database was never touched by any of it.
        #expect(try TestPostgres.psql(f.source).scalar("SELECT count(*) FROM res_users") == "2")
    }

    @Test("filestore paths: '..' and system directories are refused when added; a symlink to /etc or a directory that is not a filestore stops a restore before anything is dropped")
    func filestorePaths() throws {
        let f = try HostileDumpFixture()
        func add(_ name: String, _ filestore: String) throws -> CommandResult {
            try f.ocore.run(["env", "add", name, "--project", "acme", "--type", "development", "--server", "local", "--db", name, "--filestore", filestore])
        }
        expectCleanFailure(try add("dots", f.dir + "/a/../b"), mentions: "must not contain '..'")
        expectCleanFailure(try add("etc", "/etc"), mentions: "is a system directory")
        expectCleanFailure(try add("root", "/"), mentions: "is a system directory")
        expectCleanFailure(try add("rel", "var/lib/odoo"), mentions: "must be an absolute path")

        try TestPostgres.psql().execute("CREATE DATABASE hx_link TEMPLATE \(SQL.identifier(f.source)); CREATE DATABASE hx_odd TEMPLATE \(SQL.identifier(f.source));")
        defer { try? TestPostgres.psql().execute("DROP DATABASE hx_link WITH (FORCE); DROP DATABASE hx_odd WITH (FORCE);") }
        try FileManager.default.createSymbolicLink(atPath: f.dir + "/link", withDestinationPath: "/etc")
        _ = try f.ocore.ok(["env", "add", "linked", "--project", "acme", "--type", "development", "--server", "local", "--db", "hx_link", "--filestore", f.dir + "/link"])
        let odd = f.dir + "/documents"
        try FileManager.default.createDirectory(atPath: odd + "/ab", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: odd + "/thesis.odt"))
        _ = try f.ocore.ok(["env", "add", "odd", "--project", "acme", "--type", "development", "--server", "local", "--db", "hx_odd", "--filestore", odd])

        let zip = f.dir + "/with-filestore.zip"
        let dump = try f.dump("clean.sql", appending: "")
        _ = try LocalExecutor().output(Command(["python3", "-c", """
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[2], 'w') as z:
                z.write(sys.argv[1], 'dump.sql'); z.writestr('filestore/ab/abcdef', b'x')
            """, dump, zip]))
        for (env, expected) in [("linked", "leads to /etc"), ("odd", "does not look like an Odoo filestore (it holds thesis.odt")] {
            let result = try f.ocore.run(["restore", "import", zip, "--to", env, "--no-safety-backup", "--preset", "none", "--i-understand-the-risk", "--yes"])
            #expect(!result.succeeded && f.said(result).contains(expected), "\(f.said(result))")
            #expect(f.said(result).contains("nothing was touched"))
        }
        #expect(try TestPostgres.psql("hx_odd").scalar("SELECT count(*) FROM res_users") == "2")
        #expect(FileManager.default.fileExists(atPath: odd + "/thesis.odt") && FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    @Test("a clone holds its source: a restore into the source waits for it, naming the clone; two readers may share it")
    func cloneLocksItsSource() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let backup = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])["id"] as? String)
        let clone = try #require(try f.ocore.jsonObject(["clone", "production", "--new", "stg_lock", "--type", "staging", "--preset", "minimal", "--detach", "--json"])["id"] as? Int)
        let restore = try f.ocore.run(["restore", backup, "--confirm", "production", "--yes"])
        expectCleanFailure(restore, mentions: "environment production is busy with job \(clone) (clone)")
        // A backup only reads production: it may run beside the clone.
        let read = try f.ocore.run(["backup", "create", "production", "--no-filestore", "--json"])
        #expect(read.succeeded, "\(read.stderrText)")
        _ = try f.ocore.waitForJob(clone, "the clone") { ["completed", "failed"].contains($0["status"] as? String ?? "") }
    }

    @Test("URLs and domains: spaces, line breaks, no host or a path where a domain belongs are refused with a clear error")
    func urlsAndDomains() throws {
        let f = try HostileDumpFixture()
        func clone(_ extra: [String]) throws -> CommandResult {
            try f.ocore.run(["clone", "production", "--new", "stg_url", "--type", "staging", "--preset", "minimal"] + extra)
        }
        expectCleanFailure(try clone(["--domain", "staging.acme.example/evil"]), mentions: "must be a host name, optionally with :PORT")
        expectCleanFailure(try clone(["--domain", "staging.acme.example:99999"]), mentions: "must be a host name")
        expectCleanFailure(try clone(["--url", "https://staging acme.example"]), mentions: "must not contain spaces or line breaks")
        expectCleanFailure(try clone(["--url", "https://"]), mentions: "has no host")
        expectCleanFailure(try f.ocore.run(["env", "add", "u", "--project", "acme", "--type", "staging", "--server", "local", "--db", "u_db",
                                            "--url", "https://u.example\nX-Injected: 1"]), mentions: "must not contain spaces or line breaks")
        #expect(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).isEmpty)
    }
}
