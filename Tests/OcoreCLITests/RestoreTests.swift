import Crypto
import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// A demo production environment with a directory storage and one verified backup of it.
struct RestoreFixture {
    let clone: CloneFixture
    let backupID: String
    let countsAtBackup: [String: String]
    let filestoreAtBackup: [String: String]
    var ocore: OcoreBinary { clone.ocore }

    init() throws {
        clone = try CloneFixture()
        _ = try clone.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        countsAtBackup = try OdooWay.rowCounts(clone.source)
        filestoreAtBackup = try OdooWay.tree(clone.dataDir + "/filestore/" + clone.source)
        backupID = try #require(try clone.ocore.jsonObject(["backup", "create", "production", "--json"])["id"] as? String)
        // The backup's retention sweep holds production a moment: a restore right away would be refused.
        try clone.ocore.waitUntilIdle()
    }

    private init(clone: CloneFixture) {
        self.clone = clone
        backupID = ""
        countsAtBackup = [:]
        filestoreAtBackup = [:]
    }

    /// The environment only: no storage, no backup yet.
    static func plain() throws -> RestoreFixture { RestoreFixture(clone: try CloneFixture()) }

    func uuid(_ db: String) throws -> String? {
        try TestPostgres.psql(db).scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
    }

    func restore(_ arguments: [String]) throws -> (CommandResult, [String: Any]) {
        let result = try ocore.run(["restore"] + arguments + ["--yes", "--json"])
        return (result, (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:])
    }
}

