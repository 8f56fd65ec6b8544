import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// The source's values a sanitized backup must not hold: every customer's address, the planted
/// connectors' secrets, the payment providers' keys, the users' password hashes, the TOTP keys and
/// the database's own secret.
private func forbiddenValues(_ source: String) throws -> (addresses: [String], secrets: [String]) {
    let psql = TestPostgres.psql(source)
    let addresses = try psql.query("""
        SELECT DISTINCT lower(email) FROM res_partner WHERE email LIKE '%@%'
           AND id NOT IN (SELECT partner_id FROM res_users WHERE active) AND id NOT IN (SELECT partner_id FROM res_company)
        """).map { $0[0] }
    let secrets = try psql.query("""
        SELECT v FROM (SELECT stripe_secret_key v FROM payment_provider UNION SELECT stripe_webhook_secret FROM payment_provider
          UNION SELECT paypal_pdt_token FROM payment_provider UNION SELECT password FROM res_users WHERE active UNION SELECT key FROM auth_totp_device
          UNION SELECT value FROM ir_config_parameter WHERE key = 'database.secret') s WHERE v IS NOT NULL AND length(v) >= 8
        """).map { $0[0] } + ["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", "whsec_prod_a1b2c3d4e5f6", "DE89370400440532013000", "eyJhbGciOiJIUzI1NiIs"]
    return (addresses, secrets)
}

/// Which of `addresses` occur in `text` as addresses (every run of the characters an address is
/// made of, read once: a search per address over megabytes would take minutes).
private func found(_ addresses: [String], in text: String) -> [String] {
    var tokens = Set<Substring>()
    var start: String.Index?
    for i in text.indices {
        let c = text[i]
        if c.isASCII && (c.isLetter || c.isNumber || "@._%+-".contains(c)) {
            if start == nil { start = i }
        } else if let s = start {
            tokens.insert(text[s..<i])
            start = nil
        }
    }
    if let s = start { tokens.insert(text[s...]) }
    // An address at a sentence's end keeps its full stop in the run.
    let trimmed = Set(tokens.map { $0.hasSuffix(".") ? $0.dropLast() : $0 })
    return addresses.filter { tokens.contains(Substring($0)) || trimmed.contains(Substring($0)) }
}

/// Which of `secrets` occur anywhere in `text`.
private func foundAnywhere(_ secrets: [String], in text: String) -> [String] {
    secrets.filter { text.range(of: $0, options: .literal) != nil }
}

/// A member of a ZIP file, read with Python's zipfile (what Odoo itself uses).
private func zipMember(_ zip: String, _ name: String) throws -> Data {
    let out = try LocalExecutor().run(Command(["python3", "-c", "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", zip, name]))
    guard out.succeeded else { throw CommandFailure(command: Command(["python3"]), host: "local", result: out) }
    return out.stdout
}

