import Crypto
import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

extension CloneFixture {
    var golden: String { "golden_" + source }

    /// The golden copy's database as PostgreSQL keeps it: a digest of its files (nobody can
    /// connect to it, so nothing but a refresh may change them).
    func goldenFiles() throws -> String {
        _ = try TestPostgres.psql().execute("CHECKPOINT;")
        let oid = try #require(try TestPostgres.psql().scalar("SELECT oid FROM pg_database WHERE datname = \(SQL.literal(golden))"))
        let dir = TestPostgres.cluster.dataDirectory + "/base/" + oid
        var hash = SHA256()
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() {
            hash.update(data: Data(name.utf8))
            hash.update(data: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// database.uuid, database.secret and web.base.url of a copy.
    func identity(_ db: String) throws -> [String] {
        try ["database.uuid", "database.secret", "web.base.url"].map { key in
            try TestPostgres.psql(db).scalar("SELECT value FROM ir_config_parameter WHERE key = \(SQL.literal(key))") ?? ""
        }
    }

    func goldenRecord() throws -> [String: Any] {
        let copies = try ocore.jsonArray(["golden", "list", "--json"])
        #expect(copies.count == 1, "\(copies)")
        return copies.first ?? [:]
    }

    func cloneFromGolden(_ name: String) throws -> [String: Any] {
        let result = try ocore.run(["clone", "production", "--new", name, "--type", "development", "--url", "https://\(name).acme.example",
                                    "--from-golden", "--json"])
        let doc = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] ?? [:]
        #expect(result.succeeded && doc["status"] as? String == "completed", "clone from golden failed: \(result.stderrText) \(doc["error_message"] ?? "")")
        return doc
    }
}

@Suite("Golden copies: sanitized once, cloned in seconds (real PostgreSQL)")
struct GoldenCopyTests {
    @Test("a golden refresh then three clones from it: each clone has its own uuid, secret and URL and the golden copy's sanitized data; nobody can connect to the golden copy, and it is unchanged by the clones")
    func threeClones() throws {
        let f = try CloneFixture()
        let before = try f.sourceChecksum()
        let customer = try #require(try f.target(f.source).scalar("""
            SELECT email FROM res_partner WHERE email LIKE '%@%' AND id NOT IN (SELECT partner_id FROM res_users) ORDER BY id LIMIT 1
            """))
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let record = try f.goldenRecord()
        #expect(record["database"] as? String == f.golden && record["verdict"] as? String == "NEUTRALIZED" && record["preset"] as? String == "recommended")
        #expect(try f.ocore.ok(["golden", "show", "production"]).contains("production as of"))

        // A template that accepts no connections, not even its owner's.
        let connect = try LocalExecutor().run(Command(["psql", "-h", TestPostgres.cluster.socketDirectory, "-p", String(TestPostgres.cluster.port),
                                                       "-U", TestPostgres.cluster.superuser, "-d", f.golden, "-c", "SELECT 1"]))
        #expect(!connect.succeeded && connect.stderrText.contains("not currently accepting connections"), "\(connect.stderrText)")
        let files = try f.goldenFiles()
        let goldenTree = try OdooWay.tree(f.dataDir + "/filestore/" + f.golden)
        #expect(goldenTree.count > 100)

        var identities: [[String]] = []
        for name in ["qa-1", "qa-2", "qa-3"] {
            let doc = try f.cloneFromGolden(name)
            let db = name.replacingOccurrences(of: ".", with: "_")
            #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NEUTRALIZED", "\(doc["proof"] ?? "")")
            #expect(try f.target(db).scalar("SELECT count(*) FROM res_partner WHERE email = \(SQL.literal(customer))") == "0",
                    "a customer's address is in the clone")
            #expect(try OdooWay.tree(f.dataDir + "/filestore/" + db) == goldenTree)
            identities.append(try f.identity(db))
            // Each copy is its own: a write to it changes nothing of the golden copy.
            try f.target(db).execute("UPDATE res_partner SET name = 'changed in \(name)' WHERE id = (SELECT min(id) FROM res_partner);")
            #expect(try f.goldenFiles() == files, "the golden copy changed during the clone of \(name)")
        }
        let source = try f.identity(f.source)
        for (i, key) in ["database.uuid", "database.secret", "web.base.url"].enumerated() {
            let values = identities.map { $0[i] }
            #expect(Set(values).count == 3 && !values.contains(source[i]) && !values.contains(""), "\(key): \(values) (source \(source[i]))")
        }
        #expect(identities.map { $0[2] } == ["https://qa-1.acme.example", "https://qa-2.acme.example", "https://qa-3.acme.example"])
        #expect(try f.sourceChecksum() == before, "the source was modified")

        // Removed: its template, its filestore and its record; a clone from it is then refused, saying how to make one.
        _ = try f.ocore.ok(["golden", "rm", "production"])
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(f.golden))") == "0")
        #expect(!FileManager.default.fileExists(atPath: f.dataDir + "/filestore/" + f.golden))
        let refused = try f.ocore.run(["clone", "production", "--new", "qa-4", "--type", "development", "--from-golden", "--yes"])
        #expect(!refused.succeeded && refused.stderrText.contains("has no golden copy on local") && refused.stderrText.contains("ocore golden refresh production"),
                "\(refused.stderrText)")
    }

    @Test("a clone from a golden copy older than its source's last schema change warns, naming the modules that differ (their text made printable)")
    func schemaChangeWarns() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let module = try #require(try f.target(f.source).scalar("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name LIMIT 1"))
        // The version is the database's own text: a terminal escape in it is shown as ?, never obeyed; nothing after a line break passes for a line of the log.
        try f.target(f.source).execute("UPDATE ir_module_module SET latest_version = E'99.0.1.0\\x1b[2J\\nFORGED' WHERE name = \(SQL.literal(module));")
        let doc = try f.cloneFromGolden("qa-old")
        let log = try f.ocore.ok(["jobs", "show", String(try #require(doc["id"] as? Int))])
        #expect(log.contains("the golden copy is older than production's last schema change") && log.contains("\(module) (") && log.contains("→ 99.0.1.0?[2J"),
                "\(log)")
        #expect(!log.contains("\u{1B}") && !log.contains("FORGED"), "the escape reached the log, or the line after the break became a line of its own")
    }

    @Test("a replace from the golden copy: a verified safety backup of the target first, then the golden copy's data under the target's name and its own URL")
    func replaceFromGolden() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", f.ocore.home + "/backups", "--default"])
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        _ = try f.cloneFromGolden("qa")
        try f.target("qa").execute("UPDATE res_partner SET name = 'kept in the safety backup' WHERE id = (SELECT min(id) FROM res_partner);")
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let doc = try f.ocore.jsonObject(["clone", "production", "--replace", "qa", "--confirm", "qa", "--from-golden", "--json"])
        #expect(doc["status"] as? String == "completed", "\(doc["error_message"] ?? "")")
        let log = try f.ocore.ok(["jobs", "show", String(try #require(doc["id"] as? Int))])
        #expect(log.contains("complete and verified") && log.contains("copied the golden copy golden_\(f.source) into qa"), "\(log)")
        #expect(try f.target("qa").scalar("SELECT count(*) FROM res_partner WHERE name = 'kept in the safety backup'") == "0")
        #expect(try f.identity("qa")[2] == "https://qa.acme.example")
        #expect(try f.ocore.jsonArray(["backup", "list", "qa", "--json"]).count == 1, "no safety backup of qa")
    }

    @Test("a golden refresh interrupted mid-copy (its worker killed) leaves the previous golden copy in place and usable; the next refresh replaces it and removes the old one")
    func interruptedRefresh() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let first = try #require(try f.goldenRecord()["job_id"] as? Int)
        let files = try f.goldenFiles()

        let queued = try f.ocore.ok(["golden", "refresh", "production", "--detach"])
        let number = queued.split(separator: " ").first { Int($0) != nil }.map(String.init) ?? ""
        let id = try #require(Int(number), "\(queued)")
        // Killed once the copy has started (the build database exists), before it is sealed.
        try f.ocore.waitForJob(id, "copying") { ["running", "completed"].contains(stepStatus($0, 4) ?? "") }
        try f.ocore.killWorker()
        let ended = try f.ocore.waitForJob(id, "recovered") { $0["status"] as? String == "interrupted" }
        #expect(ended["status"] as? String == "interrupted")

        #expect(try f.goldenRecord()["job_id"] as? Int == first, "the record of the golden copy changed")
        #expect(try f.goldenFiles() == files, "the previous golden copy changed")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(f.golden + "_next"))") == "0",
                "the half-built copy is left")
        _ = try f.cloneFromGolden("after-crash")

        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let replaced = try f.goldenRecord()
        #expect(replaced["job_id"] as? Int != first && replaced["verdict"] as? String == "NEUTRALIZED")
        #expect(try f.goldenFiles() != files, "the golden copy was not replaced")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname IN (\(SQL.literal(f.golden + "_previous")), \(SQL.literal(f.golden + "_next")))") == "0")
        #expect(!FileManager.default.fileExists(atPath: f.dataDir + "/filestore/" + f.golden + ".previous"))
        _ = try f.cloneFromGolden("after-refresh")
    }

    @Test("a golden copy on a second server is made from the first one's: nothing is sanitized twice, its data is the first one's, and clones there come from it")
    func secondServer() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let far = TestPostgres.far
        _ = try f.ocore.ok(["server", "add", "far", "--local", "--pg-host", far.socketDirectory, "--pg-port", String(far.port), "--pg-user", far.superuser,
                            "--data-dir", f.ocore.home + "/far-data"])
        let refreshed = try f.ocore.run(["golden", "refresh", "production", "--server", "far"])
        #expect(refreshed.succeeded && refreshed.stderrText.contains("copies the golden copy on local"), "\(refreshed.stderrText)")
        let copies = try f.ocore.jsonArray(["golden", "list", "--json"])
        let first = try #require(copies.first { $0["server"] as? String == "local" }), second = try #require(copies.first { $0["server"] as? String == "far" })
        #expect(second["verdict"] as? String == "NEUTRALIZED" && second["data_as_of"] as? String == first["data_as_of"] as? String)
        let log = try f.ocore.ok(["jobs", "show", String(try #require(second["job_id"] as? Int))])
        #expect(log.contains("sanitized when that one was made") && !log.contains("anonymize_emails: applied"), "\(log)")
        let farPSQL = { (db: String) in PSQL(executor: LocalExecutor(), connection: far.connection(database: db)) }
        #expect(try farPSQL("postgres").query("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = \(SQL.literal(f.golden))").first == ["t", "f"])
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_reader'") == "0", "the reader database is left")

        // A clone on each server, each from its own server's golden copy: the same sanitized data.
        let near = try f.cloneFromGolden("qa-near")
        let result = try f.ocore.run(["clone", "production", "--new", "qa-far", "--type", "development", "--server", "far", "--url", "https://qa-far.acme.example",
                                      "--from-golden", "--json"])
        let doc = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] ?? [:]
        #expect(near["status"] as? String == "completed" && doc["status"] as? String == "completed", "\(result.stderrText)")
        let emails = "SELECT md5(string_agg(coalesce(email, '-'), ',' ORDER BY id)) FROM res_partner"
        #expect(try farPSQL("qa-far").scalar(emails) == (try f.target("qa-near").scalar(emails)), "the two golden copies hold different data")
        #expect(try OdooWay.tree(f.ocore.home + "/far-data/filestore/qa-far") == (try OdooWay.tree(f.dataDir + "/filestore/qa-near")))
        // A server that holds a golden copy (and nothing else) keeps its record until the copy is removed.
        _ = try f.ocore.ok(["env", "rm", "qa-far"])
        let server = try f.ocore.run(["server", "rm", "far"])
        #expect(!server.succeeded && server.stderrText.contains("far holds the golden copy of production"), "\(server.stderrText)")
        _ = try f.ocore.ok(["golden", "rm", "production", "--server", "far"])
        _ = try f.ocore.ok(["server", "rm", "far"])
    }

    @Test("a golden schedule: once its time of day has come, the next pass of the schedules refreshes the golden copy, and only once that day")
    func schedule() throws {
        let f = try CloneFixture()
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm"
        let passed = formatter.string(from: Date().addingTimeInterval(-60))
        #expect(try f.ocore.ok(["golden", "schedule", "production", "--at", passed]).contains("refreshed every day at \(passed)"))
        let pass = try f.ocore.ok(["backup", "run-due"])
        #expect(pass.contains("scheduled golden refresh of production queued as job"), "\(pass)")
        let number = pass.split(separator: "\n").first { $0.contains("golden refresh") }?.split(separator: " ").last.map(String.init) ?? ""
        let id = try #require(Int(number), "\(pass)")
        #expect(try f.ocore.waitForJob(id, "the refresh") { !["queued", "running"].contains($0["status"] as? String ?? "") }["status"] as? String == "completed")
        #expect(try f.goldenRecord()["job_id"] as? Int == id)
        #expect(!(try f.ocore.ok(["backup", "run-due"])).contains("golden refresh"), "a second pass the same day refreshes it again")
        #expect(try f.ocore.ok(["golden", "show", "production"]).contains("every day at \(passed) (recommended)"))
        _ = try f.ocore.ok(["golden", "schedule", "production", "--off"])
        #expect(try f.ocore.ok(["golden", "show", "production"]).contains("by hand"))
    }

    @Test("what a golden copy refuses: preset none, a second one in the same PostgreSQL, options of the clone's own, a weaker copy than asked for, a removal while a clone uses it, and the source's record removed under it")
    func refusals() throws {
        let f = try CloneFixture()
        let none = try f.ocore.run(["golden", "refresh", "production", "--preset", "none"])
        #expect(!none.succeeded && none.stderrText.contains("always sanitized"), "\(none.stderrText)")
        _ = try f.ocore.ok(["golden", "refresh", "production", "--preset", "minimal"])
        // A second record of the same server would make its golden copy under the same name: refused.
        try f.ocore.addLocalServer("local-again")
        let twice = try f.ocore.run(["golden", "refresh", "production", "--server", "local-again"])
        #expect(!twice.succeeded && twice.stderrText.contains("local-again and local reach the same PostgreSQL"), "\(twice.stderrText)")
        let weaker = try f.ocore.run(["clone", "production", "--new", "qa-w", "--type", "development", "--from-golden", "--yes"])
        #expect(!weaker.succeeded && weaker.stderrText.contains("sanitized with minimal, less than recommended"), "\(weaker.stderrText)")
        let options = try f.ocore.run(["clone", "production", "--new", "qa-o", "--type", "development", "--from-golden", "--preset", "minimal",
                                       "--enable", "anonymize_emails", "--yes"])
        #expect(!options.succeeded && options.stderrText.contains("to choose options, clone without --from-golden"), "\(options.stderrText)")
        let queued = try f.ocore.ok(["clone", "production", "--new", "qa-m", "--type", "development", "--from-golden", "--preset", "minimal", "--detach"])
        let busy = try f.ocore.run(["golden", "rm", "production"])
        #expect(!busy.succeeded && busy.stderrText.contains("is using the golden copy of production"), "\(busy.stderrText)")
        let number = queued.split(separator: " ").first { Int($0) != nil }.map(String.init) ?? ""
        let id = try #require(Int(number), "\(queued)")
        #expect(try f.ocore.waitForJob(id, "done") { $0["status"] as? String != "running" && $0["status"] as? String != "queued" }["status"] as? String == "completed")
        // The source and the server keep their records while a golden copy of it is there.
        let unregister = try f.ocore.run(["env", "rm", "production", "--confirm", "production"])
        #expect(!unregister.succeeded && unregister.stderrText.contains("production has golden copies on local"), "\(unregister.stderrText)")
        _ = try f.ocore.ok(["golden", "rm", "production"])
        #expect(try f.ocore.run(["env", "rm", "production", "--confirm", "production"]).succeeded)
    }
}
