import Foundation
import OcoreModel
import OcoreOdoo
import OcoreTestSupport
import Testing

/// Tables of modules ocore knows nothing about, as connectors and custom fields leave them:
/// tokens, a webhook secret, an IBAN table, customers' addresses in an `x_` note and in a
/// custom `partner_email` column, and a JWT under a parameter key that says nothing.
func plantCustomModules(_ source: String) throws {
    try TestPostgres.psql(source).execute("""
        CREATE TABLE x_shopify_connector (id serial PRIMARY KEY, name varchar NOT NULL, api_token varchar, webhook_secret varchar NOT NULL);
        INSERT INTO x_shopify_connector (name, api_token, webhook_secret) VALUES ('Shop EU', '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', 'whsec_prod_a1b2c3d4e5f6');
        CREATE TABLE x_crm_extra (id serial PRIMARY KEY, partner_id integer, notes text);
        INSERT INTO x_crm_extra (partner_id, notes)
            SELECT id, 'Call back ' || name || ', write to ' || email || ' after the trade fair' FROM res_partner
             WHERE email LIKE '%@%' AND id NOT IN (SELECT partner_id FROM res_users WHERE active) ORDER BY id LIMIT 300;
        CREATE TABLE x_partner_contact (id serial PRIMARY KEY, partner_id integer, partner_email varchar);
        INSERT INTO x_partner_contact (partner_id, partner_email)
            SELECT id, email FROM res_partner WHERE email LIKE '%@%' AND id NOT IN (SELECT partner_id FROM res_users WHERE active) ORDER BY id DESC LIMIT 200;
        CREATE TABLE x_bank_info (id serial PRIMARY KEY, partner_id integer, iban varchar NOT NULL UNIQUE, holder varchar);
        INSERT INTO x_bank_info (partner_id, iban, holder) VALUES (10, 'DE89370400440532013000', 'A. Customer'), (11, 'FR1420041010050500013M02606', 'B. Customer');
        INSERT INTO ir_config_parameter (key, value) VALUES
            ('x_connector.session', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwcm9kLWFwaSIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXByb2QtMTIzNDU2');
        INSERT INTO ir_model_fields (model, name, ttype, state) VALUES ('x_crm_extra', 'notes', 'text', 'manual');
        """)
}

@Suite("Sanitization that fails closed: coverage of every column (real PostgreSQL)")
struct SanitizationCoverageTests {
    @Test("the coverage names each planted column with its class; Recommended clears the secrets, maps the addresses, and the proof says NEUTRALIZED")
    func recommendedCoversCustomModules() throws {
        let f = try CloneFixture()
        try plantCustomModules(f.source)
        let preview = try f.ocore.jsonObject(["clone", "preview", "production", "--json"])
        let coverage = try #require(preview["coverage"] as? [String: Any])
        let columns = try #require(coverage["columns"] as? [[String: Any]])
        let classOf = { (name: String) in columns.first { "\($0["table"] ?? "").\($0["column"] ?? "")" == name }?["class"] as? String }
        #expect(classOf("x_shopify_connector.api_token") == "secret_like")
        #expect(classOf("x_shopify_connector.webhook_secret") == "secret_like")
        #expect(classOf("x_bank_info.iban") == "secret_like")
        #expect(classOf("x_crm_extra.notes") == "personal")
        #expect(classOf("x_partner_contact.partner_email") == "personal")
        #expect(classOf("res_partner.email") == "sanitized")
        #expect(classOf("mail_message.message_type") == "known_safe")
        let parameters = coverage["secret_parameters"] as? [String] ?? []
        #expect(parameters.contains("x_connector.session") && parameters.contains("mail.web_push_vapid_private_key"))
        #expect(!parameters.contains("web.base.url") && !parameters.contains { $0.hasPrefix("database.") })
        let text = try f.ocore.ok(["clone", "preview", "production"])
        #expect(text.contains("COVERAGE") && text.contains("x_shopify_connector.api_token") && text.contains("text columns:"))

        let secretValues = ["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", "whsec_prod_a1b2c3d4e5f6", "DE89370400440532013000", "eyJhbGciOiJIUzI1NiIs"]
        let addresses = try TestPostgres.psql(f.source).query("SELECT lower(email) FROM res_partner WHERE id IN (SELECT partner_id FROM x_crm_extra UNION SELECT partner_id FROM x_partner_contact)").map { $0[0] }
        #expect(addresses.count >= 400)
        let name = "cov_\(UUID().uuidString.prefix(6).lowercased())"
        let doc = try f.clone(name, preset: "recommended")
        #expect(doc["status"] as? String == "completed")
        let secrets = try #require(result(doc, "clear_detected_secrets"))
        #expect(secrets["status"] as? String == "applied" && (secrets["affected_rows"] as? Int ?? 0) >= 5)
        // Cleared as the rows were read: no secret value was ever written to the target's files.
        #expect((secrets["reason"] as? String ?? "").hasPrefix("applied while copying"), "\(secrets)")
        try TestPostgres.psql().execute("CHECKPOINT;")
        #expect(try valuesOnDisk(of: name, among: secretValues).isEmpty)
        let t = f.target(name)
        #expect(try t.scalar("SELECT count(*) FROM x_shopify_connector WHERE api_token IS NOT NULL OR webhook_secret NOT LIKE 'cleared-%'") == "0")
        #expect(try t.query("SELECT iban FROM x_bank_info ORDER BY id").map { $0[0] } == ["cleared-1", "cleared-2"], "NOT NULL UNIQUE: one placeholder per row")
        #expect(try t.scalar("SELECT value = '' FROM ir_config_parameter WHERE key = 'x_connector.session'") == "t")
        let dump = try t.query("SELECT notes FROM x_crm_extra UNION ALL SELECT partner_email FROM x_partner_contact").map { $0[0].lowercased() }.joined(separator: "\n")
        #expect(!addresses.contains { dump.contains($0) }, "a customer address survived in a custom column")
        #expect(dump.contains("@staging.local"))
        let everything = try t.query("SELECT string_agg(x::text, ' ') FROM x_shopify_connector x UNION ALL SELECT string_agg(value, ' ') FROM ir_config_parameter").map { $0[0] }.joined()
        #expect(!secretValues.contains { everything.contains($0) })
        let proof = try #require(doc["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "NEUTRALIZED", "\(proof) \(text)")
        // The source is only read.
        #expect(try TestPostgres.psql(f.source).scalar("SELECT api_token FROM x_shopify_connector") == "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")
    }