@Suite("Sanitized backups to hand out (real PostgreSQL)")
struct SanitizedBackupTests {
    @Test("a sanitized backup holds none of the source's customer addresses or secrets (its dump.sql searched, and the database Odoo's way restores); its manifest attests it, verify shows it, the list marks it; restored into staging it is not sanitized again; the source is only read")
    func sanitizedBackupHandsOutNothing() throws {
        let f = try CloneFixture()
        try plantCustomModules(f.source)
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let before = try f.sourceChecksum()
        let (addresses, secrets) = try forbiddenValues(f.source)
        #expect(addresses.count > 400 && secrets.count >= 8)
        #expect(found(addresses, in: "<p>mail " + addresses[7].uppercased().lowercased() + ".</p>") == [addresses[7]], "the search finds what it looks for")

        let created = try f.ocore.run(["backup", "create", "production", "--sanitized", "--json"])
        #expect(created.succeeded, "\(created.stderrText)")
        let backup = try #require(try JSONSerialization.jsonObject(with: created.stdout) as? [String: Any])
        #expect(backup["status"] as? String == "completed" && backup["is_verified"] as? Bool == true)
        #expect(backup["sanitized"] as? String == "NEUTRALIZED", "\(backup)")
        #expect(backup["include_filestore"] as? Bool == false, "the attachments are production documents: left out unless asked")
        #expect(backup["retention_tier"] as? String == "daily", "a copy to hand out holds no period's long-lived tier")
        let id = try #require(backup["id"] as? String)
        #expect(try f.sourceChecksum() == before)

        let file = TestDirectories.make("ocore-export") + "/sanitized.zip"
        _ = try f.ocore.ok(["backup", "export", id, file])
        let dump = String(decoding: try zipMember(file, "dump.sql"), as: UTF8.self).lowercased()
        #expect(dump.contains("@staging.local"))
        let leftAddresses = found(addresses, in: dump)
        #expect(leftAddresses.isEmpty, "customer addresses in dump.sql: \(leftAddresses.prefix(5))")
        let leftSecrets = foundAnywhere(secrets.map { $0.lowercased() }, in: dump)
        #expect(leftSecrets.isEmpty, "secrets in dump.sql: \(leftSecrets.map { String($0.prefix(12)) })")

        // The attestation travels in the archive: options with their counts, coverage, the search, the verdict.
        let manifest = try #require(try JSONSerialization.jsonObject(with: try zipMember(file, "manifest.json")) as? [String: Any])
        let attestation = try #require((manifest["ocore"] as? [String: Any])?["sanitization"] as? [String: Any])
        #expect(attestation["verdict"] as? String == "NEUTRALIZED")
        #expect(attestation["preset"] as? String == "recommended" && attestation["ocore_version"] as? String == OcoreRelease.version)
        #expect(attestation["source_odoo_version"] as? String == "17.0")
        let sourceRows = try OdooWay.rowCounts(f.source).values.compactMap { Int($0) }.reduce(0, +)
        #expect((attestation["addresses_searched"] as? Int ?? 0) >= addresses.count)
        #expect((attestation["rows_searched"] as? Int ?? 0) >= sourceRows - 100, "every row written is searched (removed rows aside)")
        let options = Dictionary(uniqueKeysWithValues: (attestation["options"] as? [[String: Any]] ?? []).map { ($0["key"] as? String ?? "", $0) })
        for key in ["anonymize_emails", "clear_detected_secrets", "clear_payment_providers", "disable_2fa", "reset_passwords", "disable_mail_servers"] {
            #expect(options[key]?["status"] as? String == "applied" && (options[key]?["rows"] as? Int ?? 0) > 0, "\(key): \(options[key] ?? [:])")
        }
        #expect((attestation["coverage"] as? String ?? "").contains("text columns"))

        // Odoo's own restore: psql of dump.sql; the copy is neutralized and holds only fakes.
        let restored = "sb_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try OdooWay.restore(zip: file, into: restored)
        let r = TestPostgres.psql(restored)
        #expect(try OdooWay.rowCounts(restored)["mail_message"] == OdooWay.rowCounts(f.source)["mail_message"])
        #expect(try r.scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        #expect(try r.scalar("SELECT count(*) FROM ir_cron WHERE active AND cron_name NOT ILIKE '%garbage%' AND cron_name NOT ILIKE '%cleanup%' AND id NOT IN (SELECT res_id FROM ir_model_data WHERE name = 'autovacuum_job')") == "0")
        #expect(try r.scalar("SELECT count(*) FROM auth_totp_device") == "0")
        #expect(try r.scalar("SELECT count(*) FROM payment_provider WHERE state <> 'disabled' OR stripe_secret_key IS NOT NULL") == "0")
        #expect(try r.scalar("SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception')") == "0")
        #expect(try r.scalar("SELECT count(*) FROM x_shopify_connector WHERE api_token IS NOT NULL") == "0")
        // Every table of the restored database, as pg_dump reads it back.
        let c = TestPostgres.cluster.connection(database: restored)
        let everything = try LocalExecutor().output(Command(["pg_dump", "--data-only"] + c.clientArguments + ["-d", restored], environment: c.clientEnvironment)).lowercased()
        #expect(everything.count > 1_000_000)
        #expect(found(addresses, in: everything).isEmpty, "a customer address in the restored database")
        #expect(foundAnywhere(secrets.map { $0.lowercased() }, in: everything).isEmpty, "a secret in the restored database")

        let verify = try f.ocore.ok(["backup", "verify", id])
        #expect(verify.contains("✓ sanitization") && verify.contains("sanitized: NEUTRALIZED") && verify.contains("anonymize_emails: applied")
                && verify.contains("new_database_secret: applied, 1 row(s)"), "\(verify)")
        #expect(try f.ocore.ok(["backup", "list"]).contains("[sanitized]"))

