import Foundation

/// What a clone does to one column's values, decided before any data moves: by an option, by
/// the operator's `sanitization.toml`, or by what the coverage scan found in the column.
public enum ColumnTreatment: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Left as it is (an operator's `safe`).
    case keep
    /// Emptied: NULL where the column allows it, otherwise a per-row placeholder
    /// (`cleared-<id>`, unique like the values it replaces).
    case clear
    /// Always NULL (refused up front on a NOT NULL column).
    case null
    /// Every e-mail address in it goes through the clone's keyed mapping (the partner's fake).
    case email
    /// Every phone number in it goes through the clone's keyed mapping.
    case phone
    /// `Name <id>`.
    case fakeName
    /// An SQL expression over the row's own columns, computed by the source's `SELECT`.
    case sql(String)

    public var description: String {
        switch self {
        case .keep: "safe"
        case .clear: "clear"
        case .null: "null"
        case .email: "email"
        case .phone: "phone"
        case .fakeName: "fake_name"
        case .sql(let expression): "sql: \(expression)"
        }
    }

    /// Parses a rule's value as `sanitization.toml` writes it.
    public init(rule: String) throws(ModelError) {
        switch rule {
        case "safe": self = .keep
        case "clear": self = .clear
        case "null": self = .null
        case "email": self = .email
        case "phone": self = .phone
        case "fake_name": self = .fakeName
        default:
            guard rule.hasPrefix("sql:") else {
                throw .invalidValue(field: "sanitization rule", value: rule, reason: "use safe, clear, email, phone, fake_name, null or sql: EXPRESSION")
            }
            let expression = rule.dropFirst(4).trimmingCharacters(in: .whitespaces)
            guard !expression.isEmpty, !expression.contains(";"), !expression.contains("--"), !expression.contains("/*"), !expression.contains("\\"),
                  !expression.contains("$"), Self.balanced(expression) else {
                throw .invalidValue(field: "sanitization rule", value: rule,
                                    reason: "an SQL rule is one expression over the row's columns (no ';', comments, backslashes or dollar quotes; parentheses and quotes closed)")
            }
            self = .sql(expression)
        }
    }

    /// Parentheses and quotes closed, so the expression cannot end the `CAST((…) AS type)` it is
    /// placed in and reach into the statement around it (backslashes, which psql reads as its own
    /// commands, and dollar quotes, which would hide parentheses from this count, are refused).
    static func balanced(_ expression: String) -> Bool {
        var depth = 0
        var quote: Character?
        for c in expression {
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            switch c {
            case "'", "\"": quote = c
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return false }
            default: break
            }
        }
        return depth == 0 && quote == nil
    }

    /// Whether the real values leave the copy (a kept column keeps them).
    public var sanitizes: Bool { self != .keep }

    enum CodingKeys: String, CodingKey { case kind, expression }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if case .sql(let e) = self {
            try c.encode("sql", forKey: .kind)
            try c.encode(e, forKey: .expression)
        } else {
            try c.encode(description, forKey: .kind)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        if kind == "sql" { self = .sql(try c.decode(String.self, forKey: .expression)) } else { self = try ColumnTreatment(rule: kind) }
    }
}

/// One text column of the source, classified.
public struct CoveredColumn: Sendable, Equatable, Codable {
    public enum Class: String, Sendable, Codable, CaseIterable {
        /// Changed by an option or Odoo's neutralization.
        case sanitized
        /// Odoo's own technical text: selection keys, a module's field whose sample holds no
        /// customer data or secrets, a kept active user's login.
        case knownSafe = "known_safe"
        /// A token, key, password or IBAN by its name, or a JWT, bearer token, private key or long
        /// random string by its content.
        case secretLike = "secret_like"
        /// Holds customers' addresses or numbers, or is named like a partner's contact field.
        case personal
        /// Free text nothing recognises (a custom field, a table no module declares).
        case unclassified
        /// The operator said what it is in `sanitization.toml`.
        case ruled
    }

    public var table: String
    public var column: String
    public var `class`: Class
    /// Why: the option or rule, the name pattern, or what the sample held.
    public var reason: String
    /// What the clone does to it; nil when its values are copied as they are.
    public var treatment: ColumnTreatment?
    /// The option the treatment belongs to (its count and its switch), when one does.
    public var option: String?
    /// Rows of the sample that matched what classified it.
    public var sampleHits: Int
    /// NOT NULL in the source's schema (a `null` rule is refused on it).
    public var notNull: Bool

    public init(table: String, column: String, class: Class, reason: String, treatment: ColumnTreatment? = nil, option: String? = nil,
                sampleHits: Int = 0, notNull: Bool = false) {
        self.table = table
        self.column = column
        self.class = `class`
        self.reason = reason
        self.treatment = treatment
        self.option = option
        self.sampleHits = sampleHits
        self.notNull = notNull
    }

    public var name: String { "\(table).\(column)" }

