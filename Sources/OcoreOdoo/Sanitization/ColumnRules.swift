import Foundation
import OcoreModel

/// An operator's rule checked against the source: the column exists, what it becomes fits its
/// type and its NOT NULL, and no unique index breaks. What a copy computes for the column
/// (``expression``) is one SQL expression over the row, used alike by the copy's `SELECT` and by
/// an `UPDATE` pass, so both paths write the same values.
public struct ColumnRule: Sendable, Equatable {
    public var table: String
    public var column: String
    public var treatment: ColumnTreatment
    /// `format_type` of the column: what the expression is cast to.
    public var type: String
    public var notNull: Bool
    /// Whether the table has an `id` column (per-row placeholders use it).
    public var hasID: Bool

    public var name: String { "\(table).\(column)" }

    /// The column's new value over the row's own columns, cast to the column's type; nil when
    /// the clone's mapping does the work (`email`, `phone`) or the column is kept.
    public var expression: String? {
        let value: String
        switch treatment {
        case .keep, .email, .phone: return nil
        case .null: value = "NULL"
        case .clear: value = notNull ? (hasID ? "'cleared-' || \"id\"" : "''") : "NULL"
        case .fakeName: value = hasID ? "'Name ' || \"id\"" : "'Name'"
        case .sql(let e): value = e
        }
        return "CAST((\(value)) AS \(type))"
    }
}

/// Why rules were refused, every problem at once (an operator fixes the file in one go).
public struct ColumnRuleRefusal: Error, CustomStringConvertible, Equatable {
    public var problems: [String]
    public var description: String { "sanitization rules refused: " + problems.joined(separator: "; ") }
}

/// Checks `sanitization.toml` rules on the source, read-only, before anything is created: a rule
/// that would break a constraint is refused up front, not after the copy has run for an hour.
public struct ColumnRuleCheck: Sendable {
    public let psql: PSQL
    /// Each rule's check reads its whole table once (a cast that fails on one row in a million
    /// must be found here).
    public var timeout: Duration = .seconds(1800)

    public init(psql: PSQL) {
        self.psql = psql
    }

