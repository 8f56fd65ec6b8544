import Foundation
import OcoreModel
import OcoreRemote

/// Applies sanitization options to a clone's *target* database. Each option runs in its own
/// transaction: a failing option is reported with its error and the others still apply. Tables
/// and columns are checked first; what is absent is skipped with the reason.
public struct Sanitizer: Sendable {
    public typealias Result = SanitizationResult

    public struct Context: Sendable {
        public var targetURL: String?
        /// Odoo's pbkdf2-sha512 hash of the reset password (passlib format).
        public var passwordHash: String
        /// Key for the consistent e-mail mapping of this clone (never stored).
        public var mappingKey: String
        /// The source's coverage: the columns and parameters `clear_detected_secrets` clears.
        public var coverage: CoverageReport?

        public init(targetURL: String?, passwordHash: String, mappingKey: String, coverage: CoverageReport? = nil) {
            self.targetURL = targetURL
            self.passwordHash = passwordHash
            self.mappingKey = mappingKey
            self.coverage = coverage
        }
    }

    public let psql: PSQL

    public init(psql: PSQL) {
        self.psql = psql
    }

    static let emailPattern = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"
    /// Text columns where customer addresses live besides res_partner (Odoo 17).
    static let emailColumns: [(String, String)] = [("mail_message", "email_from"), ("mail_message", "reply_to"), ("mail_message", "body"),
                                                   ("mail_mail", "email_to"), ("mail_mail", "email_cc"), ("mail_mail", "body_html"),
                                                   ("mail_tracking_value", "old_value_char"), ("mail_tracking_value", "new_value_char")]

    /// Free text where customers' phone numbers turn up (chatter, SMS, mail bodies, tracking).
    static let phoneTextColumns: [(String, String)] = [("mail_message", "body"), ("mail_mail", "body_html"), ("sms_sms", "body"),
                                                       ("mail_tracking_value", "old_value_char"), ("mail_tracking_value", "new_value_char")]
    /// Columns that hold one phone number each, outside the partner itself.
    static let phoneColumns: [(String, String)] = [("sms_sms", "number"), ("crm_lead", "phone"), ("crm_lead", "mobile"),
                                                   ("res_partner", "phone_sanitized"), ("crm_lead", "phone_sanitized")]
    /// Credential columns of the usual payment providers (Stripe, PayPal, Authorize.net, Ogone).
    static let paymentCredentialColumns = ["stripe_secret_key", "stripe_publishable_key", "stripe_webhook_secret", "paypal_email_account", "paypal_seller_account",
                                           "paypal_pdt_token", "authorize_login", "authorize_transaction_key", "ogone_pspid", "ogone_userid", "ogone_password"]
    /// Something that looks like a phone number in text: a digit, then digits and separators, a digit.
    static let phonePattern = "\\+?[0-9][0-9 .()/-]{5,}[0-9]"

    public func apply(_ keys: [String], context: Context) throws -> [Result] {
        let schema = try psql.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
        var columns: [String: Set<String>] = [:]
        for row in schema where row.count == 2 { columns[row[0], default: []].insert(row[1]) }
        return keys.map { key in
            let (sql, skip) = Self.plan(key, columns: columns, context: context)
            guard skip == nil else { return Result(optionKey: key, status: .skipped, affectedRows: 0, durationMs: 0, reason: skip) }
            let started = ContinuousClock.now
            do {
                let output = try psql.executeCountingRows("BEGIN;\n" + sql.joined(separator: "\n") + "\nCOMMIT;\n")
                return Result(optionKey: key, status: .applied, affectedRows: output, durationMs: Self.ms(ContinuousClock.now - started), reason: nil)
            } catch {
                return Result(optionKey: key, status: .failed, affectedRows: 0, durationMs: Self.ms(ContinuousClock.now - started), reason: "\(error)")
            }
        }
    }

