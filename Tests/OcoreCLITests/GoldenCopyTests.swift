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

    @Test("a clone from a golden copy older than its source's last schema change warns, naming the modules that differ")
    func schemaChangeWarns() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let module = try #require(try f.target(f.source).scalar("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name LIMIT 1"))
        try f.target(f.source).execute("UPDATE ir_module_module SET latest_version = '99.0.1.0' WHERE name = \(SQL.literal(module));")
        let doc = try f.cloneFromGolden("qa-old")
        let log = try f.ocore.ok(["jobs", "show", String(try #require(doc["id"] as? Int))])
        #expect(log.contains("the golden copy is older than production's last schema change") && log.contains("\(module) (") && log.contains("→ 99.0.1.0)"),
                "\(log)")
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

    @Test("what a golden copy refuses: preset none, options of the clone's own, a weaker copy than asked for, and a removal while a clone uses it")
    func refusals() throws {
        let f = try CloneFixture()
        let none = try f.ocore.run(["golden", "refresh", "production", "--preset", "none"])
        #expect(!none.succeeded && none.stderrText.contains("always sanitized"), "\(none.stderrText)")
        _ = try f.ocore.ok(["golden", "refresh", "production", "--preset", "minimal"])
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
        _ = try f.ocore.ok(["golden", "rm", "production"])
    }
}