@Suite("Restore (real PostgreSQL, sshd)")
struct RestoreTests {
    @Test("in place: changes since the backup are undone, a verified safety backup of the pre-restore state exists, identity kept")
    func original() throws {
        let f = try RestoreFixture()
        let uuid = try f.uuid(f.clone.source)
        try TestPostgres.psql(f.clone.source).execute("DELETE FROM mail_message WHERE id % 2 = 0; INSERT INTO res_partner (name, active) VALUES ('after backup', true);")
        let changed = try OdooWay.rowCounts(f.clone.source)
        #expect(changed != f.countsAtBackup)
        // Odoo stores a new attachment under the first two hex digits of its SHA-1.
        try FileManager.default.createDirectory(atPath: f.clone.dataDir + "/filestore/" + f.clone.source + "/ff", withIntermediateDirectories: true)
        try "new".write(toFile: f.clone.dataDir + "/filestore/" + f.clone.source + "/ff/ff0new-after-backup", atomically: true, encoding: .utf8)

        // Production is protected: without --confirm nothing happens.
        expectCleanFailure(try f.ocore.run(["restore", f.backupID, "--yes"]), mentions: "--confirm production")
        #expect(try OdooWay.rowCounts(f.clone.source) == changed)

        let (result, doc) = try f.restore([f.backupID, "--confirm", "production"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(doc["mode"] as? String == "original" && doc["preset"] as? String == "none")
        let restoredCounts = try OdooWay.rowCounts(f.clone.source)
        #expect(restoredCounts == f.countsAtBackup)
        let restoredTree = try OdooWay.tree(f.clone.dataDir + "/filestore/" + f.clone.source)
        #expect(restoredTree == f.filestoreAtBackup)
        #expect(try f.uuid(f.clone.source) == uuid)

        let safety = try #require(doc["safety_backup_id"] as? String)
        let b = try f.ocore.jsonObject(["backup", "show", safety, "--json"])
        #expect(b["type"] as? String == "pre_restore" && b["is_verified"] as? Bool == true)
        let points = try f.ocore.jsonArray(["restore-points", "production", "--json"])
        #expect(points.first?["status"] as? String == "completed" && points.first?["safety_backup_id"] as? String == safety)

        // The safety backup brings back the state just before the restore.
        let (back, _) = try f.restore([safety, "--confirm", "production", "--no-safety-backup"])
        #expect(back.succeeded)
        #expect(try OdooWay.rowCounts(f.clone.source) == changed)
    }

    @Test("into a new staging environment: production data is sanitized by default, identity renewed, rows and files as backed up")
    func newEnvironment() throws {
        let f = try RestoreFixture()
        let (result, doc) = try f.restore([f.backupID, "--new", "rst_stg", "--type", "staging", "--url", "https://rst.acme.example"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(doc["mode"] as? String == "new" && doc["preset"] as? String == "recommended")
        #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NEUTRALIZED", "\(doc["proof"] ?? "")")
        #expect((doc["verification"] as? [String: Any])?["missing_files"] as? String == "0")
        let t = TestPostgres.psql("rst_stg")
        #expect(try t.scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
        #expect(try f.uuid("rst_stg") != f.uuid(f.clone.source))
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://rst.acme.example")
        #expect(try t.scalar("SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host <> 'invalid'") == "0")
        let restoredTree = try OdooWay.tree(f.clone.dataDir + "/filestore/rst_stg")
        #expect(restoredTree == f.filestoreAtBackup)
        #expect(try f.ocore.ok(["env", "list"]).contains("rst_stg"))
        // The job keeps the backup's manifest, not its list of every member (re-read at each step:
        // 3 MB for 20,000 files made each step of a large restore take seconds).
        let job = try #require(doc["job"] as? Int)
        let state = try LocalExecutor().output(Command(["sqlite3", "-readonly", f.ocore.home + "/ocore.db", "SELECT state FROM job WHERE id = \(job)"]))
        let kept = try #require(try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any])
        let manifest = try #require(kept["manifest"] as? [String: Any])
        #expect((manifest["ocore"] as? [String: Any])?["backup_id"] as? String == f.backupID)
        #expect(((manifest["ocore"] as? [String: Any])?["members"] as? [String: Any])?.isEmpty == true, "\(state.prefix(300))")
        // Skipping sanitization of production data needs the explicit risk flag.
        expectCleanFailure(try f.ocore.run(["restore", f.backupID, "--new", "raw", "--type", "staging", "--preset", "none", "--yes"]),
                           mentions: "--i-understand-the-risk")
    }

    @Test("sanitizing while loading: customers' addresses and numbers are nowhere in the restored database's files, and the partners come out exactly as a clone makes them",
          arguments: ["odoo-zip", "folder"])
    func personalDataNeverOnRestoredDisk(format: String) throws {
        let f = try RestoreFixture()
        // A folder backup's dump is pg_dump's directory format, loaded by pg_restore.
        let backupID = format == "folder"
            ? try #require(try f.ocore.jsonObject(["backup", "create", "production", "--format", "folder", "--json"])["id"] as? String) : f.backupID
        try f.ocore.waitUntilIdle()
        let name = "rst_" + (format == "folder" ? "fold" : "zip"), clone = "cln_" + (format == "folder" ? "fold" : "zip")
        let customers = """
            FROM res_partner WHERE id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active)) AND id NOT IN (SELECT partner_id FROM res_company)
            """
        let source = TestPostgres.psql(f.clone.source)
        let secrets = try source.query("SELECT email \(customers) AND email LIKE '%@%' ORDER BY id LIMIT 40").map { $0[0] }
            + source.query("SELECT phone \(customers) AND length(phone) > 8 ORDER BY id LIMIT 40").map { $0[0] }
        #expect(secrets.count == 80)
        let (result, doc) = try f.restore([backupID, "--new", name, "--type", "staging", "--url", "https://rst.acme.example", "--preset", "full"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        let results = doc["sanitization_result"] as? [[String: Any]] ?? []
        for option in ["anonymize_emails", "anonymize_phones", "anonymize_addresses", "anonymize_company_names"] {
            let r = results.first { $0["option_key"] as? String == option }
            let reason = r?["reason"] as? String ?? "", rows = r?["affected_rows"] as? Int ?? 0
            #expect(reason.hasPrefix("applied while loading") && rows > 0, "\(option): \(r ?? [:])")
        }
        #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NEUTRALIZED", "\(doc["proof"] ?? "")")
        try TestPostgres.psql().execute("CHECKPOINT;")
        #expect(try valuesOnDisk(of: name, among: secrets).isEmpty, "no customer address or number was ever written to the restored database")

        // The same rules as a clone's SELECT: a clone of the same data has the same partners and logins.
        _ = try f.clone.clone(clone, preset: "full")
        let partners = "SELECT concat_ws('|', id, name, complete_name, email, email_normalized, phone, mobile, street, street2, city, zip) FROM res_partner ORDER BY id"
        let logins = "SELECT concat_ws('|', id, login, active) FROM res_users ORDER BY id"
        for query in [partners, logins] {
            let restored = try TestPostgres.psql(name).query(query).map { $0[0] }, cloned = try TestPostgres.psql(clone).query(query).map { $0[0] }
            let differing = zip(restored, cloned).filter { $0 != $1 }
            #expect(restored.count == cloned.count && differing.isEmpty, "\(differing.count) differ, e.g. \(differing.prefix(3))")
        }
        #expect(try TestPostgres.psql(name).query(partners) != source.query(partners))
    }

    @Test("database only into another environment: its filestore is left as it was")
    func databaseOnly() throws {
        let f = try RestoreFixture()
        let other = try TestPostgres.createDatabase(prefix: "dev")
        try TestPostgres.psql(other).execute("CREATE TABLE marker (x int);")
        let devStore = f.clone.dataDir + "/filestore/" + other
        try FileManager.default.createDirectory(atPath: devStore, withIntermediateDirectories: true)
        try "keep me".write(toFile: devStore + "/keep", atomically: true, encoding: .utf8)
        _ = try f.ocore.ok(["env", "add", "dev", "--project", "acme", "--type", "development", "--server", "local", "--db", other])
        let (result, doc) = try f.restore([f.backupID, "--to", "dev", "--no-filestore", "--preset", "minimal"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(doc["mode"] as? String == "existing")
        #expect(try TestPostgres.psql(other).scalar("SELECT to_regclass('marker') IS NULL") == "t")
        #expect(try TestPostgres.psql(other).scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
        #expect(try OdooWay.tree(devStore) == ["keep": try OdooWay.tree(devStore)["keep"]!] && FileManager.default.fileExists(atPath: devStore + "/keep"))
    }

    @Test("verify --restore-test restores into a scratch environment, checks it, removes it, and records the evidence on the backup")
    func restoreTest() throws {
        let f = try RestoreFixture()
        let doc = try f.ocore.jsonObject(["backup", "verify", f.backupID, "--restore-test", "--json"])
        #expect(doc["ok"] as? Bool == true)
        let check = try #require((doc["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "restore test" })
        #expect(check["ok"] as? Bool == true && (check["detail"] as? String)?.contains("none missing") == true)
        let evidence = try #require(try f.ocore.jsonObject(["backup", "show", f.backupID, "--json"])["restore_test"] as? String)
        #expect(evidence.contains("\"ok\":true") && evidence.contains("\"missing_files\":\"0\""))
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).allSatisfy { !(($0["name"] as? String) ?? "").hasPrefix("restore-test-") })
        // This test's scratch database is gone (other tests may have their own at this moment).
        let scratch = try f.ocore.jsonArray(["restore-points", "--json"]).compactMap { $0["environment"] as? String }.filter { $0.hasPrefix("restore-test-") }
        #expect(scratch.count == 1)
        for name in scratch {
            #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(name))") == "0")
        }
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: f.clone.dataDir + "/filestore")).contains { $0.hasPrefix("restore-test-") })
    }

    @Test("kill -9 of the worker during the load: recovery removes everything the restore created, the restore point says so, and the backup restores afterwards")
    func killedDuringLoad() throws {
        let f = try RestoreFixture.plain()
        // Enough rows that the load takes a few seconds.
        try TestPostgres.psql(f.clone.source).execute("CREATE TABLE bulk AS SELECT g, md5(g::text) AS h FROM generate_series(1, 1500000) g;")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--json"])["id"] as? String)
        let queued = try f.ocore.jsonObject(["restore", id, "--new", "killed_stg", "--type", "staging", "--detach", "--yes", "--json"])
        let job = try #require(queued["job"] as? Int)
        _ = try f.ocore.waitForJob(job, "the load") { stepStatus($0, 4) == "running" }
        Thread.sleep(forTimeInterval: 0.5)
        try f.ocore.killWorker()
        _ = try f.ocore.ok(["worker"])
        #expect(try f.ocore.job(job)["status"] as? String == "interrupted")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'killed_stg'") == "0")
        #expect(!FileManager.default.fileExists(atPath: f.clone.dataDir + "/filestore/killed_stg"))
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).allSatisfy { $0["name"] as? String != "killed_stg" })
        let point = try #require(try f.ocore.jsonArray(["restore-points", "killed_stg", "--json"]).first)
        #expect(point["status"] as? String == "failed" && point["target_state"] as? String == "removed")
        let again = try f.ocore.run(["restore", id, "--new", "killed_stg", "--type", "staging", "--yes", "--json"])
        #expect(again.succeeded, "\(again.stderrText)")
        #expect(try TestPostgres.psql("killed_stg").scalar("SELECT count(*) FROM bulk") == "1500000")
    }

    @Test("an environment's Odoo service is stopped before its database is replaced, started after, and must then answer over HTTP")
    func serviceStopStart() throws {
        let f = try RestoreFixture()
        // A stand-in for Odoo: a web server answering /web/health, run and stopped by scripts.
        let dir = TestDirectories.make("fake-odoo", worldTraversable: true)
        let port = freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: dir + "/www/web", withIntermediateDirectories: true)
        try "ok".write(toFile: dir + "/www/web/health", atomically: true, encoding: .utf8)
        try """
            echo start >> \(dir)/events
            setsid -f python3 -m http.server \(port) --bind 127.0.0.1 --directory \(dir)/www > /dev/null 2>&1 < /dev/null
            """.write(toFile: dir + "/start.sh", atomically: true, encoding: .utf8)
        try """
            echo stop >> \(dir)/events
            pkill -f 'http.server \(port)' || true
            """.write(toFile: dir + "/stop.sh", atomically: true, encoding: .utf8)
        defer { _ = try? LocalExecutor().run(Command(["pkill", "-f", "http.server \(port)"])) }
        expectCleanFailure(try f.ocore.run(["env", "add", "svc", "--project", "acme", "--type", "staging", "--server", "local", "--db", "svc_db",
                                            "--stop-command", "sh \(dir)/stop.sh"]), mentions: "together")
        _ = try f.ocore.ok(["env", "add", "svc", "--project", "acme", "--type", "staging", "--server", "local", "--db", "svc_db",
                            "--url", "http://127.0.0.1:\(port)", "--stop-command", "sh \(dir)/stop.sh", "--start-command", "sh \(dir)/start.sh",
                            "--filestore-owner", "nobody:nogroup"])
        #expect(try f.ocore.jsonObject(["env", "show", "svc", "--json"])["stop_command"] as? [String] == ["sh", dir + "/stop.sh"])
        let (result, doc) = try f.restore([f.backupID, "--to", "svc", "--preset", "minimal", "--no-safety-backup"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(try String(contentsOfFile: dir + "/events", encoding: .utf8) == "stop\nstart\n")
        #expect(((doc["verification"] as? [String: Any])?["http"] as? String)?.contains("HTTP 200") == true, "\(doc)")
        #expect(try TestPostgres.psql("svc_db").scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
        // The restored files belong to the configured owner (Odoo's service user), not to ocore's.
        let filestore = try #require(try f.ocore.jsonObject(["env", "show", "svc", "--json"])["filestore"] as? String)
        let file = try #require(try FileManager.default.subpathsOfDirectory(atPath: filestore).first { !$0.contains("/") == false })
        #expect(try FileManager.default.attributesOfItem(atPath: filestore + "/" + file)[.ownerAccountName] as? String == "nobody")
    }

    @Test("a backup whose filestore lacks files the database points to: the restore reports how many are missing, and a restore test fails on it")
    func missingFilestoreFiles() throws {
        let f = try RestoreFixture.plain()
        let filestore = f.clone.dataDir + "/filestore/" + f.clone.source
        let gone = try TestPostgres.psql(f.clone.source).query("SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id LIMIT 3").map { $0[0] }
        #expect(gone.count == 3)
        for name in gone { try FileManager.default.removeItem(atPath: filestore + "/" + name) }
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--json"])["id"] as? String)
        let (result, doc) = try f.restore([id, "--new", "holes_stg", "--type", "staging"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect((doc["verification"] as? [String: Any])?["missing_files"] as? String == "3")
        let log = try f.ocore.ok(["jobs", "show", String(try #require(doc["job"] as? Int))])
        #expect(log.contains("3 attachment file(s) missing from the restored filestore"))
        let verify = try f.ocore.run(["backup", "verify", id, "--restore-test", "--json"])
        #expect(!verify.succeeded)
        let test = try #require(try JSONSerialization.jsonObject(with: verify.stdout) as? [String: Any])
        #expect(test["ok"] as? Bool == false)
        #expect(((test["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "restore test" })?["detail"] as? String == "restored, but 3 attachment file(s) missing")
    }

    @Test("a policy's weekly restore test runs once when due on the newest verified backup, records its evidence, and waits for next week")
    func scheduledRestoreTest() throws {
        let f = try RestoreFixture()
        let today = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][Calendar(identifier: .gregorian).component(.weekday, from: Date()) - 1]
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "00:00", "--restore-test", "someday"]), mentions: "--restore-test takes")
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "00:00", "--restore-test", today])
        let first = try f.ocore.run(["backup", "run-due"])
        #expect(first.succeeded, "\(first.stdoutText) \(first.stderrText)")
        #expect(first.stdoutText.contains("restore test of production (backup \(f.backupID)): passed"), "\(first.stdoutText)")
        let evidence = try #require(try f.ocore.jsonObject(["backup", "show", f.backupID, "--json"])["restore_test"] as? String)
        #expect(evidence.contains("\"ok\":true"))
        #expect(try f.ocore.ok(["policy", "show", "production"]).contains("restore test every \(today) at 00:00 (last "))
        let second = try f.ocore.run(["backup", "run-due"])
        #expect(!second.stdoutText.contains("restore test"), "\(second.stdoutText)")
        for name in try f.ocore.jsonArray(["restore-points", "--json"]).compactMap({ $0["environment"] as? String }) {
            #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(name))") == "0")
        }
    }

    @Test("cross-server: a backup of 127.0.0.2's environment restored as a new environment on 127.0.0.3")
    func crossServer() throws {
        let sshd = TestSSHD.shared
        let f = try RestoreFixture()
        let pg = TestPostgres.cluster
        let otherData = TestDirectories.make("ocore-server3")
        _ = try f.ocore.ok(["server", "add", "erp3", "--ssh", "\(sshd.user)@127.0.0.3:\(sshd.port)", "--identity", sshd.identity, "--known-hosts", sshd.knownHosts,
                            "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--data-dir", otherData])
        let (result, doc) = try f.restore([f.backupID, "--new", "far_stg", "--type", "staging", "--server", "erp3"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(doc["mode"] as? String == "cross_server")
        let restoredTree = try OdooWay.tree(otherData + "/filestore/far_stg")
        #expect(restoredTree == f.filestoreAtBackup)
        #expect(try TestPostgres.psql("far_stg").scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
    }

    @Test("an Odoo-made zip imports into a new environment; a corrupt dump fails in place and the target is put back from its verified safety backup")
    func importAndCorruptDump() throws {
        let f = try RestoreFixture()
        // The way Odoo's dump_db builds it: plain pg_dump --no-owner, manifest.json, the filestore tree.
        let dir = TestDirectories.make("odoo-dump")
        let c = TestPostgres.cluster.connection(database: f.clone.source)
        _ = try LocalExecutor().output(Command(["pg_dump", "--no-owner", "-f", dir + "/dump.sql"] + c.clientArguments + ["-d", f.clone.source],
                                               environment: c.clientEnvironment))
        let build = """
            import zipfile, os, sys, json
            src, fs, out, corrupt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == '1'
            with zipfile.ZipFile(out, 'w', compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
                dump = open(src + '/dump.sql').read()
                if corrupt: dump = dump.replace('COPY public.res_partner ', 'THIS IS NOT SQL;\\nCOPY public.res_partner ', 1)
                z.writestr('dump.sql', dump)
                z.writestr('manifest.json', json.dumps({'odoo_dump': '1', 'db_name': 'x', 'version': '17.0', 'major_version': '17.0', 'pg_version': '15.0', 'modules': {}}))
                for root, _, files in os.walk(fs):
                    for name in files:
                        full = os.path.join(root, name)
                        z.write(full, os.path.join('filestore', os.path.relpath(full, fs)))
            """
        let fs = f.clone.dataDir + "/filestore/" + f.clone.source
        _ = try LocalExecutor().output(Command(["python3", "-c", build, dir, fs, dir + "/good.zip", "0"]))
        _ = try LocalExecutor().output(Command(["python3", "-c", build, dir, fs, dir + "/bad.zip", "1"]))

        let imported = try f.ocore.run(["restore", "import", dir + "/good.zip", "--new", "imported", "--type", "staging", "--yes", "--json"])
        #expect(imported.succeeded, "\(imported.stderrText)")
        #expect(try TestPostgres.psql("imported").scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
        #expect(try TestPostgres.psql("imported").scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        let importedTree = try OdooWay.tree(f.clone.dataDir + "/filestore/imported")
        #expect(importedTree == f.filestoreAtBackup)
        // Where it came from is unknown, so the counts are taken on the loaded copy before the
        // UPDATEs; the personal data was rewritten as it loaded, its counts are the stream's.
        let importJob = try #require((try JSONSerialization.jsonObject(with: imported.stdout) as? [String: Any])?["job"] as? Int)
        let importLog = try f.ocore.ok(["jobs", "show", String(importJob)])
        #expect(importLog.contains("will disable_mail_servers:") && !importLog.contains("will anonymize_emails:"), "\(importLog)")
        #expect(importLog.contains("anonymize_emails: applied") && importLog.contains("applied while loading"), "\(importLog)")

        // The corrupt one, in place: the load fails after the target was dropped.
        let before = try OdooWay.rowCounts("imported")
        let bad = try f.ocore.run(["restore", "import", dir + "/bad.zip", "--to", "imported", "--yes", "--json"])
        #expect(!bad.succeeded)
        let doc = (try? JSONSerialization.jsonObject(with: bad.stdout) as? [String: Any]) ?? [:]
        #expect(doc["target_state"] as? String == "put back", "\(doc)")
        let safety = try #require(doc["safety_backup_id"] as? String)
        #expect(try f.ocore.jsonArray(["restore-points", "imported", "--json"]).first?["failed_step"] as? String == "load_database")
        // It was put back automatically, exactly as it was, owned as before…
        #expect(try OdooWay.rowCounts("imported") == before)
        #expect(try TestPostgres.psql().scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'imported'") == TestPostgres.cluster.superuser)
        #expect(try f.ocore.jsonObject(["backup", "show", safety, "--json"])["is_verified"] as? Bool == true)
        // …and the safety backup stays, restorable by hand too.
        let (back, _) = try f.restore([safety, "--to", "imported", "--no-safety-backup"])
        #expect(back.succeeded, "\(back.stderrText)")
        #expect(try OdooWay.rowCounts("imported") == before)
    }
}

@Suite("Clone in replace mode (real PostgreSQL)")
struct CloneReplaceTests {
    @Test("replace needs the typed name; then a verified safety backup of the target comes first and the target ends up a fresh sanitized copy")
    func replace() throws {
        let f = try RestoreFixture()
        _ = try f.clone.clone("stg", preset: "minimal")
        try TestPostgres.psql("stg").execute("CREATE TABLE work_in_progress (x int);")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--replace", "stg", "--yes"]), mentions: "--confirm stg")
        #expect(try TestPostgres.psql("stg").scalar("SELECT to_regclass('work_in_progress') IS NOT NULL") == "t")

        let result = try f.ocore.run(["clone", "production", "--replace", "stg", "--confirm", "stg", "--preset", "minimal", "--yes", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(try TestPostgres.psql("stg").scalar("SELECT to_regclass('work_in_progress') IS NULL") == "t")
        #expect(try TestPostgres.psql("stg").scalar("SELECT count(*) FROM res_partner") == f.countsAtBackup["res_partner"])
        let backups = try f.ocore.jsonArray(["backup", "list", "stg", "--json"])
        #expect(backups.count == 1 && backups.first?["type"] as? String == "pre_replace" && backups.first?["is_verified"] as? Bool == true)
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).filter { $0["name"] as? String == "stg" }.count == 1)
        let tree = try OdooWay.tree(f.clone.dataDir + "/filestore/stg")
        #expect(tree == f.filestoreAtBackup)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: f.clone.dataDir + "/filestore")).contains { $0.contains("ocore-replaced") })
    }
}

@Suite("Second copies of backups (3-2-1: directory, SFTP on sshd, S3 on moto, FTP)")
struct BackupCopyTests {
    @Test("with --copy-to each backup is copied to a second storage and checked there; with the first storage gone, export and restore read the copy; removing the backup removes both")
    func secondCopy() throws {
        let f = try RestoreFixture.plain()
        let nas = TestDirectories.make("copy-nas"), offsite = TestDirectories.make("copy-offsite")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])
        _ = try f.ocore.ok(["storage", "add", "offsite", "--dir", offsite])
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "02:00", "--copy-to", "nas"]), mentions: "a second copy needs another storage")
        let set = try f.ocore.ok(["policy", "set", "production", "--at", "02:00", "--copy-to", "offsite"])
        #expect(set.contains("backed up daily at 02:00, copied to offsite"), "\(set)")

        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--json"])
        let id = try #require(backup["id"] as? String), key = try #require(backup["key"] as? String)
        try f.ocore.waitUntilIdle()
        let listed = try #require(try f.ocore.jsonArray(["backup", "list", "--json"]).first { $0["id"] as? String == id })
        let copies = listed["copies"] as? [[String: Any]] ?? []
        #expect(copies.count == 1 && copies.first?["storage"] as? String == "offsite" && copies.first?["status"] as? String == "completed"
                && copies.first?["verified_at"] is String, "\(listed)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: offsite + "/" + key)) == Data(contentsOf: URL(fileURLWithPath: nas + "/" + key)),
                "the copy is the same bytes")
        #expect(try f.ocore.ok(["backup", "list"]).contains("nas +offsite"))

        // The first storage is gone: the copy is read instead, when asked for.
        try FileManager.default.moveItem(atPath: nas, toPath: nas + ".gone")
        let out = TestDirectories.make("copy-export") + "/prod.zip"
        #expect(!(try f.ocore.run(["backup", "export", id, out]).succeeded))
        expectCleanFailure(try f.ocore.run(["backup", "export", id, out, "--from-storage", "elsewhere"]), mentions: "has no verified copy on elsewhere; it is on nas, offsite")
        _ = try f.ocore.ok(["backup", "export", id, out, "--from-storage", "offsite"])
        #expect(try BackupVerifierTestHelpers.sha256(of: out) == backup["sha256"] as? String)
        let (result, doc) = try f.restore([id, "--new", "rst_offsite", "--type", "staging", "--url", "https://rst-offsite.acme.example", "--from-storage", "offsite"])
        #expect(result.succeeded, "\(result.stderrText) \(doc)")
        #expect(try TestPostgres.psql("rst_offsite").scalar("SELECT count(*) FROM res_partner") == OdooWay.rowCounts(f.clone.source)["res_partner"])
        // In place, with the first storage still gone: the safety backup goes where the copy is.
        let (inPlace, placed) = try f.restore([id, "--from-storage", "offsite", "--confirm", "production"])
        #expect(inPlace.succeeded, "\(inPlace.stderrText) \(placed)")
        let safety = try f.ocore.jsonArray(["backup", "list", "production", "--json"]).first { $0["type"] as? String == "pre_restore" }
        #expect(safety?["storage"] as? String == "offsite" && safety?["status"] as? String == "completed", "\(String(describing: safety))")

        try FileManager.default.moveItem(atPath: nas + ".gone", toPath: nas)
        _ = try f.ocore.ok(["backup", "rm", id, "--confirm", id])
        #expect(!FileManager.default.fileExists(atPath: nas + "/" + key) && !FileManager.default.fileExists(atPath: offsite + "/" + key),
                "removed from both storages")
        let shown = try f.ocore.jsonObject(["backup", "show", id, "--json"])
        #expect((shown["copies"] as? [[String: Any]])?.first?["status"] as? String == "deleted")
    }
}