    /// Columns of other modules an enabled option clears because the coverage found them (an
    /// address column of a connector's table with `anonymize_addresses`): one UPDATE each.
    public func clearDetected(_ coverage: CoverageReport, options: [String]) throws -> Int {
        let entries = coverage.columns.filter { $0.class != .sanitized && $0.treatment == .clear && $0.option != "clear_detected_secrets"
            && $0.option.map(options.contains) == true }
        guard !entries.isEmpty else { return 0 }
        let schema = try psql.query("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
        var columns: [String: Set<String>] = [:]
        for row in schema where row.count == 2 { columns[row[0], default: []].insert(row[1]) }
        let sql = entries.filter { columns[$0.table]?.contains($0.column) == true }.map { e in
            "UPDATE \(SQL.identifier(e.table)) SET \(SQL.identifier(e.column)) = \(Self.clearedValue(e, columns: columns[e.table]!)) WHERE \(SQL.identifier(e.column)) IS NOT NULL;"
        }
        return sql.isEmpty ? 0 : try psql.executeCountingRows("BEGIN;\n" + sql.joined(separator: "\n") + "\nCOMMIT;\n")
    }

    /// The operator's rules as `UPDATE` passes (a restore, or `--sanitize-after-copy`): the same
    /// expressions the copy's SELECT computes, one transaction, reported as `sanitization_rules`.
    public func applyRules(_ rules: [ColumnRule]) -> Result {
        let computed = rules.filter { $0.expression != nil }
        guard !computed.isEmpty else { return Result(optionKey: Self.rulesKey, status: .skipped, affectedRows: 0, durationMs: 0, reason: "no rule computes a value") }
        let started = ContinuousClock.now
        let sql = Dictionary(grouping: computed, by: \.table).sorted { $0.key < $1.key }.map { table, rules in
            "UPDATE ONLY \(SQL.identifier(table)) SET " + rules.map { "\(SQL.identifier($0.column)) = \($0.expression!)" }.joined(separator: ", ") + ";"
        }
        do {
            let rows = try psql.executeCountingRows("BEGIN;\n" + sql.joined(separator: "\n") + "\nCOMMIT;\n")
            return Result(optionKey: Self.rulesKey, status: .applied, affectedRows: rows, durationMs: Self.ms(ContinuousClock.now - started),
                          reason: computed.map(\.name).joined(separator: ", "))
        } catch {
            return Result(optionKey: Self.rulesKey, status: .failed, affectedRows: 0, durationMs: Self.ms(ContinuousClock.now - started), reason: "\(error)")
        }
    }

    /// The result key of the operator's rules (beside the options').
    public static let rulesKey = "sanitization_rules"

    /// Columns of other modules the coverage maps as e-mails or phones.
    static func detected(_ treatment: ColumnTreatment, _ context: Context) -> [(String, String)] {
        (context.coverage?.columns ?? []).filter { $0.treatment == treatment && $0.class != .sanitized && $0.table != "res_partner" && $0.table != "res_users" }
            .map { ($0.table, $0.column) }
    }

    /// What a cleared value becomes: NULL, or on a NOT NULL column a per-row placeholder (unique
    /// like the values it replaces, so a unique index still holds).
    static func clearedValue(_ entry: CoveredColumn, columns: Set<String>) -> String {
        guard entry.notNull else { return "NULL" }
        return columns.contains("id") ? "'cleared-' || id" : "''"
    }

    /// A row whose detected secret column `c` (quoted) the clearing changes.
    static func holdsSecret(_ c: String) -> String { "(\(c) IS NOT NULL AND \(c)::text <> '' AND \(c)::text NOT LIKE 'cleared-%')" }

    /// A system parameter among the detected secret `keys`.
    static func secretParameter(_ keys: [String]) -> String { "\"key\" IN (" + keys.sorted().map(SQL.literal).joined(separator: ", ") + ")" }

    public static func ms(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

    static let notActiveUser = "id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active))"

    /// The companies' own partners (their switchboard number is not a customer's personal data).
    static func notCompany(_ id: String, _ columns: [String: Set<String>]) -> String {
        columns["res_company"]?.contains("partner_id") == true ? "\(id) <> ALL(ARRAY(SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL))" : "true"
    }

    /// SQL for one option, or the reason it does not apply to this schema.
    static func plan(_ key: String, columns: [String: Set<String>], context: Context) -> ([String], String?) {
        func has(_ table: String, _ cols: String...) -> String? { absent(table, cols, columns) }
        switch key {
        case "anonymize_emails":
            if let r = has("res_partner", "email") { return ([], r) }
            // One keyed mapping per clone: the same real address becomes the same fake address in
            // every table; active users' own addresses are kept.
            var sql = ["""
                CREATE TEMP TABLE ocore_kept ON COMMIT DROP AS
                    SELECT DISTINCT lower(p.email) AS address FROM res_partner p JOIN res_users u ON u.partner_id = p.id WHERE u.active AND p.email IS NOT NULL;
                CREATE TEMP TABLE ocore_email_map ON COMMIT DROP AS
                    SELECT DISTINCT ON (lower(email)) lower(email) AS real, 'user_' || id || '@staging.local' AS fake
                      FROM res_partner WHERE email IS NOT NULL AND email <> '' AND \(notActiveUser) AND lower(email) NOT IN (SELECT address FROM ocore_kept)
                     ORDER BY lower(email), id;
                CREATE INDEX ON ocore_email_map (real);
                CREATE FUNCTION pg_temp.ocore_anonymize(t text) RETURNS text LANGUAGE plpgsql AS $f$
                DECLARE m text; r text := t; fake text;
                BEGIN
                    IF t IS NULL OR position('@' IN t) = 0 THEN RETURN t; END IF;
                    FOR m IN SELECT DISTINCT (regexp_matches(t, \(SQL.literal(emailPattern)), 'g'))[1] LOOP
                        CONTINUE WHEN lower(m) IN (SELECT address FROM ocore_kept) OR lower(m) LIKE '%@staging.local';
                        SELECT e.fake INTO fake FROM ocore_email_map e WHERE e.real = lower(m);
                        IF fake IS NULL THEN fake := 'x' || left(md5(\(SQL.literal(context.mappingKey)) || lower(m)), 12) || '@staging.local'; END IF;
                        r := replace(r, m, fake);
                    END LOOP;
                    RETURN r;
                END $f$;
                UPDATE res_partner p SET email = e.fake FROM ocore_email_map e WHERE lower(p.email) = e.real AND p.id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active));
                UPDATE res_partner SET email = 'user_' || id || '@staging.local' WHERE email IS NOT NULL AND email <> '' AND email NOT LIKE '%@staging.local' AND \(notActiveUser) AND lower(email) NOT IN (SELECT address FROM ocore_kept);
                """]
            if columns["res_partner"]?.contains("email_normalized") == true {
                sql.append("UPDATE res_partner SET email_normalized = lower(email) WHERE email LIKE '%@staging.local' AND email_normalized IS DISTINCT FROM lower(email);")
            }
            for (table, column) in emailColumns + detected(.email, context) where columns[table]?.contains(column) == true {
                sql.append("UPDATE \(SQL.identifier(table)) SET \(SQL.identifier(column)) = pg_temp.ocore_anonymize(\(SQL.identifier(column))) WHERE \(SQL.identifier(column)) LIKE '%@%' AND \(SQL.identifier(column)) IS DISTINCT FROM pg_temp.ocore_anonymize(\(SQL.identifier(column)));")
            }
            // Archived users (portal users' logins are their e-mail addresses) get the same mapping;
            // active users keep their login.
            if columns["res_users"]?.isSuperset(of: ["login", "active"]) == true {
                sql.append("UPDATE res_users SET login = pg_temp.ocore_anonymize(login) WHERE NOT active AND login LIKE '%@%' AND login IS DISTINCT FROM pg_temp.ocore_anonymize(login);")
            }
            return (sql, nil)
        case "anonymize_phones":
            if let r = has("res_partner", "phone", "mobile") { return ([], r) }
            // Like e-mails: one mapping per clone from each customer's number (compared by its
            // digits) to that partner's fake number, applied to the partner, to phone columns
            // elsewhere and to numbers quoted in free text; active users' own numbers are kept.
            var sql = ["""
                CREATE TEMP TABLE ocore_phone_map ON COMMIT DROP AS
                    SELECT DISTINCT ON (digits) digits, fake FROM (
                        SELECT regexp_replace(v, '[^0-9]', '', 'g') AS digits, '555-' || lpad(p.id::text, 4, '0') AS fake, p.id
                          FROM res_partner p CROSS JOIN LATERAL unnest(ARRAY[p.phone, p.mobile]) AS v
                         WHERE v IS NOT NULL AND p.\(notActiveUser) AND \(notCompany("p.id", columns))) s
                     WHERE length(digits) >= 6 ORDER BY digits, id;
                CREATE INDEX ON ocore_phone_map (digits);
                CREATE FUNCTION pg_temp.ocore_phones(t text, keyed boolean) RETURNS text LANGUAGE plpgsql AS $f$
                DECLARE m text; r text := t; d text; fake text;
                BEGIN
                    IF t IS NULL OR t !~ '[0-9]{3}' THEN RETURN t; END IF;
                    FOR m IN SELECT DISTINCT (regexp_matches(t, \(SQL.literal(Self.phonePattern)), 'g'))[1] LOOP
                        d := regexp_replace(m, '[^0-9]', '', 'g');
                        CONTINUE WHEN length(d) < 6 OR m LIKE '555-%';
                        SELECT e.fake INTO fake FROM ocore_phone_map e WHERE e.digits = d;
                        IF fake IS NULL AND keyed THEN fake := '555-x' || left(md5(\(SQL.literal(context.mappingKey)) || d), 6); END IF;
                        IF fake IS NOT NULL THEN r := replace(r, m, fake); END IF;
                    END LOOP;
                    RETURN r;
                END $f$;
                """]
            // A column of phone numbers: every number in it is a customer's (keyed when unknown);
            // free text: only the customers' known numbers (dates and amounts are digits too).
            for (table, column) in Self.phoneColumns + detected(.phone, context) where columns[table]?.contains(column) == true && !(table == "res_partner") {
                let c = SQL.identifier(column)
                sql.append("UPDATE \(SQL.identifier(table)) SET \(c) = pg_temp.ocore_phones(\(c), true) WHERE \(c) ~ '[0-9]{3}' AND \(c) IS DISTINCT FROM pg_temp.ocore_phones(\(c), true);")
            }
            for (table, column) in Self.phoneTextColumns where columns[table]?.contains(column) == true {
                let c = SQL.identifier(column)
                sql.append("UPDATE \(SQL.identifier(table)) SET \(c) = pg_temp.ocore_phones(\(c), false) WHERE \(c) ~ '[0-9]{3}' AND \(c) IS DISTINCT FROM pg_temp.ocore_phones(\(c), false);")
            }
            sql.append("UPDATE res_partner SET phone = '555-' || lpad(id::text, 4, '0'), mobile = NULL WHERE (phone IS NOT NULL OR mobile IS NOT NULL) AND \(notActiveUser) AND \(notCompany("id", columns));")
            if columns["res_partner"]?.contains("phone_sanitized") == true {
                sql.append("UPDATE res_partner SET phone_sanitized = phone WHERE phone LIKE '555-%' AND phone_sanitized IS DISTINCT FROM phone;")
            }
            return (sql, nil)
        case "anonymize_addresses":
            if let r = has("res_partner", "street", "street2", "city", "zip") { return ([], r) }
            return (["UPDATE res_partner SET street = 'Street ' || id, street2 = NULL, city = 'Staging City', zip = '00000' WHERE street IS NOT NULL AND \(notActiveUser);"], nil)
        case "anonymize_company_names":
            if let r = has("res_partner", "is_company", "name") { return ([], r) }
            var sql = ["UPDATE res_partner SET name = 'Company ' || id WHERE is_company AND id <> ALL(ARRAY(SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL));"]
            if columns["res_partner"]?.contains("complete_name") == true {
                sql.append("UPDATE res_partner SET complete_name = name WHERE is_company AND name LIKE 'Company %' AND complete_name IS DISTINCT FROM name;")
            }
            return (sql, nil)
        case "update_base_url":
            if let r = has("ir_config_parameter", "key", "value") { return ([], r) }
            guard let url = context.targetURL else { return ([], "the target has no URL (give --url or --domain)") }
            return (["UPDATE ir_config_parameter SET value = \(SQL.literal(url)) WHERE key = 'web.base.url';"], nil)
        case "clear_detected_secrets":
            guard let coverage = context.coverage else { return ([], "no coverage scan of the source") }
            var sql: [String] = []
            for entry in coverage.clearedSecretColumns where columns[entry.table]?.contains(entry.column) == true {
                let c = SQL.identifier(entry.column)
                sql.append("UPDATE \(SQL.identifier(entry.table)) SET \(c) = \(clearedValue(entry, columns: columns[entry.table]!)) WHERE \(holdsSecret(c));")
            }
            if !coverage.secretParameters.isEmpty, columns["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true {
                sql.append("UPDATE ir_config_parameter SET value = '' WHERE value <> '' AND \(secretParameter(coverage.secretParameters));")
            }
            return sql.isEmpty ? ([], "the coverage scan found no secret outside the named options") : (sql, nil)
        default:
            guard let (changes, skip) = rowChanges(key, columns: columns, context: context) else { return ([], "unknown option") }
            return (changes.map(\.statement), skip)
        }
    }
}