    @Test("--strict refuses a column left as it is before anything is created; the option that covers it makes it pass; without --strict the verdict is PARTIAL and names it")
    func strictFailsClosed() throws {
        let f = try CloneFixture()
        try plantCustomModules(f.source)
        try TestPostgres.psql(f.source).execute("CREATE TABLE x_delivery_address (id serial PRIMARY KEY, street varchar); INSERT INTO x_delivery_address (street) VALUES ('12 Real Road');")
        let id = UUID().uuidString.prefix(6).lowercased()
        let refused = try f.ocore.run(["clone", "production", "--new", "strict1_\(id)", "--type", "staging", "--url", "https://strict1.acme.example", "--strict", "--json"])
        #expect(!refused.succeeded)
        let doc = try JSONSerialization.jsonObject(with: refused.stdout) as? [String: Any] ?? [:]
        let message = doc["error_message"] as? String ?? refused.stderrText
        #expect(message.contains("x_delivery_address.street"), "\(message)")
        #expect(doc["error_step"] as? String == "validating")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'strict1_\(id)'") == "0")
        #expect(!(try f.ocore.ok(["env", "list"])).contains("strict1_\(id)"))

        let passed = try f.clone("strict2_\(id)", preset: "recommended", extra: ["--strict", "--enable", "anonymize_addresses"])
        #expect(passed["status"] as? String == "completed")
        #expect(try f.target("strict2_\(id)").scalar("SELECT count(*) FROM x_delivery_address WHERE street IS NOT NULL") == "0")

        let partial = try f.clone("loose_\(id)", preset: "recommended")
        let proof = try #require(partial["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "PARTIAL")
        #expect("\(proof["findings"] ?? "")".contains("x_delivery_address.street"))
    }

