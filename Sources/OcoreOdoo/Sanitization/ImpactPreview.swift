import Foundation
import OcoreModel
import OcoreRemote

/// How many rows each sanitization option would change, counted on the source, read-only, with
/// a statement timeout: one query for the schema, then one scan per table with a `FILTER`ed count
/// per option (the cost of previewing every option is the cost of reading each table once).
/// Options whose tables or columns do not exist are reported as skipped, with the reason.
public struct ImpactPreview: Sendable {
    public struct Impact: Sendable, Equatable {
        public var key: String
        public var count: Int?
        public var skippedReason: String?

        public init(key: String, count: Int?, skippedReason: String? = nil) {
            self.key = key
            self.count = count
            self.skippedReason = skippedReason
        }

        public var text: String {
            guard let option = SanitizationCatalog.option(key) else { return "" }
            if let count { return String(format: option.impactFormat, count) }
            return "not applicable: \(skippedReason ?? "?")"
        }
    }

    /// One count an option is made of: rows of `table` matching `condition`. A column written
    /// `a|b` means "a, or b where a does not exist"; `{a|b}` in the condition is replaced by it.
    struct Term {
        let option: String
        let table: String
        let columns: [String]
        let condition: String
    }

    static let notActiveUser = "id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active))"
    static let apiKeyPatterns = ["%api_key%", "%secret%", "%token%", "%password%", "%credential%"]
    static let webhookPatterns = ["%webhook%", "%callback_url%", "%notify_url%"]
    static let integrationPatterns = ["%sms_%", "%shipping_%", "%analytics_%", "%google_analytics%", "%facebook_%", "%twitter_%",
                                      "%sendgrid_%", "%twilio_%", "%mailgun_%"]

    static func keyMatches(_ patterns: [String]) -> String {
        "(" + patterns.map { "key ILIKE \(SQL.literal($0))" }.joined(separator: " OR ") + ")"
    }

    static let terms: [Term] = [
        Term(option: "disable_mail_servers", table: "ir_mail_server", columns: ["active", "smtp_host"], condition: "active AND smtp_host IS DISTINCT FROM 'invalid'"),
        Term(option: "clear_mail_queue", table: "mail_mail", columns: ["state"], condition: "state IN ('outgoing', 'exception')"),
        Term(option: "disable_mail_templates", table: "mail_template", columns: ["active"], condition: "active"),
        Term(option: "anonymize_emails", table: "res_partner", columns: ["email"], condition: "email IS NOT NULL AND email <> '' AND \(notActiveUser)"),
        Term(option: "anonymize_phones", table: "res_partner", columns: ["phone", "mobile"],
             condition: "(phone IS NOT NULL OR mobile IS NOT NULL) AND \(notActiveUser) AND id NOT IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)"),
        Term(option: "anonymize_addresses", table: "res_partner", columns: ["street"], condition: "street IS NOT NULL AND \(notActiveUser)"),
        Term(option: "anonymize_company_names", table: "res_partner", columns: ["is_company"],
             condition: "is_company AND id <> ALL(ARRAY(SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL))"),
        Term(option: "clear_api_keys", table: "ir_config_parameter", columns: ["key", "value"],
             condition: "value <> '' AND \(keyMatches(apiKeyPatterns))"),
        Term(option: "update_base_url", table: "ir_config_parameter", columns: ["key"], condition: "key = 'web.base.url'"),
        Term(option: "clear_oauth_providers", table: "auth_oauth_provider", columns: ["client_id", "enabled"],
             condition: "(client_id IS NOT NULL AND client_id <> '') OR enabled"),
        Term(option: "clear_payment_providers", table: "payment_provider", columns: ["state"], condition: "state <> 'disabled'"),
        Term(option: "clear_oauth_tokens", table: "auth_oauth_token", columns: [], condition: "true"),
        Term(option: "clear_oauth_tokens", table: "res_users", columns: ["oauth_access_token"], condition: "oauth_access_token IS NOT NULL"),
        Term(option: "clear_webhook_urls", table: "ir_config_parameter", columns: ["key", "value"],
             condition: "value <> '' AND \(keyMatches(webhookPatterns))"),
        Term(option: "clear_integration_credentials", table: "ir_config_parameter", columns: ["key", "value"],
             condition: "value <> '' AND \(keyMatches(integrationPatterns))"),
        Term(option: "reset_passwords", table: "res_users", columns: ["active", "password"], condition: "active"),
        Term(option: "disable_2fa", table: "auth_totp_device", columns: [], condition: "true"),
        Term(option: "disable_2fa", table: "res_users", columns: ["totp_secret"], condition: "totp_secret IS NOT NULL"),
        Term(option: "clear_asset_bundles", table: "ir_attachment", columns: ["name", "res_model", "res_field"],
             condition: "name LIKE 'web.assets_%.min.%' OR name LIKE 'web.assets_%.css' OR name LIKE 'web.assets_%.js' OR (res_model = 'ir.ui.view' AND res_field = 'arch_db')"),
        Term(option: "disable_crons", table: "ir_cron", columns: ["active", "cron_name|name"],
             condition: "active AND {cron_name|name} NOT ILIKE '%Garbage%' AND {cron_name|name} NOT ILIKE '%Cleanup%' AND id NOT IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job')"),
        Term(option: "clear_scheduled_messages", table: "mail_mail", columns: ["state", "scheduled_date"],
             condition: "state = 'outgoing' AND scheduled_date > now()"),
        Term(option: "clear_scheduled_messages", table: "sms_sms", columns: ["state"], condition: "state = 'outgoing'"),
    ]