        // Over production it is a question: its data is fake.
        let overProduction = try f.ocore.run(["restore", id, "--to", "production", "--confirm", "production"])
        #expect(!overProduction.succeeded && overProduction.stderrText.contains("sanitized copy") && overProduction.stderrText.contains("--yes"), "\(overProduction.stderrText)")
        #expect(try f.sourceChecksum() == before, "nothing was restored")
        // Into staging without another pass: its data already is sanitized.
        try f.ocore.waitUntilIdle()
        let staging = "stg_\(UUID().uuidString.prefix(6).lowercased())"
        let restore = try f.ocore.run(["restore", id, "--new", staging, "--type", "staging", "--json"])
        let doc = try JSONSerialization.jsonObject(with: restore.stdout) as? [String: Any] ?? [:]
        #expect(restore.succeeded && doc["status"] as? String == "completed", "\(restore.stderrText) \(doc["error_message"] ?? "")")
        #expect(doc["preset"] as? String == "none" && (doc["sanitization_result"] as? [Any])?.isEmpty == true)
        let db = try #require(try f.ocore.jsonObject(["env", "show", staging, "--json"])["db_name"] as? String)
        let emails = try TestPostgres.psql(db).query("SELECT lower(email) FROM res_partner WHERE email IS NOT NULL").map { $0[0] }
        #expect(!emails.isEmpty && Set(emails).isDisjoint(with: addresses))
    }

    @Test("--strict refuses a sanitized backup while a column would be left as it is, and stores nothing; a minimal preset leaves customers' addresses, and the attestation says PARTIAL and where")
    func strictAndPartial() throws {
        let f = try CloneFixture()
        let dir = TestDirectories.make("ocore-backups")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", dir, "--default"])
        try TestPostgres.psql(f.source).execute("CREATE TABLE x_delivery_address (id serial PRIMARY KEY, street varchar); INSERT INTO x_delivery_address (street) VALUES ('12 Real Road');")
        let refused = try f.ocore.run(["backup", "create", "production", "--sanitized", "--strict"])
        #expect(!refused.succeeded)
        #expect((refused.stdoutText + refused.stderrText).contains("x_delivery_address.street"), "\(refused.stdoutText)\(refused.stderrText)")
        let zips = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".zip") }
        #expect(zips.isEmpty, "a refused backup left \(zips)")

        // A rule for the column lets the strict backup pass, computed as the rows are written.
        let rules = TestDirectories.make("ocore-rules") + "/sanitization.toml"
        try "[columns]\n\"x_delivery_address.street\" = \"sql: 'Street ' || id\"\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let ruled = try f.ocore.run(["backup", "create", "production", "--sanitized", "--strict", "--rules", rules, "--json"])
        #expect(ruled.succeeded, "\(ruled.stderrText)")
        let ruledID = try #require((try JSONSerialization.jsonObject(with: ruled.stdout) as? [String: Any])?["id"] as? String)
        let file = TestDirectories.make("ocore-export") + "/ruled.zip"
        _ = try f.ocore.ok(["backup", "export", ruledID, file])
        let restored = "sr_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try OdooWay.restore(zip: file, into: restored)
        #expect(try TestPostgres.psql(restored).scalar("SELECT street FROM x_delivery_address") == "Street 1")
        #expect(try f.ocore.ok(["backup", "verify", ruledID]).contains("sanitization_rules: applied, 1 row(s)"))

        let refusedFormat = try f.ocore.run(["backup", "create", "production", "--sanitized", "--format", "folder"])
        expectCleanFailure(refusedFormat, mentions: "Odoo ZIP")

        let partial = try f.ocore.run(["backup", "create", "production", "--sanitized", "--preset", "minimal", "--with-filestore", "--json"])
        #expect(partial.succeeded, "\(partial.stderrText)")
        let backup = try #require(try JSONSerialization.jsonObject(with: partial.stdout) as? [String: Any])
        #expect(backup["sanitized"] as? String == "PARTIAL")
        #expect(backup["include_filestore"] as? Bool == true, "asked for: the attachments as they are")
        let verify = try f.ocore.ok(["backup", "verify", try #require(backup["id"] as? String)])
        #expect(verify.contains("sanitized: PARTIAL") && verify.contains("res_partner"), "\(verify)")
        #expect(verify.contains("filestore: included as it is (attachments are not sanitized)") && verify.contains("✓ filestore"), "\(verify)")
    }
}