extension BackupCopyTests {
    @Test("a copy that cannot be made fails on its own: the backup stays good, the copy is marked failed and nothing is read from it")
    func failedCopy() throws {
        let f = try RestoreFixture.plain()
        let nas = TestDirectories.make("copy-nas2"), offsite = TestDirectories.make("copy-offsite2")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])
        _ = try f.ocore.ok(["storage", "add", "offsite", "--dir", offsite])
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "02:00", "--copy-to", "offsite", "--no-filestore"])
        // The second storage breaks: its directory is now a file.
        try FileManager.default.removeItem(atPath: offsite)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: offsite))
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])
        let id = try #require(backup["id"] as? String)
        #expect(backup["status"] as? String == "completed" && backup["is_verified"] as? Bool == true)
        try f.ocore.waitUntilIdle()
        let copyJob = try #require(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).first { $0["kind"] as? String == "backup-copy" })
        #expect(copyJob["status"] as? String == "failed", "\(copyJob)")
        let shown = try f.ocore.jsonObject(["backup", "show", id, "--json"])
        #expect(shown["status"] as? String == "completed" && (shown["copies"] as? [[String: Any]])?.first?["status"] as? String == "failed", "\(shown)")
        expectCleanFailure(try f.ocore.run(["backup", "export", id, TestDirectories.make("copy-x") + "/x.zip", "--from-storage", "offsite"]),
                           mentions: "has no verified copy on offsite; it is on nas")
    }
}

