import Foundation
import OcoreModel

/// Which tables a clone streams `COPY (SELECT …) TO STDOUT` → `COPY … FROM STDIN` instead of
/// dumping them, and how. The personal-data options (e-mails, phones, addresses, company names)
/// are applied on the way, in the dump's snapshot, so the target never holds the real values — no
/// `UPDATE` pass, no dead tuples or WAL with customers' data on the target's disk. The largest
/// other tables stream too, unchanged: their rows land while they are read, instead of being
/// written to a dump and read back (measured 14 % faster on 2 cores).
public struct SanitizedCopyPlan: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var name: String
        /// The target's columns, in order (the `COPY … FROM STDIN` column list).
        public var columns: [String]
        /// The source query's outputs: the first `columns.count` match `columns`; helpers follow.
        public var outputs: [String]
        /// The query's `FROM …` clause.
        public var from: String
        public var rules: CopyRules

        /// The source query.
        public var select: String { "SELECT \(outputs.joined(separator: ", ")) \(from)" }

        /// Counts the rows where `condition` holds as changed by `option` (a helper output the filter reads).
        mutating func flag(_ option: String, when condition: String) {
            rules.changeFlags[option] = outputs.count
            outputs.append(condition)
        }
    }

    /// Options whose whole effect happens in the copy (the `UPDATE` pass skips them).
    public static let streamable = SanitizationCatalog.personalDataKeys

    /// An option's ``RowChange``.
    public typealias OptionChange = (option: String, change: RowChange)

    public var tables: [Table]
    public var options: [String]
    /// The operator's rules the SELECTs compute (`table.column`): done when the data lands.
    public var rules: [String] = []
    /// Whether companies have their own partners (their numbers are not customers').
    public var companiesHavePartners = false

    /// The plan for `options` on a source whose copyable columns (attnum order, generated and
    /// dropped ones left out) are `columns`; nil when no option applies in the copy. Options whose
    /// `res_partner` columns are missing are not streamed: the `UPDATE` planner skips them with its reason.
    /// Tables that hold at least a twentieth of the data (and 256 KB) stream, at most `plainLimit`
    /// of them; the many small ones go through the dump (one stream each would cost more than it saves).
    /// `detected`: the coverage's columns; those it maps as e-mails or phones are rewritten in the stream too.
    /// `rules`: the operator's checked rules; their tables stream with the rules' expressions in the SELECT.
    /// `secretParameters`: the system parameters the coverage found; with `clear_detected_secrets`
    /// they and the secret-like columns are cleared by the SELECT, so no secret reaches the target.
    /// `changes`: the other options' ``RowChange``s, computed by the SELECTs too (a sanitized
    /// backup); a removal leaves its rows out of the stream.
    public static func make(options: [String], columns: [String: [String]], detected: [CoveredColumn] = [], secretParameters: [String] = [],
                            rules: [ColumnRule] = [], changes: [OptionChange] = [], sizes: [String: Int64] = [:], plainLimit: Int = 8) -> SanitizedCopyPlan? {
        var plan = sanitizing(options: options, columns: columns, detected: detected, secretParameters: secretParameters, rules: rules, changes: changes)
            ?? SanitizedCopyPlan(tables: [], options: [])
        let plainThreshold = max(256 << 10, sizes.values.reduce(0, +) / 20)
        let streamed = Set(plan.tables.map(\.name))
        let big = sizes.filter { $0.value >= plainThreshold && columns[$0.key] != nil && !streamed.contains($0.key) }
            .sorted { $0.value > $1.value }.prefix(plainLimit)
        for (table, _) in big {
            let all = columns[table]!
            plan.tables.append(Table(name: table, columns: all, outputs: all.map(SQL.identifier), from: "FROM ONLY \(SQL.identifier(table))",
                                     rules: CopyRules(outputFields: all.count, columns: [])))
        }
        guard !plan.tables.isEmpty else { return nil }
        plan.companiesHavePartners = columns["res_company"]?.contains("partner_id") == true
        plan.tables.sort { (sizes[$0.name] ?? 0) > (sizes[$1.name] ?? 0) }
        return plan
    }

    /// The sanitizing part of the plan, or nil when no personal-data option and no rule applies.
    static func sanitizing(options: [String], columns: [String: [String]], detected: [CoveredColumn] = [], secretParameters: [String] = [],
                           rules: [ColumnRule] = [], changes: [OptionChange] = []) -> SanitizedCopyPlan? {
        // What each ruled column becomes, by table (the rule's one expression, shared with the UPDATE path).
        var computed: [String: [String: String]] = [:]
        for rule in rules where columns[rule.table]?.contains(rule.column) == true {
            if let e = rule.expression { computed[rule.table, default: [:]][rule.column] = e }
        }
        let ruledColumns = Set(computed.flatMap { table, byColumn in byColumn.keys.map { "\(table).\($0)" } })
        let ruled = rules.filter { computed[$0.table]?[$0.column] != nil }.map(\.name).sorted()
        // The secrets the coverage found, cleared as they are read (a rule on the same column wins);
        // per table, the condition of a row the clearing changes (its count is the option's).
        var secretRows: [String: [String]] = [:]
        // The other options' edits wrap what a column already becomes; per table and option, the
        // condition of a row they change. Removals keep the other rows only.
        var changedRows: [String: [String: [String]]] = [:]
        var removed: [String: [String]] = [:]
        for (option, change) in changes {
            guard let present = columns[change.table] else { continue }
            switch change {
            case .edit(let table, let set, let condition):
                for (column, value) in set where present.contains(column) {
                    let current = computed[table]?[column] ?? SQL.identifier(column)
                    computed[table, default: [:]][column] = "CASE WHEN \(condition) THEN \(value) ELSE \(current) END"
                }
                changedRows[table, default: [:]][option, default: []].append(condition)
            case .remove(let table, let condition):
                removed[table, default: []].append(condition)
            }
        }
        if options.contains("clear_detected_secrets") {
            for entry in detected where entry.clearedAsSecret {
                guard let present = columns[entry.table], present.contains(entry.column), !ruledColumns.contains("\(entry.table).\(entry.column)") else { continue }
                let cleared = Sanitizer.clearedValue(entry, columns: Set(present))
                // Over what another option made of it (a secret it left is still cleared).
                computed[entry.table, default: [:]][entry.column] = computed[entry.table]?[entry.column]
                    .map { "CASE WHEN \(Sanitizer.holdsSecret($0)) THEN \(cleared) ELSE \($0) END" } ?? cleared
                secretRows[entry.table, default: []].append(Sanitizer.holdsSecret(SQL.identifier(entry.column)))
            }
            if !secretParameters.isEmpty, let present = columns["ir_config_parameter"], present.contains("key"), present.contains("value"),
               !ruledColumns.contains("ir_config_parameter.value") {
                let keys = Sanitizer.secretParameter(secretParameters)
                computed["ir_config_parameter", default: [:]]["value"] = "CASE WHEN \(keys) THEN '' ELSE \(computed["ir_config_parameter"]?["value"] ?? "\"value\"") END"
                secretRows["ir_config_parameter", default: []].append("(\(keys) AND \"value\" <> '')")
            }
        }
        func selectList(_ table: String, prefix: String = "") -> [String] {
            columns[table]!.map { c in computed[table]?[c].map { $0 + " AS " + SQL.identifier(c) } ?? prefix + SQL.identifier(c) }
        }
        func plain(_ table: String, rules: CopyRules? = nil, helpers: [String] = []) -> Table {
            Table(name: table, columns: columns[table]!, outputs: selectList(table) + helpers, from: "FROM ONLY \(SQL.identifier(table))",
                  rules: rules ?? CopyRules(outputFields: columns[table]!.count, columns: []))
        }
        func withRuledTables(_ plan: SanitizedCopyPlan?) -> SanitizedCopyPlan? {
            var plan = plan ?? SanitizedCopyPlan(tables: [], options: [])
            for table in Set(computed.keys).union(removed.keys).sorted() where !plan.tables.contains(where: { $0.name == table }) { plan.tables.append(plain(table)) }
            plan.rules = ruled
            for (index, table) in plan.tables.enumerated() {
                if let conditions = secretRows[table.name] { plan.tables[index].flag("clear_detected_secrets", when: conditions.joined(separator: " OR ")) }
                for (option, conditions) in (changedRows[table.name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    plan.tables[index].flag(option, when: conditions.map { "coalesce(\($0), false)" }.joined(separator: " OR "))
                }
                if let conditions = removed[table.name] {
                    plan.tables[index].from += " WHERE NOT (" + conditions.map { "coalesce(\($0), false)" }.joined(separator: " OR ") + ")"
                }
            }
            if !secretRows.isEmpty { plan.options.append("clear_detected_secrets") }
            for (option, _) in changes where !plan.options.contains(option) { plan.options.append(option) }
            return plan.tables.isEmpty ? nil : plan
        }
        let partner = Set(columns["res_partner"] ?? [])
        let required: [String: [String]] = ["anonymize_emails": ["email"], "anonymize_phones": ["phone", "mobile"],
                                            "anonymize_addresses": ["street", "street2", "city", "zip"],
                                            "anonymize_company_names": ["is_company", "name"]]
        let streamed = streamable.filter { options.contains($0) && partner.isSuperset(of: required[$0]!) && columns["res_users"] != nil }
        guard !streamed.isEmpty else { return withRuledTables(nil) }
        let emails = streamed.contains("anonymize_emails"), phones = streamed.contains("anonymize_phones")
        var tables = [partnerTable(Set(streamed), columns: columns["res_partner"]!, companies: columns["res_company"]?.contains("partner_id") == true,
                                   computed: computed["res_partner"] ?? [:])]

        // Text columns where customers' addresses and numbers turn up besides the partner (Odoo 17).
        var text: [String: [(String, [CopyRules.Action])]] = [:]
        func add(_ table: String, _ column: String, _ action: CopyRules.Action) {
            guard columns[table]?.contains(column) == true else { return }
            if let i = text[table, default: []].firstIndex(where: { $0.0 == column }) { text[table]![i].1.append(action) } else { text[table, default: []].append((column, [action])) }
        }
        if emails { for (t, c) in Sanitizer.emailColumns { add(t, c, .emailsInText) } }
        if phones {
            for (t, c) in Sanitizer.phoneColumns where t != "res_partner" { add(t, c, .phonesInText(keyed: true)) }
            for (t, c) in Sanitizer.phoneTextColumns { add(t, c, .phonesInText(keyed: false)) }
        }
        // Columns of other modules the coverage found holding addresses or numbers (the partner
        // and user tables have their own SELECTs above and below).
        for entry in detected where entry.table != "res_partner" && entry.table != "res_users" && entry.class != .sanitized {
            if entry.treatment == .email && emails { add(entry.table, entry.column, .emailsInText) }
            if entry.treatment == .phone && phones { add(entry.table, entry.column, .phonesInText(keyed: true)) }
        }
        for table in text.keys.sorted() {
            let all = columns[table]!
            let rules = text[table]!.map { CopyRules.Column(field: all.firstIndex(of: $0.0)!, actions: $0.1) }
            tables.append(plain(table, rules: CopyRules(outputFields: all.count, columns: rules)))
        }
        // Archived users (portal users' logins are their addresses) get the same mapping.
        if emails, let users = columns["res_users"], users.contains("login"), users.contains("active") {
            tables.append(plain("res_users", rules: CopyRules(outputFields: users.count, columns: [.init(field: users.firstIndex(of: "login")!, actions: [.emailsInText], onlyWhen: users.count)]),
                                helpers: ["NOT \"active\""]))
        }
        return withRuledTables(SanitizedCopyPlan(tables: tables, options: streamed))
    }

    /// `res_partner`: what a row knows by itself is done by the SELECT (the seeds' statements as
    /// expressions), e-mails by the rules (they need the clone's mapping).
    static func partnerTable(_ options: Set<String>, columns: [String], companies: Bool, computed: [String: String] = [:]) -> Table {
        let notUser = "u.partner_id IS NULL"
        let notCompany = companies ? "c.partner_id IS NULL" : "true"
        let phoneChanged = "((p.phone IS NOT NULL OR p.mobile IS NOT NULL) AND \(notUser) AND \(notCompany))"
        let fakePhone = "'555-' || lpad(p.id::text, 4, '0')"
        let addressChanged = "(p.street IS NOT NULL AND \(notUser))"
        let companyChanged = "(p.is_company AND \(notCompany))"
        var expressions: [String] = columns.map { c in computed[c].map { $0 + " AS " + SQL.identifier(c) } ?? "p." + SQL.identifier(c) }
        func set(_ column: String, _ expression: String) {
            if let i = columns.firstIndex(of: column) { expressions[i] = expression + " AS " + SQL.identifier(column) }
        }
        var helpers: [String] = []
        var rules: [CopyRules.Column] = []
        var flags: [String: Int] = [:]
        /// An option's columns, each given its value on the rows where `changed` holds; the
        /// condition is also an output, the flag that counts the rows the option changed.
        func change(_ option: String, when changed: String, _ values: KeyValuePairs<String, String>) {
            guard options.contains(option) else { return }
            for (column, value) in values { set(column, "CASE WHEN \(changed) THEN \(value) ELSE p.\(SQL.identifier(column)) END") }
            flags[option] = columns.count + helpers.count
            helpers.append(changed)
        }
        change("anonymize_phones", when: phoneChanged, ["phone": fakePhone, "mobile": "NULL", "phone_sanitized": fakePhone])
        change("anonymize_addresses", when: addressChanged, ["street": "'Street ' || p.id", "street2": "NULL", "city": "'Staging City'", "zip": "'00000'"])
        change("anonymize_company_names", when: companyChanged, ["name": "'Company ' || p.id", "complete_name": "'Company ' || p.id"])
        if options.contains("anonymize_emails"), let email = columns.firstIndex(of: "email") {
            rules.append(.init(field: email, actions: [.partnerEmail(rowIDField: columns.count + helpers.count)]))
            helpers.append("p.id")
            if let normalized = columns.firstIndex(of: "email_normalized") { rules.append(.init(field: normalized, actions: [.lowercasedCopy(of: email)])) }
        }
        var from = "FROM ONLY \"res_partner\" p LEFT JOIN (SELECT DISTINCT partner_id FROM \"res_users\" WHERE active) u ON u.partner_id = p.id"
        if companies { from += " LEFT JOIN (SELECT DISTINCT partner_id FROM \"res_company\" WHERE partner_id IS NOT NULL) c ON c.partner_id = p.id" }
        return Table(name: "res_partner", columns: columns, outputs: expressions + helpers, from: from,
                     rules: CopyRules(outputFields: columns.count, columns: rules, changeFlags: flags))
    }

    /// The query listing copyable columns of the public tables (attnum order; no generated or dropped ones).
    public static let columnsQuery = """
        SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         ORDER BY c.relname, a.attnum
        """

    /// Heap sizes of the public tables, to choose which to stream.
    public static let sizesQuery = "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"

    public static func sizes(fromRows rows: [[String]]) -> [String: Int64] {
        Dictionary(rows.compactMap { $0.count == 2 ? ($0[0], Int64($0[1]) ?? 0) : nil }, uniquingKeysWith: { a, _ in a })
    }

    public static func columns(fromRows rows: [[String]]) -> [String: [String]] {
        var columns: [String: [String]] = [:]
        for row in rows where row.count == 2 { columns[row[0], default: []].append(row[1]) }
        return columns
    }
}
