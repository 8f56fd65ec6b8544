import Crypto
import _CryptoExtras
import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// A demo-shaped production database in the test cluster, registered with its addons.
/// Which of `values` appear anywhere in a database's relation files (after a `CHECKPOINT`).
func valuesOnDisk(of db: String, among values: [String]) throws -> Set<String> {
    let oid = try #require(try TestPostgres.psql().scalar("SELECT oid FROM pg_database WHERE datname = \(SQL.literal(db))"))
    let dir = TestPostgres.cluster.dataDirectory + "/base/" + oid
    var found: Set<String> = []
    for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
        guard let data = FileManager.default.contents(atPath: dir + "/" + name) else { continue }
        for value in values where !found.contains(value) && data.range(of: Data(value.utf8)) != nil { found.insert(value) }
    }
    return found
}

struct CloneFixture {
    let ocore = OcoreBinary()
    let source: String
    let addons: String
    let dataDir: String

    init(schemaDrift: Bool = false) throws {
        source = "prod_\(UUID().uuidString.prefix(8).lowercased())"
        dataDir = ocore.home + "/odoo-data"
        addons = ocore.home + "/addons"
        try DemoDatabase.writeAddons(to: addons)
        try DemoDatabase(server: TestPostgres.psql(), name: source, scale: .small, seed: 11, filestore: dataDir + "/filestore/" + source,
                         baseURL: "https://erp.acme.example").create()
        if schemaDrift {
            try TestPostgres.psql(source).execute("""
                DROP TABLE auth_oauth_provider CASCADE;
                ALTER TABLE payment_provider DROP COLUMN stripe_secret_key, DROP COLUMN stripe_publishable_key, DROP COLUMN stripe_webhook_secret;
                """)
        }
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", source,
                          "--addons", addons])
    }

    func target(_ db: String) -> PSQL { TestPostgres.psql(db) }

    /// A checksum of every table of the source, to prove it was not modified.
    func sourceChecksum() throws -> String {
        let tables = try TestPostgres.psql(source).query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").map { $0[0] }
        return try tables.map { t in try TestPostgres.psql(source).scalar("SELECT md5(coalesce(string_agg(x::text, '' ORDER BY x::text), '')) FROM \(SQL.identifier(t)) x") ?? "" }
            .joined(separator: ",")
    }

    func clone(_ name: String, preset: String, extra: [String] = []) throws -> [String: Any] {
        let result = try ocore.run(["clone", "production", "--new", name, "--type", "staging", "--url", "https://\(name).acme.example",
                                    "--preset", preset, "--json"] + extra)
        let doc = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] ?? [:]
        #expect(result.succeeded, "clone failed: \(result.stderrText) \(doc["error_message"] ?? "")")
        return doc
    }
}

func result(_ doc: [String: Any], _ key: String) -> [String: Any]? {
    (doc["sanitization_result"] as? [[String: Any]])?.first { $0["option_key"] as? String == key }
}