    @Test("the proof's search of the target finds one customer's address (whichever customer it is), a customer's number, a secret token in a custom column and a secret left in its cleared column, each planted once; the clean clone stays NEUTRALIZED")
    func widenedProofFindsOnePlantedValue() throws {
        let f = try CloneFixture()
        try plantCustomModules(f.source)
        let name = "proof_\(UUID().uuidString.prefix(6).lowercased())"
        let doc = try f.clone(name, preset: "recommended")
        #expect(doc["status"] as? String == "completed")
        #expect((doc["proof"] as? [String: Any])?["verdict"] as? String == "NEUTRALIZED", "\(doc["proof"] ?? "")")

        let source = TestPostgres.psql(f.source), target = f.target(name)
        let proof = SanitizationProof(source: source, target: target)
        let options = ["anonymize_emails", "anonymize_phones", "clear_detected_secrets"]
        let cleared = [("x_shopify_connector", "api_token"), ("x_shopify_connector", "webhook_secret"), ("x_bank_info", "iban")].map {
            CoveredColumn(table: $0.0, column: $0.1, class: .secretLike, reason: "planted", treatment: .clear, option: "clear_detected_secrets")
        }
        let parameters = ["x_connector.session"]
        #expect(try proof.run(options: options, targetURL: nil, passwordHash: nil, secretColumns: cleared, secretParameters: parameters).verdict == "NEUTRALIZED")

        // The last customer in any order a sample would take (in capitals); a number as the source writes it.
        let customer = "id NOT IN (SELECT partner_id FROM res_users WHERE active) AND id NOT IN (SELECT partner_id FROM res_company)"
        let address = try #require(try source.scalar("SELECT max(lower(email)) FROM res_partner WHERE email LIKE '%@%' AND \(customer)"))
        let written = try #require(try source.scalar("SELECT min(v) FROM res_partner CROSS JOIN LATERAL unnest(ARRAY[phone, mobile]) v WHERE length(regexp_replace(v, '[^0-9]', '', 'g')) >= 6 AND \(customer)"))
        let jwt = try #require(try source.scalar("SELECT value FROM ir_config_parameter WHERE key = 'x_connector.session'"))
        try target.execute("""
            UPDATE mail_message SET body = '<p>Forwarded from ' || upper(\(SQL.literal(address))) || '</p>' WHERE id = (SELECT max(id) FROM mail_message);
            UPDATE mail_message SET body = '<p>Call ' || \(SQL.literal(written)) || ' today</p>' WHERE id = (SELECT min(id) FROM mail_message);
            UPDATE x_crm_extra SET notes = 'session: Bearer x, token ' || \(SQL.literal(jwt)) WHERE id = 7;
            UPDATE x_shopify_connector SET api_token = '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';
            """)
        let report = try proof.run(options: options, targetURL: nil, passwordHash: nil, secretColumns: cleared, secretParameters: parameters)
        #expect(report.verdict == "PARTIAL")
        let found = Dictionary(report.findings.map { ("\($0.location) \($0.detail)", $0.count) }, uniquingKeysWith: +)
        #expect(found["mail_message.body real customer e-mail addresses found"] == 1, "\(found)")
        #expect(found["mail_message.body real customer phone numbers found"] == 1, "\(found)")
        #expect(found["x_crm_extra.notes secret values of the source found"] == 1, "\(found)")
        #expect(found["x_shopify_connector.api_token secret values of the source still there"] == 1, "\(found)")
        #expect(found.keys.filter { !$0.hasPrefix("mail_message.body") && !$0.hasPrefix("x_crm_extra") && !$0.hasPrefix("x_shopify") }.isEmpty, "\(found)")
    }

    @Test("every row a clone streams is searched for every customer's address on its way: one address in a column the operator's rules call safe makes the verdict PARTIAL, naming the column")
    func streamedRowsAreSearched() throws {
        let f = try CloneFixture()
        let source = TestPostgres.psql(f.source)
        let customer = "id NOT IN (SELECT partner_id FROM res_users WHERE active) AND id NOT IN (SELECT partner_id FROM res_company)"
        let address = try #require(try source.scalar("SELECT max(email) FROM res_partner WHERE email LIKE '%@%' AND \(customer)"))
        try source.execute("UPDATE mail_message SET subject = 'Re: order for ' || \(SQL.literal(address)) WHERE id = (SELECT max(id) FROM mail_message);")
        let file = f.ocore.home + "/subject-safe.toml"
        try "[columns]\n\"mail_message.subject\" = \"safe\"\n".write(toFile: file, atomically: true, encoding: .utf8)

        let name = "instream_\(UUID().uuidString.prefix(6).lowercased())"
        let doc = try f.clone(name, preset: "recommended", extra: ["--rules", file])
        #expect(doc["status"] as? String == "completed")
        let proof = try #require(doc["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "PARTIAL", "\(proof)")
        let findings = proof["findings"] as? [[String: Any]] ?? []
        #expect(findings.contains { $0["location"] as? String == "mail_message.subject" && $0["count"] as? Int == 1 && "\($0["detail"] ?? "")".contains("customer e-mail") }, "\(findings)")
        #expect(findings.count == 1, "\(findings)")
        // What the proof says is what the target holds: the address, in that one row.
        #expect(try f.target(name).scalar("SELECT count(*) FROM mail_message WHERE position(\(SQL.literal(address)) IN subject) > 0") == "1")
    }
}
