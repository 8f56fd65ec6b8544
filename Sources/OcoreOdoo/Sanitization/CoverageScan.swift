import Foundation
import OcoreModel
import OcoreRemote

/// Classifies every text column of a source database, read-only: what the chosen options
/// sanitize, Odoo's own technical text, and — in modules nobody told ocore about — columns that
/// hold secrets or customers' data. One schema query, one query over `ir_model_fields`, then one
/// sampled read of each table (at most ``sampleRows`` rows, by `TABLESAMPLE` on big tables).
public struct CoverageScan: Sendable {
    public let psql: PSQL
    public var sampleRows = 5_000

    public init(psql: PSQL) {
        self.psql = psql
    }

    /// Columns an option changes, by option (those of Odoo 17 and its usual modules).
    static let optionColumns: [String: [(String, String)]] = {
        var map: [String: [(String, String)]] = [
            "anonymize_emails": [("res_partner", "email"), ("res_partner", "email_normalized"), ("res_users", "login")] + Sanitizer.emailColumns,
            "anonymize_phones": [("res_partner", "phone"), ("res_partner", "mobile")] + Sanitizer.phoneColumns + Sanitizer.phoneTextColumns,
            "anonymize_addresses": [("res_partner", "street"), ("res_partner", "street2"), ("res_partner", "city"), ("res_partner", "zip")],
            "clear_oauth_providers": [("auth_oauth_provider", "client_id"), ("auth_oauth_provider", "client_secret")],
            "clear_oauth_tokens": [("res_users", "oauth_access_token")],
            "reset_passwords": [("res_users", "password")],
            "disable_2fa": [("res_users", "totp_secret"), ("auth_totp_device", "key")],
            "update_base_url": [],
        ]
        map["clear_payment_providers"] = Sanitizer.paymentCredentialColumns.map { ("payment_provider", $0) }
        return map
    }()

    /// Name segments that mark a credential (`stripe_secret_key`, `x_api_token`, `smtp_pass`).
    static let secretSegments: Set<String> = ["token", "secret", "password", "passwd", "pass", "pwd", "apikey", "credential", "credentials",
                                              "iban", "webhook", "auth", "oauth", "bearer", "privkey"]
    /// Name segments that mark a partner's contact data outside `res_partner`.
    static let emailSegments: Set<String> = ["email", "mail"]
    static let phoneSegments: Set<String> = ["phone", "mobile", "fax"]
    static let addressSegments: Set<String> = ["street", "street2", "vat"]

    /// A value that is a credential by its look: a JWT, a PEM private key, a bearer token.
    static let strongSecretPattern = #"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|-----BEGIN [A-Z ]*PRIVATE KEY-----|[Bb]earer [A-Za-z0-9._~+/-]{20,}"#
    /// A long random-looking string (letters and digits, no spaces): a key, unless the column is
    /// one of Odoo's own (checksums and file names look the same).
    static let randomPattern = #"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_+/=.:-]{32,}$"#
    static let phoneValuePattern = #"^\+?[0-9][0-9 .()/-]{5,}[0-9]$"#

    /// Whether a column's name marks a credential.
    public static func secretName(_ column: String) -> Bool {
        let segments = column.lowercased().split(separator: "_").map(String.init)
        if segments.contains(where: secretSegments.contains) { return true }
        if segments.count >= 2 && segments.last == "key" { return true }  // api_key, license_key, stripe_publishable_key
        return column.lowercased() == "acc_number" || segments.contains("acc") && segments.contains("number")
    }

    struct SchemaColumn {
        var table: String
        var column: String
        var isText: Bool
        var notNull: Bool
    }

    struct Field {
        var ttype: String
        var manual: Bool
    }