    /// The rules resolved against the source's schema for a clone applying `options`; throws
    /// ``ColumnRuleRefusal`` listing every rule that cannot hold. `values: false` checks the
    /// schema only (a preview: the values are read when the clone starts).
    public func resolve(_ rules: SanitizationRules, options: [String], values: Bool = true) throws -> [ColumnRule] {
        guard !rules.isEmpty else { return [] }
        let tables = Set(rules.columns.keys.map { String($0.split(separator: ".")[0]) })
        let list = tables.sorted().map(SQL.literal).joined(separator: ", ")
        var schema: [String: (type: String, notNull: Bool, text: Bool)] = [:]
        var hasID: Set<String> = []
        for row in try psql.query("""
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, (t.typcategory = 'S')::text
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname IN (\(list))
            """) where row.count == 5 {
            schema[row[0] + "." + row[1]] = (row[2], row[3] == "true", row[4] == "true")
            if row[1] == "id" { hasID.insert(row[0]) }
        }
        let changedByOptions = Dictionary(CoverageScan.optionColumns.filter { options.contains($0.key) }.flatMap { option, columns in
            columns.map { ("\($0.0).\($0.1)", option) } }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        var resolved: [ColumnRule] = []
        for key in rules.columns.keys.sorted() {
            let treatment = rules.columns[key]!
            let parts = key.split(separator: ".").map(String.init)
            guard let column = schema[key] else {
                problems.append("\(key): no such column in the source's database")
                continue
            }
            if treatment != .keep, let option = changedByOptions[key] {
                problems.append("\(key) is changed by \(option): a rule classifies only columns no chosen option changes")
                continue
            }
            switch treatment {
            case .null where column.notNull:
                problems.append("\(key) is NOT NULL: null would break it (use clear, a per-row placeholder, or an sql: expression)")
                continue
            case .clear where column.notNull && !column.text, .fakeName where !column.text:
                problems.append("\(key) holds \(column.type): \(treatment) writes text (give an sql: expression of its type)")
                continue
            case .email where !options.contains("anonymize_emails"), .phone where !options.contains("anonymize_phones"):
                let option = treatment == .email ? "anonymize_emails" : "anonymize_phones"
                problems.append("\(key) = \(treatment) maps it like the partners' own, which needs \(option)")
                continue
            case .email where !column.text, .phone where !column.text:
                problems.append("\(key) holds \(column.type): \(treatment) rewrites text")
                continue
            default: break
            }
            resolved.append(ColumnRule(table: parts[0], column: parts[1], treatment: treatment, type: column.type, notNull: column.notNull,
                                       hasID: hasID.contains(parts[0])))
        }
        if values && problems.isEmpty { problems += try checkValues(resolved) }
        guard problems.isEmpty else { throw ColumnRuleRefusal(problems: problems) }
        return resolved
    }

    /// Each rule computed over the source's rows (read-only): it evaluates, it gives no NULL where
    /// the column is NOT NULL, and no unique index of its table sees the same key twice.
    func checkValues(_ rules: [ColumnRule]) throws -> [String] {
        let computed = rules.filter { $0.expression != nil }
        guard !computed.isEmpty else { return [] }
        let tables = Set(computed.map(\.table)).sorted()
        var indexes: [(name: String, table: String, columns: [String], expressionDefinition: String, nullsNotDistinct: Bool)] = []
        for row in try psql.query("""
            SELECT i.indexrelid::regclass::text, c.relname,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), ','),
                   CASE WHEN i.indexprs IS NOT NULL THEN pg_get_indexdef(i.indexrelid) ELSE '' END, coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::bool, false)::text
              FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE i.indisunique AND c.relnamespace = 'public'::regnamespace AND c.relname IN (\(tables.map(SQL.literal).joined(separator: ", ")))
            """) where row.count == 5 {
            indexes.append((row[0], row[1], row[2].split(separator: ",").map(String.init), row[3], row[4] == "true"))
        }
        var problems: [String] = []
        func run(_ sql: String) throws -> String? {
            try psql.query("BEGIN READ ONLY;\nSET LOCAL statement_timeout = \(SQL.literal("\(timeout.components.seconds)s"));\n\(SQL.jitOffInTransaction)\n\(sql);\nCOMMIT;\n", timeout: timeout + .seconds(30))
                .first?.first
        }
        for rule in computed {
            do {
                let nulls = try run("SELECT count(*) FILTER (WHERE \(rule.expression!) IS NULL) FROM ONLY \(SQL.identifier(rule.table))")
                if rule.notNull, let n = Int(nulls ?? ""), n > 0 {
                    problems.append("\(rule.name) is NOT NULL: the rule gives NULL for \(n) row(s)")
                }
            } catch {
                problems.append("\(rule.name): the rule fails on the source's rows (\(Self.firstLine(error)))")
            }
        }
        guard problems.isEmpty else { return problems }
        for table in tables {
            let byColumn = Dictionary(computed.filter { $0.table == table }.map { ($0.column, $0.expression!) }, uniquingKeysWith: { a, _ in a })
            for index in indexes where index.table == table && index.expressionDefinition.isEmpty && !Set(index.columns).isDisjoint(with: byColumn.keys) {
                let key = index.columns.map { byColumn[$0] ?? SQL.identifier($0) }
                let notNull = index.nullsNotDistinct ? "" : " WHERE " + key.map { "(\($0)) IS NOT NULL" }.joined(separator: " AND ")
                do {
                    let duplicates = try run("SELECT count(*) FROM (SELECT 1 FROM ONLY \(SQL.identifier(table))\(notNull) GROUP BY \(key.joined(separator: ", ")) HAVING count(*) > 1) d")
                    if let n = Int(duplicates ?? ""), n > 0 {
                        let ruled = index.columns.filter { byColumn[$0] != nil }.map { "\(table).\($0)" }.joined(separator: ", ")
                        problems.append("the rule for \(ruled) would break unique index \(index.name): \(n) value(s) would repeat")
                    }
                } catch {
                    problems.append("unique index \(index.name) could not be checked (\(Self.firstLine(error)))")
                }
            }
            // An expression index over a ruled column cannot be recomputed here: refused rather than guessed.
            for index in indexes where index.table == table && !index.expressionDefinition.isEmpty {
                for column in byColumn.keys.sorted() where index.expressionDefinition.range(of: "\\b\(NSRegularExpression.escapedPattern(for: column))\\b", options: .regularExpression) != nil {
                    problems.append("\(table).\(column) is in unique index \(index.name), an expression index the rule cannot be checked against")
                }
            }
        }
        return problems
    }

    static func firstLine(_ error: Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
    }
}
