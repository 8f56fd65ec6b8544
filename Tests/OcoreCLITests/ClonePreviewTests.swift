import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("clone preview on a real Odoo-shaped database")
struct ClonePreviewTests {
    /// A demo-shaped database in the test cluster, registered as environment `production`.
    func source(_ ocore: OcoreBinary) throws -> (name: String, psql: PSQL) {
        let name = "src_\(UUID().uuidString.prefix(8).lowercased())"
        let filestore = ocore.home + "/filestore/" + name
        try DemoDatabase(server: TestPostgres.psql(), name: name, scale: .small, seed: 7, filestore: filestore, baseURL: "https://erp.example.com").create()
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", name,
                          "--filestore", filestore])
        return (name, TestPostgres.psql(name))
    }

    @Test("every option's count matches what its SQL would touch, and the seeds' shape is kept")
    func counts() throws {
        let ocore = OcoreBinary()
        let (_, psql) = try source(ocore)
        let doc = try ocore.jsonObject(["clone", "preview", "production", "--json"])
        let options = try #require(doc["available_options"] as? [[String: Any]])
        #expect(options.count == 20)
        let count = { (key: String) in options.first { $0["key"] as? String == key }?["impact_count"] as? Int }
        let sql = { (q: String) in Int(try psql.scalar(q) ?? "-1")! }
        let notUser = "id NOT IN (SELECT partner_id FROM res_users WHERE active)"
        #expect(count("anonymize_emails") == (try sql("SELECT count(*) FROM res_partner WHERE email IS NOT NULL AND email <> '' AND \(notUser)")))
        #expect(count("anonymize_phones") == (try sql("SELECT count(*) FROM res_partner WHERE (phone IS NOT NULL OR mobile IS NOT NULL) AND \(notUser) AND id NOT IN (SELECT partner_id FROM res_company)")))
        #expect(count("disable_mail_servers") == (try sql("SELECT count(*) FROM ir_mail_server WHERE active")))
        #expect(count("clear_mail_queue") == (try sql("SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception')")))
        #expect(count("clear_payment_providers") == (try sql("SELECT count(*) FROM payment_provider WHERE state <> 'disabled'")))
        #expect(count("disable_2fa") == (try sql("SELECT (SELECT count(*) FROM auth_totp_device) + (SELECT count(*) FROM res_users WHERE totp_secret IS NOT NULL)")))
        #expect(count("update_base_url") == 1)
        #expect((count("anonymize_emails") ?? 0) > 1000)
        let first = try #require(options.first)
        for key in ["key", "name", "description", "category", "priority", "default_enabled", "impact_preview", "impact_count"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect((doc["presets"] as? [String: [String]])?["minimal"] == ["disable_mail_servers", "clear_mail_queue", "clear_asset_bundles"])
        #expect(doc["default_preset"] as? String == "recommended")
        #expect((doc["database_size"] as? Int ?? 0) > 1_000_000 && (doc["filestore_size"] as? Int ?? 0) > 1_000_000)
        #expect((doc["estimated_seconds"] as? Int ?? 0) > 30)
        let text = try ocore.ok(["clone", "preview", "production"])
        #expect(text.contains("[x] Anonymize customer emails") && text.contains("Affects approximately"))
    }

    @Test("schema drift: absent tables and columns are skipped with the reason; the preview still answers")
    func schemaDrift() throws {
        let ocore = OcoreBinary()
        let (_, psql) = try source(ocore)
        try psql.execute("DROP TABLE auth_oauth_provider CASCADE; ALTER TABLE payment_provider DROP COLUMN state;")
        let options = try #require(try ocore.jsonObject(["clone", "preview", "production", "--json"])["available_options"] as? [[String: Any]])
        let option = { (key: String) in options.first { $0["key"] as? String == key }! }
        #expect(option("clear_oauth_providers")["impact_count"] is NSNull)
        #expect(option("clear_oauth_providers")["skipped_reason"] as? String == "table auth_oauth_provider absent: module auth_oauth not installed")
        #expect(option("clear_payment_providers")["skipped_reason"] as? String == "column payment_provider.state absent")
        #expect((option("anonymize_emails")["impact_count"] as? Int ?? 0) > 0)
    }

    @Test("a preview never changes the source")
    func readOnly() throws {
        let ocore = OcoreBinary()
        let (name, psql) = try source(ocore)
        let checksum = "SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM (SELECT * FROM res_partner) t"
        let before = try psql.scalar(checksum)
        _ = try ocore.ok(["clone", "preview", "production", "--preset", "full"])
        #expect(try psql.scalar(checksum) == before)
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1")
    }

    @Test("bad option names are refused with the valid keys")
    func badOptions() throws {
        let ocore = OcoreBinary()
        _ = try source(ocore)
        expectCleanFailure(try ocore.run(["clone", "preview", "production", "--enable", "anonymise_emails"]), mentions: "unknown; valid keys")
        expectCleanFailure(try ocore.run(["clone", "preview", "production", "--disable", "clear_asset_bundles"]), mentions: "cannot be disabled")
    }
}