    /// A secret the coverage found that `clear_detected_secrets` clears.
    public var clearedAsSecret: Bool { option == "clear_detected_secrets" && treatment == .clear && self.class != .sanitized }

    /// Personal or secret-like, and copied as it is: what `--strict` refuses and PARTIAL names.
    public var leftAsIs: Bool { (self.class == .personal || self.class == .secretLike) && treatment == nil }

    enum CodingKeys: String, CodingKey { case table, column, `class`, reason, treatment, option, sampleHits = "sample_hits", notNull = "not_null" }
}

/// The coverage of a source's schema: every text column classified, and what the clone will do to
/// each. Non-text columns (ids, foreign keys, amounts, dates, flags) are known safe by their type.
public struct CoverageReport: Sendable, Equatable, Codable {
    public var columns: [CoveredColumn]
    /// Columns whose type holds no text (counted, not listed).
    public var nonTextColumns: Int
    public var scanMs: Int
    /// System parameters the clone clears because their key or value looks like a credential
    /// (beyond the named options' patterns): keys only, never values.
    public var secretParameters: [String]

    public init(columns: [CoveredColumn], nonTextColumns: Int, scanMs: Int, secretParameters: [String] = []) {
        self.columns = columns
        self.nonTextColumns = nonTextColumns
        self.scanMs = scanMs
        self.secretParameters = secretParameters
    }

    enum CodingKeys: String, CodingKey { case columns, nonTextColumns = "non_text_columns", scanMs = "scan_ms", secretParameters = "secret_parameters" }

    public func count(_ c: CoveredColumn.Class) -> Int { columns.filter { $0.class == c }.count }

    /// Personal and secret-like columns the clone leaves as they are.
    public var leftAsIs: [CoveredColumn] { columns.filter(\.leftAsIs) }
    /// The columns `clear_detected_secrets` clears.
    public var clearedSecretColumns: [CoveredColumn] { columns.filter(\.clearedAsSecret) }

    /// The columns an option acts on because the scan found them (the option's preview list).
    public func columns(of option: String) -> [CoveredColumn] { columns.filter { $0.option == option && $0.class != .sanitized } }

    /// "412 text columns: 380 known safe, 19 sanitized, 9 secret-like (cleared), 4 unclassified: x_crm_extra.notes …"
    public var summary: String {
        var parts: [String] = []
        let secret = columns.filter { $0.class == .secretLike }, personal = columns.filter { $0.class == .personal }
        if count(.knownSafe) > 0 { parts.append("\(count(.knownSafe)) known safe") }
        if count(.sanitized) > 0 { parts.append("\(count(.sanitized)) sanitized") }
        if count(.ruled) > 0 { parts.append("\(count(.ruled)) by your rules") }
        func left(_ list: [CoveredColumn], _ verb: String) -> String {
            let kept = list.filter(\.leftAsIs).count
            return kept == 0 ? verb : kept == list.count ? "LEFT AS IS" : "\(list.count - kept) \(verb), \(kept) LEFT AS IS"
        }
        if !secret.isEmpty { parts.append("\(secret.count) secret-like (\(left(secret, "cleared")))") }
        if !personal.isEmpty { parts.append("\(personal.count) personal (\(left(personal, "mapped")))") }
        let unclassified = columns.filter { $0.class == .unclassified }
        if !unclassified.isEmpty {
            let names = unclassified.prefix(3).map(\.name).joined(separator: ", ")
            parts.append("\(unclassified.count) unclassified: \(names)\(unclassified.count > 3 ? " …" : "")")
        }
        return "\(columns.count) text columns: " + parts.joined(separator: ", ")
    }
}

/// An operator's classification of columns (`sanitization.toml` of a project or environment):
/// `"table.column" = "email"`. An environment's file refines its project's.
public struct SanitizationRules: Sendable, Equatable, Codable {
    public var columns: [String: ColumnTreatment]

    public init(columns: [String: ColumnTreatment] = [:]) {
        self.columns = columns
    }

    public var isEmpty: Bool { columns.isEmpty }

    /// Adds `"table.column" = "rule"` as a file writes it: a table and a column name (letters,
    /// digits, underscores), and one of the rules ``ColumnTreatment/init(rule:)`` knows.
    public mutating func add(key: String, rule: String) throws(ModelError) {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Self.isName) else {
            throw .invalidValue(field: "sanitization rule key", value: key, reason: "write table.column, as PostgreSQL names them (e.g. x_connector.api_token)")
        }
        columns[key] = try ColumnTreatment(rule: rule)
    }

    /// The rules of `other` replace these where both name a column (an environment refines its project).
    public func refined(by other: SanitizationRules) -> SanitizationRules {
        SanitizationRules(columns: columns.merging(other.columns) { _, new in new })
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.unicodeScalars.count <= 63 else { return false }
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        return letters.contains(first) && s.unicodeScalars.allSatisfy { letters.contains($0) || ("0"..."9").contains($0) }
    }

    public func rule(table: String, column: String) -> ColumnTreatment? { columns["\(table).\(column)"] }
}