extension BackupCopyTests {
    @Test("a second copy goes to every kind of storage and is read back from it", arguments: [BackupTests.Provider.sftp, .s3, .ftp])
    func copyToEachProvider(kind: BackupTests.Provider) throws {
        let f = try RestoreFixture.plain()
        let (_, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let (copy, env) = try BackupTests.addStorage(kind, to: f.ocore)
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "02:00", "--copy-to", copy], environment: env)
        let created = try f.ocore.run(["backup", "create", "production", "--json"], environment: env)
        let backup = try #require(try JSONSerialization.jsonObject(with: created.stdout) as? [String: Any], "\(created.stderrText)")
        let id = try #require(backup["id"] as? String)
        try f.ocore.waitUntilIdle()
        let shown = try #require(try JSONSerialization.jsonObject(with: try f.ocore.ok(["backup", "show", id, "--json"], environment: env).data(using: .utf8)!) as? [String: Any])
        #expect((shown["copies"] as? [[String: Any]])?.first?["status"] as? String == "completed", "\(shown)")
        let out = TestDirectories.make("copy-each") + "/prod.zip"
        _ = try f.ocore.ok(["backup", "export", id, out, "--from-storage", copy], environment: env)
        #expect(try BackupVerifierTestHelpers.sha256(of: out) == backup["sha256"] as? String, "the copy on \(kind) is the backup, byte for byte")
    }
}

enum BackupVerifierTestHelpers {
    static func sha256(of path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }
}