    /// The Odoo module that creates a table, to explain why it is absent.
    static let moduleOfTable = ["auth_oauth_provider": "auth_oauth", "auth_oauth_token": "auth_oauth (or a token module)",
                                "payment_provider": "payment", "auth_totp_device": "auth_totp", "sms_sms": "sms", "mail_mail": "mail",
                                "mail_template": "mail", "ir_mail_server": "base"]

    public let psql: PSQL

    public init(psql: PSQL) {
        self.psql = psql
    }

    /// Counts for `keys` (all options when nil).
    public func run(keys: [String]? = nil) throws -> [Impact] {
        let wanted = keys ?? SanitizationCatalog.options.map(\.key)
        let relevant = Self.terms.filter { wanted.contains($0.option) }
        let tables = Array(Set(relevant.map(\.table))).sorted()
        let schema = try psql.query("""
            SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name IN (\(tables.map(SQL.literal).joined(separator: ", ")))
            """)
        var columns: [String: Set<String>] = [:]
        for row in schema where row.count == 2 { columns[row[0], default: []].insert(row[1]) }

        var reasons: [String: String] = [:]
        var usable: [(Term, String)] = []  // term and its resolved condition
        for term in relevant {
            guard let present = columns[term.table] else {
                let module = Self.moduleOfTable[term.table].map { ": module \($0) not installed" } ?? ""
                reasons[term.option] = reasons[term.option] ?? "table \(term.table) absent\(module)"
                continue
            }
            var condition = term.condition
            var missing: String?
            for column in term.columns {
                let choices = column.split(separator: "|").map(String.init)
                guard let found = choices.first(where: present.contains) else { missing = choices[0]; break }
                if choices.count > 1 { condition = condition.replacingOccurrences(of: "{\(column)}", with: SQL.identifier(found)) }
            }
            if let missing {
                reasons[term.option] = reasons[term.option] ?? "column \(term.table).\(missing) absent"
                continue
            }
            usable.append((term, condition))
        }

        var script = "BEGIN READ ONLY;\nSET LOCAL statement_timeout = '60s';\n\(SQL.jitOffInTransaction)\n"
        let byTable = Dictionary(grouping: usable.indices, by: { usable[$0].0.table })
        for table in byTable.keys.sorted() {
            let counts = byTable[table]!.map { "count(*) FILTER (WHERE \(usable[$0].1))" }
            script += "SELECT \(SQL.literal(table)), \(counts.joined(separator: ", ")) FROM \(SQL.identifier(table));\n"
        }
        script += "COMMIT;\n"
        var totals: [String: Int] = [:]
        for row in try psql.query(script, timeout: .seconds(120)) where row.count > 1 {
            guard let indices = byTable[row[0]] else { continue }
            for (i, index) in indices.enumerated() where i + 1 < row.count {
                totals[usable[index].0.option, default: 0] += Int(row[i + 1]) ?? 0
            }
        }
        return wanted.map { key in
            if let count = totals[key] { return Impact(key: key, count: count) }
            return Impact(key: key, count: nil, skippedReason: reasons[key] ?? "nothing to count")
        }
    }
}
