import Foundation
import OcoreModel

/// An `odoo.conf` as text: read the way Odoo reads it (an INI file; `key = value` under
/// `[options]`; `;` and `#` start comments), edited in place so comments, order and everything
/// ocore does not touch stay as they were. Values of secret keys are never shown.
public struct OdooConfigFile: Equatable, Sendable {
    public var text: String

    public init(text: String) { self.text = text }

    /// The keys whose values are secrets (shown masked, never logged).
    public static let secretKeys: Set<String> = ["admin_passwd", "db_password", "smtp_password"]
    /// The keys an operator tunes most, shown first.
    public static let tuningKeys = ["workers", "max_cron_threads", "limit_memory_soft", "limit_memory_hard", "limit_time_cpu", "limit_time_real",
                                    "db_maxconn", "proxy_mode", "db_name", "dbfilter", "list_db"]

    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: String
        public var isSecret: Bool { OdooConfigFile.secretKeys.contains(key) }
        /// The value as it may be shown.
        public var shown: String { isSecret ? (value.isEmpty ? "" : "********") : value }
    }

    /// The `[options]` entries, in file order.
    public var entries: [Entry] {
        var section = ""
        var out: [Entry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") { section = String(trimmed.dropFirst().dropLast()); continue }
            guard section == "options", let (key, value) = Self.assignment(trimmed) else { continue }
            out.append(Entry(key: key, value: value))
        }
        return out
    }

    public func value(_ key: String) -> String? { entries.last { $0.key == key }?.value }

    /// The entries for a person: the tuning keys first (the last line of each wins, as for Odoo), then the rest.
    public var shownEntries: [Entry] {
        let all = entries
        return Self.tuningKeys.compactMap { key in all.last { $0.key == key } } + all.filter { !Self.tuningKeys.contains($0.key) }
    }

    /// Sets `key` to `value`: the existing line rewritten where it is, or a new line at the end of
    /// `[options]` (a section is added if the file has none).
    public mutating func set(_ key: String, _ value: String) throws(ModelError) {
        guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw .invalidValue(field: "odoo.conf key", value: key, reason: "letters, digits and '_' only")
        }
        guard !value.contains(where: \.isNewline) else { throw .invalidValue(field: key, value: value, reason: "a value is one line") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var section = ""
        var lastInOptions: Int?
        var replaced = false
        for (i, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") { section = String(trimmed.dropFirst().dropLast()); if section == "options" { lastInOptions = i }; continue }
            guard section == "options" else { continue }
            if !trimmed.isEmpty { lastInOptions = i }
            if let (k, _) = Self.assignment(trimmed), k == key {
                lines[i] = "\(key) = \(value)"
                replaced = true
            }
        }
        if !replaced {
            if let at = lastInOptions { lines.insert("\(key) = \(value)", at: at + 1) } else {
                if lines.last == "" { lines.removeLast() }
                lines += ["[options]", "\(key) = \(value)", ""]
            }
        }
        text = lines.joined(separator: "\n")
    }

    static func assignment(_ line: String) -> (String, String)? {
        guard !line.hasPrefix(";"), !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { return nil }
        let key = line[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        return (key, line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces))
    }
}
