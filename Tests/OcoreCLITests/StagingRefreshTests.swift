import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// A stand-in for an Odoo service on the target: started and stopped by real scripts, it holds a
/// connection to its database (as Odoo's workers do) and answers `/web/health`. Each start and
/// stop is written to its log with what it saw of the database at that moment.
struct StandInOdoo {
    let dir = TestDirectories.make("stand-in-odoo", worldTraversable: true)
    let port = freeLoopbackPort()
    let database: String

    init(database: String) throws {
        self.database = database
        let pg = TestPostgres.cluster
        let psql = "psql -X -h \(pg.socketDirectory) -p \(pg.port) -U \(pg.superuser) -d postgres -tA"
        try FileManager.default.createDirectory(atPath: dir + "/www/web", withIntermediateDirectories: true)
        try "ok".write(toFile: dir + "/www/web/health", atomically: true, encoding: .utf8)
        try """
            exists=$(\(psql) -c "SELECT count(*) FROM pg_database WHERE datname = '\(database)'")
            url=$(psql -X -h \(pg.socketDirectory) -p \(pg.port) -U \(pg.superuser) -d \(database) -tA -c "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'" 2>/dev/null)
            echo "start db=$exists url=$url" >> \(dir)/events
            setsid -f psql -X -h \(pg.socketDirectory) -p \(pg.port) -U \(pg.superuser) -d \(database) -c "SELECT pg_sleep(600) -- stand-in-odoo-\(port)" > /dev/null 2>&1 < /dev/null
            setsid -f python3 -m http.server \(port) --bind 127.0.0.1 --directory \(dir)/www > /dev/null 2>&1 < /dev/null
            """.write(toFile: dir + "/start.sh", atomically: true, encoding: .utf8)
        try """
            exists=$(\(psql) -c "SELECT count(*) FROM pg_database WHERE datname = '\(database)'")
            echo "stop db=$exists" >> \(dir)/events
            pkill -f 'http.server \(port)' || true
            pkill -f 'stand-in-odoo-\(port)' || true
            """.write(toFile: dir + "/stop.sh", atomically: true, encoding: .utf8)
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var flags: [String] { ["--stop-command", "sh \(dir)/stop.sh", "--start-command", "sh \(dir)/start.sh"] }
    var events: [String] { ((try? String(contentsOfFile: dir + "/events", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    func start() throws { _ = try LocalExecutor().output(Command(["sh", dir + "/start.sh"])) }

    func stopQuietly() {
        _ = try? LocalExecutor().run(Command(["pkill", "-f", "http.server \(port)"]))
        _ = try? LocalExecutor().run(Command(["pkill", "-f", "stand-in-odoo-\(port)"]))
    }
}

@Suite("Staging refresh: a running Odoo behind the target, its own URL, never production's")
struct StagingRefreshTests {
    @Test("a clone without --url gets a URL derived from production's (frozen, registered, said beforehand); its proof is NEUTRALIZED")
    func derivedURL() throws {
        let f = try CloneFixture()
        let result = try f.ocore.run(["clone", "production", "--new", "stg-url", "--type", "staging", "--preset", "recommended", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(result.stderrText.contains("no --url given: stg-url gets a URL derived from production's web.base.url"))
        let doc = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NEUTRALIZED", "\(doc["proof"] ?? "")")
        let t = f.target("stg-url")
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://stg-url.acme.example")
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url.freeze'") == "True")
        #expect(try f.ocore.jsonObject(["env", "show", "stg-url", "--json"])["url"] as? String == "https://stg-url.acme.example")
        #expect(try TestPostgres.psql(f.source).scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://erp.acme.example")
    }

    @Test("production's host left in a system parameter the options do not clear: the proof says PARTIAL and names the parameter")
    func productionHostLeft() throws {
        let f = try CloneFixture()
        try TestPostgres.psql(f.source).execute("""
            INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES ('report.url', 'https://erp.acme.example/report', now(), now());
            """)
        let doc = try f.clone("stg-host", preset: "recommended")
        let proof = try #require(doc["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "PARTIAL")
        let findings = (proof["findings"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
        #expect(findings.contains { $0.contains("still name erp.acme.example") && $0.contains("report.url") }, "\(findings)")
    }

    @Test("a new environment restored from production's backup without a URL gets a derived one, never production's")
    func restoreDerivesURL() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])["id"] as? String)
        let result = try f.ocore.run(["restore", id, "--new", "qa-restored", "--type", "staging", "--no-filestore", "--yes", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(try f.target("qa-restored").scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://qa-restored.acme.example")
        #expect(try f.ocore.jsonObject(["env", "show", "qa-restored", "--json"])["url"] as? String == "https://qa-restored.acme.example")
    }

    @Test("replace into a staging whose Odoo runs: stopped (its database still there) after the safety backup, started on the new copy, which keeps the target's URL; files belong to its owner")
    func serviceAwareReplace() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        let odoo = try StandInOdoo(database: "stg-svc")
        defer { odoo.stopQuietly() }
        // A clone made to run: its own service commands and filestore owner, kept on its record.
        _ = try f.clone("stg-svc", preset: "minimal", extra: odoo.flags + ["--filestore-owner", "nobody:nogroup"])
        let env = try f.ocore.jsonObject(["env", "show", "stg-svc", "--json"])
        #expect(env["stop_command"] as? [String] == ["sh", odoo.dir + "/stop.sh"] && env["filestore_owner"] as? String == "nobody:nogroup")
        _ = try f.ocore.ok(["env", "set", "stg-svc", "--url", odoo.url])  // where its Odoo answers
        try odoo.start()
        let result = try f.ocore.run(["clone", "production", "--replace", "stg-svc", "--confirm", "stg-svc", "--preset", "recommended", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        let doc = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(odoo.events == ["start db=1 url=https://stg-svc.acme.example", "stop db=1", "start db=1 url=\(odoo.url)"], "\(odoo.events)")
        #expect(try f.target("stg-svc").scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == odoo.url)
        #expect(((doc["verification"] as? [String: Any])?["http"] as? String)?.contains("HTTP 200") == true, "the restarted service was waited for: \(doc)")
        let filestore = try #require(try f.ocore.jsonObject(["env", "show", "stg-svc", "--json"])["filestore"] as? String)
        let file = try #require(try FileManager.default.subpathsOfDirectory(atPath: filestore).first { !$0.hasSuffix("/") && $0.contains("/") })
        #expect(try FileManager.default.attributesOfItem(atPath: filestore + "/" + file)[.ownerAccountName] as? String == "nobody")
        // Production's own files were not given away: hard links would have carried the owner over.
        let source = f.dataDir + "/filestore/" + f.source + "/" + file
        #expect(try FileManager.default.attributesOfItem(atPath: source)[.ownerAccountName] as? String != "nobody")
        #expect(doc["status"] as? String == "completed")
    }

    @Test("the worker killed in the middle of a replace: the next worker puts the target back from its safety backup and starts its Odoo again")
    func killedReplaceRestartsService() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        let odoo = try StandInOdoo(database: "stg-kill")
        defer { odoo.stopQuietly() }
        _ = try f.clone("stg-kill", preset: "minimal", extra: odoo.flags)
        try f.target("stg-kill").execute("CREATE TABLE made_on_staging (x int); INSERT INTO made_on_staging VALUES (42);")
        try odoo.start()
        // Enough rows that the database copy takes a few seconds.
        try TestPostgres.psql(f.source).execute("CREATE TABLE bulk AS SELECT g, md5(g::text) AS h FROM generate_series(1, 1500000) g;")
        let queued = try f.ocore.jsonObject(["clone", "production", "--replace", "stg-kill", "--confirm", "stg-kill", "--preset", "minimal", "--detach", "--json"])
        let job = try #require(queued["id"] as? Int)
        _ = try f.ocore.waitForJob(job, "the database copy") { stepStatus($0, 4) == "running" }
        Thread.sleep(forTimeInterval: 0.3)
        try f.ocore.killWorker()
        _ = try f.ocore.ok(["worker"])
        #expect(try f.ocore.job(job)["status"] as? String == "interrupted")
        #expect(odoo.events.first == "start db=1 url=https://stg-kill.acme.example" && odoo.events.dropFirst().first == "stop db=1", "\(odoo.events)")
        #expect(odoo.events.last?.hasPrefix("start") == true && odoo.events.count == 3, "\(odoo.events)")
        let log = try f.ocore.ok(["jobs", "show", String(job)])
        #expect(log.contains("stg-kill was put back as it was before the replace, from its verified safety backup"), "\(log)")
        #expect(try f.target("stg-kill").scalar("SELECT x FROM made_on_staging") == "42", "staging's own data is back")
        #expect(try f.target("stg-kill").scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://stg-kill.acme.example")
    }

    @Test("a weekly refresh: refused for production and without the typed name; run once for a slot that has come, not again; run-now on demand")
    func weeklyRefresh() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        _ = try f.clone("stg-weekly", preset: "minimal")
        let today = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][Calendar(identifier: .gregorian).component(.weekday, from: Date()) - 1]
        expectCleanFailure(try f.ocore.run(["refresh", "set", "stg-weekly", "--from", "production", "--weekday", today, "--at", "00:00"]),
                           mentions: "--confirm stg-weekly")
        expectCleanFailure(try f.ocore.run(["refresh", "set", "production", "--from", "stg-weekly", "--weekday", today, "--at", "00:00", "--confirm", "production"]),
                           mentions: "production is protected")
        _ = try f.ocore.ok(["refresh", "set", "stg-weekly", "--from", "production", "--weekday", today, "--at", "00:00", "--confirm", "stg-weekly"])
        #expect(try f.ocore.ok(["refresh", "show"]).contains("stg-weekly: every \(today) at 00:00 from production (recommended); last run never"))
        try f.target("stg-weekly").execute("CREATE TABLE made_on_staging (x int);")

        let first = try f.ocore.run(["backup", "run-due"])
        #expect(first.succeeded, "\(first.stdoutText) \(first.stderrText)")
        let line = try #require(first.stdoutText.split(separator: "\n").first { $0.hasPrefix("scheduled refresh of stg-weekly queued as job ") })
        let job = try #require(Int(line.split(separator: " ").last ?? ""))
        let done = try f.ocore.waitForJob(job, "the refresh", timeout: .seconds(180)) { ($0["status"] as? String).map { ["completed", "failed"].contains($0) } ?? false }
        #expect(done["status"] as? String == "completed", "\(done)")
        #expect(try f.target("stg-weekly").scalar("SELECT to_regclass('made_on_staging') IS NULL") == "t", "the refresh replaced staging's database")
        #expect(try f.target("stg-weekly").scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://stg-weekly.acme.example")
        let second = try f.ocore.run(["backup", "run-due"])
        #expect(!second.stdoutText.contains("scheduled refresh"), "\(second.stdoutText)")

        let now = try f.ocore.run(["refresh", "run-now", "stg-weekly"])
        #expect(now.succeeded, "\(now.stderrText)")
        _ = try f.ocore.ok(["refresh", "rm", "stg-weekly"])
        #expect(try f.ocore.ok(["refresh", "show"]).contains("no refresh schedule"))
    }

    @Test("odoo.conf: shown without its secrets, edited in place with a .bak and a restart notice; a replace points a conf that names production's database at the target's")
    func odooConf() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        _ = try f.clone("stg-conf", preset: "minimal")
        let dir = TestDirectories.make("odoo-conf")
        let conf = dir + "/odoo.conf"
        // Copied from production's, as staging servers often start: it still names production's database.
        try "; staging\n[options]\nadmin_passwd = master-s3cret\ndb_name = \(f.source)\ndbfilter = ^\(f.source)$\nworkers = 2\n".write(toFile: conf, atomically: true, encoding: .utf8)
        expectCleanFailure(try f.ocore.run(["env", "config", "stg-conf"]), mentions: "--odoo-conf")
        _ = try f.ocore.ok(["env", "set", "stg-conf", "--odoo-conf", conf])
        let shown = try f.ocore.ok(["env", "config", "stg-conf"])
        #expect(shown.contains("workers") && shown.contains("********") && !shown.contains("master-s3cret"), "\(shown)")
        let set = try f.ocore.ok(["env", "config", "stg-conf", "set", "workers=4", "limit_time_real=600"])
        #expect(set.contains("restart required"))
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        #expect(text.hasPrefix("; staging\n[options]\nadmin_passwd = master-s3cret\n") && text.contains("workers = 4\nlimit_time_real = 600"), "\(text)")
        #expect(try String(contentsOfFile: conf + ".bak", encoding: .utf8).contains("workers = 2"))

        let result = try f.ocore.run(["clone", "production", "--replace", "stg-conf", "--confirm", "stg-conf", "--preset", "minimal"])
        #expect(result.succeeded, "\(result.stderrText)")
        let after = OdooConfigFile(text: try String(contentsOfFile: conf, encoding: .utf8))
        #expect(after.value("db_name") == "stg-conf" && after.value("dbfilter") == "^stg-conf$" && after.value("workers") == "4")
    }

    @Test("a source whose web.base.url is not a plain web URL: the copy gets a placeholder under .invalid, never that value")
    func hostileBaseURL() throws {
        let f = try CloneFixture()
        try TestPostgres.psql(f.source).execute("UPDATE ir_config_parameter SET value = 'javascript://x/%0Aalert(1)' WHERE key = 'web.base.url';")
        let result = try f.ocore.run(["clone", "production", "--new", "stg-odd", "--type", "staging", "--preset", "minimal", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(try f.target("stg-odd").scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://stg-odd.invalid")
        #expect(try f.ocore.jsonObject(["env", "show", "stg-odd", "--json"])["url"] as? String == "https://stg-odd.invalid")
    }

    @Test("over SSH: a staging on another server is replaced, by hand and by its weekly refresh, with its Odoo stopped and started there, its files given to its owner, its URL kept")
    func serviceAwareReplaceOverSSH() throws {
        let sshd = TestSSHD.shared
        let f = try CloneFixture()
        let pg = TestPostgres.cluster
        let farData = TestDirectories.make("ocore-far-server")
        _ = try f.ocore.ok(["server", "add", "far", "--ssh", "\(sshd.user)@127.0.0.3:\(sshd.port)", "--identity", sshd.identity, "--known-hosts", sshd.knownHosts,
                            "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--data-dir", farData])
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        let odoo = try StandInOdoo(database: "stg-far")
        defer { odoo.stopQuietly() }
        _ = try f.clone("stg-far", preset: "minimal", extra: ["--server", "far", "--filestore-owner", "nobody:nogroup"] + odoo.flags)
        _ = try f.ocore.ok(["env", "set", "stg-far", "--url", odoo.url])
        try odoo.start()
        let result = try f.ocore.run(["clone", "production", "--replace", "stg-far", "--confirm", "stg-far", "--preset", "minimal", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(odoo.events == ["start db=1 url=https://stg-far.acme.example", "stop db=1", "start db=1 url=\(odoo.url)"], "\(odoo.events)")
        let verification = (try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])?["verification"] as? [String: Any]
        #expect((verification?["http"] as? String)?.contains("HTTP 200") == true, "\(verification ?? [:])")
        let filestore = farData + "/filestore/stg-far"
        let file = try #require(try FileManager.default.subpathsOfDirectory(atPath: filestore).first { $0.contains("/") })
        #expect(try FileManager.default.attributesOfItem(atPath: filestore + "/" + file)[.ownerAccountName] as? String == "nobody")
        let job = try #require((try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])?["id"] as? Int)
        let log = try f.ocore.ok(["jobs", "show", String(job)])
        #expect(log.contains("Odoo service of stg-far stopped") && log.contains("Odoo service of stg-far started"), "\(log)")

        // The same replace as a weekly refresh whose slot has come, run by the scheduler.
        let today = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][Calendar(identifier: .gregorian).component(.weekday, from: Date()) - 1]
        _ = try f.ocore.ok(["refresh", "set", "stg-far", "--from", "production", "--weekday", today, "--at", "00:00", "--preset", "minimal", "--confirm", "stg-far"])
        let due = try f.ocore.run(["backup", "run-due"])
        let line = try #require(due.stdoutText.split(separator: "\n").first { $0.hasPrefix("scheduled refresh of stg-far queued as job ") }, "\(due.stdoutText)")
        let refresh = try #require(Int(line.split(separator: " ").last ?? ""))
        let done = try f.ocore.waitForJob(refresh, "the refresh", timeout: .seconds(180)) { ($0["status"] as? String).map { ["completed", "failed"].contains($0) } ?? false }
        #expect(done["status"] as? String == "completed", "\(done)")
        #expect(odoo.events.suffix(2) == ["stop db=1", "start db=1 url=\(odoo.url)"] && odoo.events.count == 5, "\(odoo.events)")
        let refreshed = try #require(try FileManager.default.subpathsOfDirectory(atPath: filestore).first { $0.contains("/") })
        #expect(try FileManager.default.attributesOfItem(atPath: filestore + "/" + refreshed)[.ownerAccountName] as? String == "nobody")
    }

    @Test("--keep-users: a replace with every password reset still leaves the named logins the passwords they had on the target")
    func keepUsers() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("refresh-backups"), "--default"])
        _ = try f.clone("stg-keep", preset: "minimal")
        let logins = try f.target("stg-keep").query("SELECT login FROM res_users WHERE active AND password IS NOT NULL ORDER BY id LIMIT 2").map { $0[0] }
        try #require(logins.count == 2)
        try f.target("stg-keep").execute("UPDATE res_users SET password = 'staging-own-hash' WHERE login IN (\(logins.map(SQL.literal).joined(separator: ", ")));")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "stg-x", "--type", "staging", "--keep-users", logins[0]]), mentions: "goes with --replace")
        let result = try f.ocore.run(["clone", "production", "--replace", "stg-keep", "--confirm", "stg-keep", "--preset", "full", "--keep-users", logins[0]])
        #expect(result.succeeded, "\(result.stderrText)")
        #expect(try f.target("stg-keep").scalar("SELECT password FROM res_users WHERE login = \(SQL.literal(logins[0]))") == "staging-own-hash")
        let other = try f.target("stg-keep").scalar("SELECT password FROM res_users WHERE login = \(SQL.literal(logins[1]))")
        #expect(other != "staging-own-hash" && other?.hasPrefix("$pbkdf2-sha512$") == true, "every other password is reset: \(other ?? "nil")")
    }
}