@Suite("Clone with sanitization (real PostgreSQL)")
struct CloneTests {
    @Test("Recommended: customers' addresses gone everywhere, credentials cleared, identity new, Odoo neutralized; the source unchanged")
    func recommended() throws {
        let f = try CloneFixture()
        let before = try f.sourceChecksum()
        let sourceUUID = try TestPostgres.psql(f.source).scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
        let doc = try f.clone("staging", preset: "recommended")
        #expect(doc["status"] as? String == "completed")
        let steps = try #require(doc["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["pre_checks", "validating", "creating_target", "copying_addons", "backing_up_database",
                                                       "backing_up_filestore", "restoring_database", "restoring_filestore", "sanitizing", "verifying"])
        #expect(steps.allSatisfy { $0["status"] as? String == "completed" && $0["duration_ms"] is Int })
        let emails = try #require(result(doc, "anonymize_emails"))
        #expect(emails["status"] as? String == "applied" && (emails["affected_rows"] as? Int ?? 0) > 1000 && emails["duration_ms"] is Int)

        let t = f.target("staging")
        let activeUsers = "SELECT lower(p.email) FROM res_partner p JOIN res_users u ON u.partner_id = p.id WHERE u.active"
        #expect(try t.scalar("SELECT count(*) FROM res_partner WHERE email IS NOT NULL AND email NOT LIKE '%@staging.local' AND lower(email) NOT IN (\(activeUsers))") == "0")
        // Addresses in other tables: anything that is not an active user's or @staging.local.
        let leak = """
            SELECT count(*) FROM (SELECT (regexp_matches(coalesce(email_from, '') || ' ' || coalesce(reply_to, '') || ' ' || coalesce(body, ''),
                                 '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', 'g'))[1] AS a FROM mail_message
                                  UNION ALL SELECT (regexp_matches(coalesce(email_to, '') || ' ' || coalesce(body_html, ''), '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', 'g'))[1] FROM mail_mail
                                  UNION ALL SELECT (regexp_matches(coalesce(old_value_char, '') || ' ' || coalesce(new_value_char, ''), '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', 'g'))[1] FROM mail_tracking_value) m
             WHERE a NOT LIKE '%@staging.local' AND lower(a) NOT IN (\(activeUsers)) AND a NOT LIKE '%@demo-company.example.com'
            """
        #expect(try t.scalar(leak) == "0")
        // The same customer has the same fake address in res_partner and in the chatter.
        #expect(try t.scalar("SELECT count(*) FROM mail_message m JOIN res_partner p ON p.id = m.author_id WHERE p.email LIKE 'user_%@staging.local' AND m.email_from NOT LIKE '%' || p.email || '%'") == "0")
        // Phones likewise: no customer's number left in the chatter or the SMS queue, and the
        // number a customer had is the same fake number in their record and in the messages.
        let customerPhones = try TestPostgres.psql(f.source).query("""
            SELECT DISTINCT phone FROM res_partner WHERE phone IS NOT NULL AND id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active))
               AND id NOT IN (SELECT partner_id FROM res_company)
            """).map { $0[0] }
        #expect(customerPhones.count > 100)
        let quoted = try TestPostgres.psql(f.source).scalar("""
            SELECT count(*) FROM mail_message m WHERE EXISTS (SELECT 1 FROM res_partner p WHERE p.phone IS NOT NULL AND position(p.phone IN m.body) > 0
               AND p.id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active)))
            """)
        #expect((Int(quoted ?? "0") ?? 0) > 0, "the demo quotes customers' numbers in its chatter")
        let phoneList = customerPhones.map(SQL.literal).joined(separator: ",")
        #expect(try t.scalar("SELECT count(*) FROM mail_message m WHERE m.body LIKE ANY (ARRAY[\(customerPhones.map { SQL.literal("%" + $0 + "%") }.joined(separator: ","))])") == "0")
        #expect(try t.scalar("SELECT count(*) FROM sms_sms WHERE number IN (\(phoneList))") == "0")
        #expect(try t.scalar("SELECT count(*) FROM res_partner WHERE phone IN (\(phoneList)) AND id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active)) AND id NOT IN (SELECT partner_id FROM res_company)") == "0")
        let pair = try TestPostgres.psql(f.source).query("""
            SELECT p.id, p.phone, m.id FROM mail_message m JOIN res_partner p ON position(p.phone IN m.body) > 0
             WHERE p.phone IS NOT NULL AND p.id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active)) ORDER BY m.id LIMIT 1
            """).first ?? []
        if pair.count == 3 {
            let fake = try t.scalar("SELECT phone FROM res_partner WHERE id = \(pair[0])") ?? "?"
            #expect(try t.scalar("SELECT position(\(SQL.literal(fake)) IN body) > 0 FROM mail_message WHERE id = \(pair[2])") == "t", "\(fake) in message \(pair[2])")
        }
        #expect(try t.query("SELECT name, active FROM ir_mail_server ORDER BY name").map { $0.joined(separator: "=") }
                == ["Old relay=f", "Production SMTP=f", "Transactional (Mailgun)=f", "neutralization - disable emails=t"])
        #expect(try t.scalar("SELECT count(*) FROM ir_config_parameter WHERE value <> '' AND (key ILIKE '%api_key%' OR key ILIKE '%token%' OR key ILIKE '%password%' OR key ILIKE '%credential%')") == "0")
        #expect(try t.scalar("SELECT count(*) FROM payment_provider WHERE state NOT IN ('disabled', 'test') OR stripe_secret_key IS NOT NULL") == "0")
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'") != sourceUUID)
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == "https://staging.acme.example")
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        #expect(try t.scalar("SELECT count(*) FROM ir_config_parameter WHERE key = 'database.enterprise_code'") == "0")
        #expect(try t.scalar("SELECT active::text FROM ir_ui_view WHERE key = 'web.neutralize_banner'") == "true")
        #expect(try t.scalar("SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception')") == "0")
        #expect(try t.scalar("SELECT count(*) FROM ir_cron WHERE active") == "1", "only base's autovacuum keeps running (Odoo's neutralization)")
        // Filestore: hard-linked, every attachment present; the environment is registered.
        let verification = try #require(doc["verification"] as? [String: Any])
        #expect(verification["missing_files"] as? String == "0")
        let env = try f.ocore.jsonObject(["env", "show", "staging", "--json"])
        #expect(env["db_name"] as? String == "staging" && env["type"] as? String == "staging" && env["url"] as? String == "https://staging.acme.example")
        #expect(FileManager.default.fileExists(atPath: f.dataDir + "/filestore/staging"))
        #expect(try f.sourceChecksum() == before, "the source must never be modified")
        let proof = try #require(doc["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "NEUTRALIZED", "\(proof["findings"] ?? "")")
    }

    @Test("sanitizing while copying: customers' real addresses and numbers are nowhere in the target database's files (after an UPDATE pass, old row versions still hold them)")
    func personalDataNeverOnTargetDisk() throws {
        let f = try CloneFixture()
        let customers = """
            FROM res_partner WHERE id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active)) AND id NOT IN (SELECT partner_id FROM res_company)
            """
        let secrets = try TestPostgres.psql(f.source).query("SELECT email \(customers) AND email LIKE '%@%' ORDER BY id LIMIT 40").map { $0[0] }
            + TestPostgres.psql(f.source).query("SELECT phone \(customers) AND length(phone) > 8 ORDER BY id LIMIT 40").map { $0[0] }
        #expect(secrets.count == 80)
        let streamed = try f.clone("ondisk_copy", preset: "recommended")
        #expect((result(streamed, "anonymize_emails")?["reason"] as? String ?? "").hasPrefix("applied while copying"))
        _ = try f.clone("ondisk_update", preset: "recommended", extra: ["--sanitize-after-copy"])
        try TestPostgres.psql().execute("CHECKPOINT;")

        func onDisk(_ db: String) throws -> Set<String> { try valuesOnDisk(of: db, among: secrets) }
        #expect(try onDisk("ondisk_copy").isEmpty, "no customer address or number was ever written to the target")
        #expect(try onDisk("ondisk_update").count > 20, "an UPDATE leaves the old row versions on disk (the test can see them)")
        #expect(try f.target("ondisk_copy").scalar("SELECT count(*) FROM res_partner WHERE email LIKE 'user_%@staging.local'")
                == f.target("ondisk_update").scalar("SELECT count(*) FROM res_partner WHERE email LIKE 'user_%@staging.local'"))
    }

    @Test("customer addresses in a table ocore does not know: the coverage finds them, the copy maps them, the proof (every text column) agrees")
    func unknownTableCovered() throws {
        let f = try CloneFixture()
        try TestPostgres.psql(f.source).execute("""
            CREATE TABLE x_custom_notes (id serial PRIMARY KEY, note text);
            INSERT INTO x_custom_notes (note) SELECT 'call ' || email || ' tomorrow' FROM res_partner
             WHERE email IS NOT NULL AND id NOT IN (SELECT partner_id FROM res_users) ORDER BY lower(email) LIMIT 5;
            """)
        let planted = try TestPostgres.psql(f.source).query("SELECT note FROM x_custom_notes").map { $0[0] }
        let doc = try f.clone("stg_partial", preset: "recommended")
        let coverage = try #require((doc["coverage"] as? [String: Any])?["columns"] as? [[String: Any]])
        #expect(coverage.contains { $0["table"] as? String == "x_custom_notes" && $0["class"] as? String == "personal" })
        let notes = try f.target("stg_partial").query("SELECT note FROM x_custom_notes").map { $0[0] }
        #expect(notes.count == 5 && notes.allSatisfy { $0.contains("@staging.local") } && Set(notes).isDisjoint(with: planted))
        let proof = try #require(doc["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "NEUTRALIZED", "\(proof)")
    }

    @Test("Full: passwords reset to a hash Odoo accepts, 2FA and crons off, addresses anonymized")
    func full() throws {
        let f = try CloneFixture()
        let doc = try f.clone("dev_full", preset: "full", extra: ["--reset-password-value", "Dev2024!"])
        #expect((doc["sanitization_result"] as? [[String: Any]])?.count == 20)
        #expect(!(String(data: try JSONSerialization.data(withJSONObject: doc), encoding: .utf8) ?? "").contains("pbkdf2"), "no hash in the output")
        let t = f.target("dev_full")
        let hashes = Set(try t.query("SELECT password FROM res_users WHERE active").map { $0[0] })
        #expect(hashes.count == 1)
        let parts = try #require(hashes.first).split(separator: "$")  // pbkdf2-sha512, rounds, salt, digest
        #expect(parts.count == 4 && parts[0] == "pbkdf2-sha512")
        let salt = try #require(Data(base64Encoded: ab64Decode(String(parts[2]))))
        let expected = try KDF.Insecure.PBKDF2.deriveKey(from: Array("Dev2024!".utf8), salt: salt, using: .sha512, outputByteCount: 64,
                                                         unsafeUncheckedRounds: Int(parts[1])!).withUnsafeBytes { Data($0) }
        #expect(Data(base64Encoded: ab64Decode(String(parts[3]))) == expected)
        #expect(try t.scalar("SELECT (SELECT count(*) FROM auth_totp_device) + (SELECT count(*) FROM res_users WHERE totp_secret IS NOT NULL)") == "0")
        #expect(try t.scalar("SELECT count(*) FROM res_partner WHERE street IS NOT NULL AND street NOT LIKE 'Street %' AND id NOT IN (SELECT partner_id FROM res_users WHERE active)") == "0")
        #expect(try t.scalar("SELECT count(*) FROM ir_cron WHERE active") == "1")
    }

    @Test("None needs --i-understand-the-risk; it keeps data but still gets a new identity and fresh asset bundles")
    func none() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "replica", "--type", "staging", "--preset", "none"]),
                           mentions: "--i-understand-the-risk")
        let doc = try f.clone("replica", preset: "none", extra: ["--i-understand-the-risk"])
        #expect((doc["sanitization_result"] as? [[String: Any]])?.map { $0["option_key"] as? String } == ["clear_asset_bundles"])
        let t = f.target("replica")
        #expect(try t.scalar("SELECT count(*) FROM ir_mail_server WHERE active") == "2")
        #expect(try t.scalar("SELECT count(*) FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "0")
        #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NONE")
        #expect(try t.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
                != TestPostgres.psql(f.source).scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'"))
    }

    @Test("--fast-copy copies with CREATE DATABASE … TEMPLATE: same rows, sanitized as usual; other servers are refused")
    func fastCopy() throws {
        let f = try CloneFixture()
        let name = "fc_\(UUID().uuidString.prefix(6).lowercased())"
        let result = try f.ocore.run(["clone", "production", "--new", name, "--type", "staging", "--preset", "minimal", "--fast-copy", "--yes", "--json"])
        #expect(result.succeeded && result.stderrText.contains("disconnects every session"), "\(result.stderrText)")
        let steps = try f.ocore.run(["jobs", "show", "1"]).stdoutText
        #expect(steps.contains("CREATE DATABASE … TEMPLATE"))
        #expect(try f.target(name).scalar("SELECT count(*) FROM res_partner") == TestPostgres.psql(f.source).scalar("SELECT count(*) FROM res_partner"))
        #expect(try f.target(name).scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        _ = try f.ocore.ok(["server", "add", "other", "--local", "--no-check"])
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "x9", "--type", "staging", "--server", "other", "--fast-copy", "--yes"]), mentions: "one server only")
    }

    @Test("--keep-identity makes a disaster-recovery replica (same uuid and secret), and only with --preset none")
    func keepIdentity() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "dr", "--type", "staging", "--keep-identity"]), mentions: "only with --preset none")
        let dr = "dr_\(UUID().uuidString.prefix(6).lowercased())"
        let doc = try f.clone(dr, preset: "none", extra: ["--i-understand-the-risk", "--keep-identity"])
        #expect(doc["status"] as? String == "completed")
        let identity = "SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM ir_config_parameter WHERE key IN ('database.uuid', 'database.secret')"
        let copied = try f.target(dr).scalar(identity), original = try TestPostgres.psql(f.source).scalar(identity)
        #expect(copied == original && copied?.contains("database.secret=") == true)
    }

    @Test("schema drift: absent tables and columns are skipped with reasons and the clone completes")
    func schemaDrift() throws {
        let f = try CloneFixture(schemaDrift: true)
        let doc = try f.clone("drifted", preset: "recommended")
        #expect(doc["status"] as? String == "completed")
        let oauth = try #require(result(doc, "clear_oauth_providers"))
        #expect(oauth["status"] as? String == "skipped")
        #expect(oauth["reason"] as? String == "table auth_oauth_provider absent: module auth_oauth not installed")
        #expect(result(doc, "clear_payment_providers")?["status"] as? String == "applied")
        let stripe = try #require((doc["neutralization"] as? [[String: Any]])?.first { $0["module"] as? String == "payment_stripe" })
        #expect(stripe["status"] as? String == "failed", "Odoo's own stripe file fails on the drifted schema; the other modules still apply")
        #expect(try f.target("drifted").scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
    }

    @Test("the time estimate starts from typical speeds and, once the server has finished clones, comes from their measured speed")
    func estimateLearnsFromHistory() throws {
        let f = try CloneFixture()
        let before = try f.ocore.jsonObject(["clone", "preview", "production", "--preset", "minimal", "--json"])
        #expect(before["estimate_basis"] as? String == "an estimate from typical speeds")
        _ = try f.clone("learned", preset: "minimal")
        let after = try f.ocore.jsonObject(["clone", "preview", "production", "--preset", "minimal", "--json"])
        #expect(after["estimate_basis"] as? String == "1 past clone on this server")
        // The small demo copies in seconds here; the generic formula assumes 10 MB/s plus 42 s.
        let learned = try #require(after["estimated_seconds"] as? Int), generic = try #require(before["estimated_seconds"] as? Int)
        #expect(learned < generic, "\(learned) s learned vs \(generic) s from the formula")
    }

    @Test("bad targets are refused before anything is created")
    func badTargets() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "x'; DROP DATABASE postgres;--", "--type", "staging"]), mentions: "invalid environment name")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "production", "--type", "staging"]), mentions: "already exists")
        expectCleanFailure(try f.ocore.run(["clone", "nowhere", "--new", "x1", "--type", "staging"]), mentions: "no environment named \"nowhere\"")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "x2", "--type", "staging", "--enable", "bogus"]), mentions: "unknown; valid keys")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--replace", "production", "--confirm", "production"]), mentions: "cannot replace itself")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--replace", "production"]), mentions: "--confirm production")
        expectCleanFailure(try f.ocore.run(["clone", "production", "--new", "x3", "--type", "staging", "--jobs", "0"]), mentions: "--jobs must be between 1 and 16")
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).count == 1)
    }

    @Test("killing the worker mid-sanitize removes the target; the source is unchanged")
    func killMidSanitize() throws {
        let f = try CloneFixture()
        let before = try f.sourceChecksum()
        _ = try f.ocore.ok(["clone", "production", "--new", "doomed", "--type", "staging", "--preset", "full", "--detach"])
        try f.ocore.waitForJob(1, "sanitizing") { stepStatus($0, 8) == "running" }
        try f.ocore.killWorker()
        _ = try f.ocore.ok(["worker"])
        let job = try f.ocore.job(1)
        #expect(job["status"] as? String == "interrupted")
        #expect(job["error_step"] as? String == "sanitizing")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'doomed'") == "0")
        #expect(!FileManager.default.fileExists(atPath: f.dataDir + "/filestore/doomed"))
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).count == 1)
        #expect(try f.sourceChecksum() == before)
        // The filestore was hard-linked: removing the target's links left the source's files.
        #expect(try FileManager.default.subpathsOfDirectory(atPath: f.dataDir + "/filestore/" + f.source).count > 100)
    }

    @Test("killing the worker while the database streams into the target removes the target; the source is unchanged")
    func killMidRestore() throws {
        let f = try CloneFixture()
        // Enough rows that the database restore takes a few seconds.
        try TestPostgres.psql(f.source).execute("CREATE TABLE bulk AS SELECT g, md5(g::text) AS h FROM generate_series(1, 1500000) g;")
        let before = try f.sourceChecksum()
        _ = try f.ocore.ok(["clone", "production", "--new", "doomed2", "--type", "staging", "--preset", "minimal", "--detach"])
        // The dump streams straight into the target (pg_dump | pg_restore): step 4 is the restore of the data.
        try f.ocore.waitForJob(1, "the database stream") { stepStatus($0, 4) == "running" }
        Thread.sleep(forTimeInterval: 0.3)
        try f.ocore.killWorker()
        _ = try f.ocore.ok(["worker"])
        let job = try f.ocore.job(1)
        #expect(job["status"] as? String == "interrupted")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'doomed2'") == "0")
        #expect(!FileManager.default.fileExists(atPath: f.dataDir + "/filestore/doomed2"))
        #expect(try f.ocore.jsonArray(["env", "list", "--json"]).count == 1)
        #expect(try f.sourceChecksum() == before)
    }

    @Test("cross-server: 127.0.0.2 → 127.0.0.3 over SSH, filestore streamed as tar")
    func crossServer() throws {
        let sshd = TestSSHD.shared
        let f = try CloneFixture()
        let pg = TestPostgres.cluster
        let otherData = TestDirectories.make("ocore-server3")
        _ = try f.ocore.ok(["server", "add", "erp2", "--ssh", "\(sshd.user)@127.0.0.2:\(sshd.port)", "--identity", sshd.identity, "--known-hosts", sshd.knownHosts,
                            "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--data-dir", f.dataDir])
        _ = try f.ocore.ok(["server", "add", "erp3", "--ssh", "\(sshd.user)@127.0.0.3:\(sshd.port)", "--identity", sshd.identity, "--known-hosts", sshd.knownHosts,
                            "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--data-dir", otherData])
        _ = try f.ocore.ok(["env", "add", "prod2", "--project", "acme", "--type", "production", "--server", "erp2", "--db", f.source, "--addons", f.addons])
        let result = try f.ocore.run(["clone", "prod2", "--new", "remote_stg", "--type", "staging", "--server", "erp3", "--json"])
        #expect(result.succeeded, "\(result.stderrText)")
        let doc = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] ?? [:]
        #expect((doc["verification"] as? [String: Any])?["missing_files"] as? String == "0")
        let copied = try FileManager.default.subpathsOfDirectory(atPath: otherData + "/filestore/remote_stg").filter { $0.count > 3 }
        #expect(copied.count > 100)
        #expect(try f.target("remote_stg").scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        // The Options tab's choices: compressed in transit (pg_dump -Z1, gzip'd tar), one job.
        let compressed = try f.ocore.run(["clone", "prod2", "--new", "remote_z", "--type", "staging", "--server", "erp3", "--preset", "minimal",
                                          "--compress", "--jobs", "1", "--json"])
        #expect(compressed.succeeded, "\(compressed.stderrText)")
        let log = try f.ocore.run(["jobs", "show", String((try JSONSerialization.jsonObject(with: compressed.stdout) as? [String: Any])?["id"] as? Int ?? 0)]).stdoutText
        #expect(log.contains("1 at a time") || log.contains("1 parallel job"), "\(log)")
        #expect(try f.target("remote_z").scalar("SELECT count(*) FROM res_partner") == TestPostgres.psql(f.source).scalar("SELECT count(*) FROM res_partner"))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: otherData + "/filestore/remote_z").filter { $0.count > 3 }.count == copied.count)
    }
}

func ab64Decode(_ s: String) -> String {
    var t = s.replacingOccurrences(of: ".", with: "+")
    while t.count % 4 != 0 { t += "=" }
    return t
}