    /// The scan, for a clone applying `options` (the coverage says what those will do).
    public func run(options: [String], rules: SanitizationRules = SanitizationRules()) throws -> CoverageReport {
        let started = ContinuousClock.now
        let schema = try psql.query("""
            SELECT c.relname, a.attname, (t.typcategory = 'S' OR t.typname IN ('json', 'jsonb'))::text, a.attnotnull::text, c.reltuples::bigint::text
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY c.relname, a.attnum
            """)
        var columns: [SchemaColumn] = []
        var estimatedRows: [String: Double] = [:]
        var present: [String: Set<String>] = [:]
        for row in schema where row.count == 5 {
            columns.append(SchemaColumn(table: row[0], column: row[1], isText: row[2] == "true", notNull: row[3] == "true"))
            estimatedRows[row[0]] = Double(row[4]) ?? 0
            present[row[0], default: []].insert(row[1])
        }
        var fields: [String: Field] = [:]
        if present["ir_model_fields"]?.isSuperset(of: ["model", "name", "ttype"]) == true {
            let state = present["ir_model_fields"]!.contains("state") ? "coalesce(state, 'base') = 'manual'" : "name LIKE 'x\\_%'"
            for row in try psql.query("SELECT replace(model, '.', '_'), name, ttype, (\(state))::text FROM ir_model_fields") where row.count == 4 {
                fields[row[0] + "." + row[1]] = Field(ttype: row[2], manual: row[3] == "true")
            }
        }
        let text = columns.filter(\.isText)
        let samples = try sample(text, estimatedRows: estimatedRows, present: present)

        var covered: [String: String] = [:]  // "table.column" → option
        for (option, list) in Self.optionColumns { for (t, c) in list { covered["\(t).\(c)"] = covered["\(t).\(c)"] ?? option } }
        let knownTables = Set(Self.optionColumns.values.flatMap { $0.map(\.0) })
        let enabled = Set(options)
        var report: [CoveredColumn] = []
        for column in text {
            let key = "\(column.table).\(column.column)"
            let hits = samples[key] ?? Hits()
            var entry = classify(column, field: fields[key], hits: hits, coveredBy: covered[key], knownTable: knownTables.contains(column.table),
                                 enabled: enabled, odooKnowsTable: fields.keys.contains { $0.hasPrefix(column.table + ".") })
            entry.notNull = column.notNull
            if let rule = rules.rule(table: column.table, column: column.column) {
                entry = CoveredColumn(table: column.table, column: column.column, class: .ruled, reason: "your rule: \(rule)",
                                      treatment: rule, option: nil, sampleHits: entry.sampleHits, notNull: column.notNull)
            }
            report.append(entry)
        }
        let parameters = present["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true ? try secretParameters(options: enabled) : []
        return CoverageReport(columns: report, nonTextColumns: columns.count - text.count, scanMs: Sanitizer.ms(ContinuousClock.now - started),
                              secretParameters: parameters)
    }

    struct Hits {
        var nonEmpty = 0
        var strongSecrets = 0
        var randomStrings = 0
        var customerEmails = 0
        var anyEmails = 0
        var phoneValues = 0
    }

    func classify(_ column: SchemaColumn, field: Field?, hits: Hits, coveredBy option: String?, knownTable: Bool, enabled: Set<String>,
                  odooKnowsTable: Bool) -> CoveredColumn {
        let (table, name) = (column.table, column.column)
        func entry(_ c: CoveredColumn.Class, _ reason: String, _ treatment: ColumnTreatment? = nil, option: String? = nil, hits n: Int = 0) -> CoveredColumn {
            CoveredColumn(table: table, column: name, class: c, reason: reason, treatment: treatment, option: option, sampleHits: n)
        }
        let secrets = enabled.contains("clear_detected_secrets")
        if let option, enabled.contains(option) { return entry(.sanitized, option, option: option) }
        if table == "ir_config_parameter" {
            return name == "value" ? entry(.sanitized, "system parameters: the credential options and Odoo's neutralization", option: "clear_api_keys")
                : entry(.knownSafe, "system parameter keys")
        }
        if table == "res_users" && name == "password" { return entry(.knownSafe, "password hashes (pbkdf2-sha512): reset_passwords resets them", .keep) }
        if field?.ttype == "selection" { return entry(.knownSafe, "selection keys") }
        let odooField = field.map { !$0.manual } ?? false
        let segments = Set(name.lowercased().split(separator: "_").map(String.init))
        // A credential by its name, or by what it holds.
        if Self.secretName(name) || hits.strongSecrets > 0 || (!odooField && hits.randomStrings > 0 && hits.randomStrings * 2 >= hits.nonEmpty) {
            let why = Self.secretName(name) ? "named like a credential" : hits.strongSecrets > 0 ? "holds tokens or keys (\(hits.strongSecrets) in the sample)"
                : "holds long random strings (\(hits.randomStrings) in the sample)"
            return entry(.secretLike, why + (option.map { "; \($0) is off" } ?? ""), secrets ? .clear : nil, option: secrets ? "clear_detected_secrets" : nil,
                         hits: hits.strongSecrets + hits.randomStrings)
        }
        // A column a switched-off option covers is the operator's choice.
        if let option { return entry(.personal, "kept: \(option) is off", .keep, option: option) }
        let emails = enabled.contains("anonymize_emails"), phones = enabled.contains("anonymize_phones")
        let emailNamed = !segments.isDisjoint(with: Self.emailSegments) && !knownTable
        if hits.customerEmails > 0 || emailNamed || (!odooField && hits.anyEmails > 0) {
            let why = hits.customerEmails > 0 ? "holds customers' e-mail addresses (\(hits.customerEmails) in the sample)"
                : emailNamed ? "named like an e-mail field" : "holds e-mail addresses (\(hits.anyEmails) in the sample)"
            return entry(.personal, why, emails ? .email : nil, option: emails ? "anonymize_emails" : nil, hits: max(hits.customerEmails, hits.anyEmails))
        }
        let phoneNamed = !segments.isDisjoint(with: Self.phoneSegments) && !knownTable
        if phoneNamed || (hits.phoneValues > 0 && hits.phoneValues * 2 >= hits.nonEmpty && !odooField) {
            return entry(.personal, phoneNamed ? "named like a phone field" : "holds phone numbers (\(hits.phoneValues) in the sample)",
                         phones ? .phone : nil, option: phones ? "anonymize_phones" : nil, hits: hits.phoneValues)
        }
        if !knownTable && !segments.isDisjoint(with: Self.addressSegments) || name.lowercased().hasPrefix("street") && !knownTable {
            let addresses = enabled.contains("anonymize_addresses")
            return entry(.personal, "named like an address or tax number", addresses ? .clear : nil, option: addresses ? "anonymize_addresses" : nil)
        }
        if odooField { return entry(.knownSafe, "Odoo field (\(field!.ttype)); the sample holds no customer data") }
        if knownTable && field == nil && !odooKnowsTable { return entry(.knownSafe, "Odoo's own table; the sample holds no customer data") }
        return entry(.unclassified, field?.manual == true ? "custom field; nothing recognised in the sample" : "no module declares it; nothing recognised in the sample")
    }

    /// One sampled read per table: per text column, the rows that hold secrets, addresses of
    /// customers (looked up in `res_partner` by index), any address, and whole phone numbers.
    func sample(_ text: [SchemaColumn], estimatedRows: [String: Double], present: [String: Set<String>]) throws -> [String: Hits] {
        let byTable = Dictionary(grouping: text, by: \.table)
        guard !byTable.isEmpty else { return [:] }
        let partner = present["res_partner"] ?? []
        let users = present["res_users"] ?? []
        let lookup = partner.contains("email_normalized") ? "p.email_normalized" : "lower(p.email)"
        let notUser = users.isSuperset(of: ["partner_id", "active"]) ? " AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id AND u.active)" : ""
        let customer = partner.contains("email")
            ? "EXISTS (SELECT 1 FROM regexp_matches(%@, \(SQL.literal(Sanitizer.emailPattern)), 'g') m JOIN res_partner p ON \(lookup) = lower(m[1])\(notUser))"
            : "false"
        var script = "BEGIN READ ONLY;\nSET LOCAL statement_timeout = '60s';\n\(SQL.jitOffInTransaction)\n"
        var order: [(String, [String])] = []
        for table in byTable.keys.sorted() {
            let cols = byTable[table]!.map(\.column)
            let estimate = estimatedRows[table] ?? 0
            let sampleClause = estimate > Double(sampleRows) * 2 ? " TABLESAMPLE SYSTEM (\(String(format: "%.4f", min(100, Double(sampleRows) * 200 / estimate))))" : ""
            let select = cols.map { SQL.identifier($0) + "::text AS " + SQL.identifier($0) }.joined(separator: ", ")
            var counts: [String] = []
            for c in cols.map(SQL.identifier) {
                counts += ["count(\(c)) FILTER (WHERE \(c) <> '')",
                           "count(*) FILTER (WHERE \(c) ~ \(SQL.literal(Self.strongSecretPattern)))",
                           "count(*) FILTER (WHERE length(\(c)) BETWEEN 32 AND 4096 AND \(c) ~ \(SQL.literal(Self.randomPattern)))",
                           "count(*) FILTER (WHERE \(c) LIKE '%@%' AND \(customer.replacingOccurrences(of: "%@", with: c)))",
                           "count(*) FILTER (WHERE \(c) LIKE '%@%' AND \(c) ~ \(SQL.literal(Sanitizer.emailPattern)))",
                           "count(*) FILTER (WHERE length(\(c)) < 40 AND \(c) ~ \(SQL.literal(Self.phoneValuePattern)))"]
            }
            script += "SELECT \(SQL.literal(table)), \(counts.joined(separator: ", ")) FROM (SELECT \(select) FROM ONLY \(SQL.identifier(table))\(sampleClause) LIMIT \(sampleRows)) s;\n"
            order.append((table, cols))
        }
        script += "COMMIT;\n"
        var hits: [String: Hits] = [:]
        let columnsOf = Dictionary(uniqueKeysWithValues: order)
        for row in try psql.query(script, timeout: .seconds(120)) {
            guard let table = row.first, let cols = columnsOf[table], row.count == 1 + cols.count * 6 else { continue }
            for (i, column) in cols.enumerated() {
                let v = row[(1 + i * 6)..<(1 + i * 6 + 6)].map { Int($0) ?? 0 }
                hits["\(table).\(column)"] = Hits(nonEmpty: v[0], strongSecrets: v[1], randomStrings: v[2], customerEmails: v[3], anyEmails: v[4], phoneValues: v[5])
            }
        }
        return hits
    }

    /// System parameters of any module whose key is named like a credential or whose value looks
    /// like one, beyond what the chosen named options already clear (and `database.*`, which the
    /// new identity replaces).
    func secretParameters(options: Set<String>) throws -> [String] {
        var excluded: [String] = []
        if options.contains("clear_api_keys") { excluded.append(ImpactPreview.keyMatches(ImpactPreview.apiKeyPatterns)) }
        if options.contains("clear_webhook_urls") { excluded.append(ImpactPreview.keyMatches(ImpactPreview.webhookPatterns)) }
        if options.contains("clear_integration_credentials") { excluded.append(ImpactPreview.keyMatches(ImpactPreview.integrationPatterns)) }
        let rows = try psql.query("""
            SELECT key FROM ir_config_parameter
             WHERE value <> '' AND key NOT LIKE 'database.%' AND key <> 'web.base.url'
               AND (key ~* \(SQL.literal(Self.secretKeyPattern)) OR value ~ \(SQL.literal(Self.strongSecretPattern))
                    OR (length(value) BETWEEN 32 AND 4096 AND value ~ \(SQL.literal(Self.randomPattern))))
               \(excluded.map { "AND NOT \($0)" }.joined(separator: " "))
             ORDER BY key
            """)
        return rows.map { $0[0] }
    }

    /// A parameter key named like a credential: one of the segments, or a `…_key` / `….key`.
    static let secretKeyPattern = #"(^|[._])(token|secret|password|passwd|pass|pwd|apikey|api_key|credentials?|webhook|auth|oauth|bearer|iban)([._]|$)|[._]key$|private_key"#
}
