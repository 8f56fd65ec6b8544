import Foundation
import OcoreOdoo
import OcoreTestSupport
import Testing

/// An operator's `sanitization.toml`: columns the coverage cannot know, classified by hand,
/// checked on the source before anything is created, applied while the data is copied.
@Suite("Sanitization rules of a project (real PostgreSQL)")
struct SanitizationRulesTests {
    func writeRules(_ f: CloneFixture, _ text: String, project: String = "acme") throws -> String {
        let dir = f.ocore.home + "/projects/\(project)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/sanitization.toml", atomically: true, encoding: .utf8)
        return dir + "/sanitization.toml"
    }

    func plantDeliveryAddresses(_ f: CloneFixture) throws {
        try plantCustomModules(f.source)
        try TestPostgres.psql(f.source).execute("""
            CREATE TABLE x_delivery_address (id serial PRIMARY KEY, street varchar NOT NULL, courier_ref varchar UNIQUE);
            INSERT INTO x_delivery_address (street, courier_ref) SELECT 'Real Road ' || g, 'REF-' || g FROM generate_series(1, 50) g;
            """)
    }

    @Test("the project's rules make a strict clone pass: computed in the copy stream and by UPDATE alike, shown in the coverage, the source untouched")
    func rulesMakeStrictPass() throws {
        let f = try CloneFixture()
        try plantDeliveryAddresses(f)
        let id = UUID().uuidString.prefix(6).lowercased()
        let refused = try f.ocore.run(["clone", "production", "--new", "rules0_\(id)", "--type", "staging", "--url", "https://r0.acme.example", "--strict", "--json"])
        #expect(!refused.succeeded, "x_delivery_address.street is personal and no option covers it")

        _ = try writeRules(f, """
            # delivery addresses of the shipping connector
            [columns]
            "x_delivery_address.street" = "sql: 'Street ' || id"
            "x_delivery_address.courier_ref" = "clear"
            "x_crm_extra.notes" = "email"
            """)
        let preview = try f.ocore.ok(["clone", "preview", "production"])
        #expect(preview.contains("x_delivery_address.street") && preview.contains("your rule: sql: 'Street ' || id"), "\(preview)")
        #expect(!preview.contains("RULE REFUSED"))

        let streamed = try f.clone("rules1_\(id)", preset: "recommended", extra: ["--strict"])
        #expect(streamed["status"] as? String == "completed")
        let rules = try #require(result(streamed, "sanitization_rules"))
        #expect(rules["status"] as? String == "applied" && "\(rules["reason"] ?? "")".contains("while copying"), "\(rules)")
        let t = f.target("rules1_\(id)")
        #expect(try t.query("SELECT street FROM x_delivery_address ORDER BY id LIMIT 2").map { $0[0] } == ["Street 1", "Street 2"])
        #expect(try t.scalar("SELECT count(*) FROM x_delivery_address WHERE courier_ref IS NOT NULL") == "0")
        #expect(try t.scalar("SELECT count(*) FROM x_delivery_address") == "50")
        let proof = try #require(streamed["proof"] as? [String: Any])
        #expect(proof["verdict"] as? String == "NEUTRALIZED", "\(proof)")

        // The same rules through UPDATE passes write the same values.
        let updated = try f.clone("rules2_\(id)", preset: "recommended", extra: ["--strict", "--sanitize-after-copy"])
        #expect(updated["status"] as? String == "completed")
        #expect(try f.target("rules2_\(id)").query("SELECT street, coalesce(courier_ref, '-') FROM x_delivery_address ORDER BY id").map { $0.joined(separator: "|") }
                == t.query("SELECT street, coalesce(courier_ref, '-') FROM x_delivery_address ORDER BY id").map { $0.joined(separator: "|") })
        #expect(try TestPostgres.psql(f.source).scalar("SELECT street FROM x_delivery_address WHERE id = 1") == "Real Road 1")
    }

    @Test("a rule that would break a unique index or NOT NULL is refused before the clone creates anything, every problem named")
    func constraintBreakingRulesRefusedUpFront() throws {
        let f = try CloneFixture()
        try plantDeliveryAddresses(f)
        let file = f.ocore.home + "/bad-rules.toml"
        try """
            [columns]
            "x_bank_info.iban" = "sql: 'XX00'"
            "x_delivery_address.street" = "null"
            "x_delivery_address.courier_ref" = "sql: 'same'"
            "x_shopify_connector.nosuch" = "clear"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let id = UUID().uuidString.prefix(6).lowercased()
        let run = try f.ocore.run(["clone", "production", "--new", "badrule_\(id)", "--type", "staging", "--url", "https://b.acme.example", "--rules", file, "--json"])
        #expect(!run.succeeded)
        let doc = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
        let message = doc["error_message"] as? String ?? run.stderrText
        #expect(doc["error_step"] as? String == "validating", "\(doc)")
        #expect(message.contains("x_delivery_address.street is NOT NULL"), "\(message)")
        #expect(message.contains("x_shopify_connector.nosuch: no such column"), "\(message)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'badrule_\(id)'") == "0")

        // Only the value problems left: the unique indexes are checked over the rewritten keys.
        try """
            [columns]
            "x_bank_info.iban" = "sql: 'XX00'"
            "x_delivery_address.courier_ref" = "sql: 'same'"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let unique = try f.ocore.run(["clone", "production", "--new", "badrule_\(id)", "--type", "staging", "--url", "https://b.acme.example", "--rules", file, "--json"])
        #expect(!unique.succeeded)
        let uniqueMessage = (try JSONSerialization.jsonObject(with: unique.stdout) as? [String: Any])?["error_message"] as? String ?? unique.stderrText
        #expect(uniqueMessage.contains("x_bank_info.iban would break unique index x_bank_info_iban_key"), "\(uniqueMessage)")
        #expect(uniqueMessage.contains("x_delivery_address.courier_ref would break unique index"), "\(uniqueMessage)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'badrule_\(id)'") == "0")
        #expect(!(try f.ocore.ok(["env", "list"])).contains("badrule_\(id)"))
        // A placeholder per row keeps the index whole.
        try "[columns]\n\"x_bank_info.iban\" = \"sql: 'XX00-' || id\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fixed = try f.clone("goodrule_\(id)", preset: "recommended", extra: ["--rules", file])
        #expect(fixed["status"] as? String == "completed")
        #expect(try f.target("goodrule_\(id)").query("SELECT iban FROM x_bank_info ORDER BY id").map { $0[0] } == ["XX00-1", "XX00-2"])
    }

    @Test("hostile or malformed rules are refused with a clear error before any job is queued")
    func hostileRulesRefused() throws {
        let f = try CloneFixture()
        let cases: [(String, String)] = [
            ("\"x_bank_info.iban\" = \"sql: 1); DROP TABLE res_users; --\"", "one expression"),
            ("\"x_bank_info.iban\" = \"sql: '1') || (select 1\"", "parentheses and quotes closed"),
            ("\"x_bank_info.iban\" = \"sql: 'a' \\\\! touch /tmp/pwned\"", "backslashes"),
            ("\"x_bank_info.iban\" = \"sql: $$)$$\"", "dollar quotes"),
            ("\"x_bank_info.iban; drop\" = \"clear\"", "write table.column"),
            ("\"x_bank_info.iban\" = \"scramble\"", "use safe, clear"),
            ("\"x_bank_info.iban\" = 3", "takes a string"),
        ]
        for (line, expected) in cases {
            _ = try writeRules(f, "[columns]\n" + line + "\n")
            let run = try f.ocore.run(["clone", "production", "--new", "hostile", "--type", "staging", "--url", "https://h.acme.example", "--json"])
            #expect(!run.succeeded)
            #expect(run.stderrText.contains("sanitization.toml") && run.stderrText.contains(expected), "\(line): \(run.stderrText)")
        }
        _ = try writeRules(f, "columns = 1\n")
        #expect(try f.ocore.run(["clone", "preview", "production"]).stderrText.contains("write the rules under [columns]"))
        #expect(try f.ocore.ok(["jobs", "list"]).contains("clone") == false, "nothing was queued")
    }

    @Test("an environment with strict sanitization makes every sanitized clone from it fail closed; lowering it on production needs its name typed")
    func strictEnvironment() throws {
        let f = try CloneFixture()
        try plantDeliveryAddresses(f)
        _ = try f.ocore.ok(["env", "set", "production", "--strict-sanitization"])
        let shown = try f.ocore.jsonObject(["env", "show", "production", "--json"])
        #expect(shown["strict_sanitization"] as? Bool == true)
        let id = UUID().uuidString.prefix(6).lowercased()
        let refused = try f.ocore.run(["clone", "production", "--new", "envstrict_\(id)", "--type", "staging", "--url", "https://s.acme.example", "--json"])
        #expect(!refused.succeeded)
        let doc = try JSONSerialization.jsonObject(with: refused.stdout) as? [String: Any] ?? [:]
        #expect("\(doc["error_message"] ?? "")".contains("x_delivery_address.street"), "\(doc)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'envstrict_\(id)'") == "0")

        let lowered = try f.ocore.run(["env", "set", "production", "--no-strict-sanitization"])
        #expect(!lowered.succeeded && lowered.stderrText.contains("--confirm production"), "\(lowered.stderrText)")
        _ = try f.ocore.ok(["env", "set", "production", "--no-strict-sanitization", "--confirm", "production"])
        #expect(try f.ocore.jsonObject(["env", "show", "production", "--json"])["strict_sanitization"] as? Bool == false)
    }
}
