import Foundation

/// Reads a custom- or directory-format dump's table of contents (`pg_restore -l`) as
/// ``PlainDumpGuard`` reads plain SQL: entries that are a database's own schema objects, their
/// data and comments pass; anything that reaches past the database (languages, event triggers,
/// foreign servers, subscriptions, extensions other than Odoo's) is refused by name. The list it
/// returns is what `pg_restore -L` loads: without the extensions (ocore creates the allowed ones
/// as an administrator) and their comments.
public struct RestoreListGuard: Sendable {
    public private(set) var refusals: [DumpRefusal] = []
    public private(set) var extensions: Set<String> = []
    /// The listing with the left-out entries commented out, for `pg_restore -L`.
    public private(set) var list = ""

    /// Entry types of a database's own objects, longest first so `TABLE DATA` is not read as `TABLE`.
    static let allowed: [String] = [
        "MATERIALIZED VIEW DATA", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE",
        "SEQUENCE OWNED BY", "OPERATOR FAMILY", "OPERATOR CLASS", "MATERIALIZED VIEW", "CHECK CONSTRAINT", "FK CONSTRAINT",
        "BLOB METADATA", "LARGE OBJECT", "SEQUENCE SET", "INDEX ATTACH", "TABLE ATTACH", "ROW SECURITY", "DEFAULT ACL", "SHELL TYPE",
        "STATISTICS", "CONSTRAINT", "TABLE DATA", "SEARCHPATH", "STDSTRINGS", "AGGREGATE", "COLLATION", "CONVERSION", "PROCEDURE",
        "SEQUENCE", "FUNCTION", "OPERATOR", "ENCODING", "TRIGGER", "COMMENT", "DEFAULT", "DOMAIN", "POLICY", "SCHEMA", "INDEX",
        "BLOBS", "TABLE", "VIEW", "RULE", "TYPE", "BLOB", "CAST", "ACL",
    ]

    /// Entry types that are refused, with why.
    static let refused: [(String, String)] = [
        ("PROCEDURAL LANGUAGE", "it would run code outside the database's own trusted languages"),
        ("EVENT TRIGGER", "it would run code on every statement of the database"),
        ("FOREIGN DATA WRAPPER", "it would connect to other servers"), ("FOREIGN SERVER", "it would connect to other servers"),
        ("SERVER", "it would connect to other servers"), ("USER MAPPING", "it holds credentials for other servers"),
        ("SUBSCRIPTION", "it would connect to other servers"), ("PUBLICATION TABLE", "it would publish the data to other servers"),
        ("PUBLICATION", "it would publish the data to other servers"), ("ACCESS METHOD", "access methods are the server's"),
        ("TRANSFORM", "it would run code outside the database's own trusted languages"),
    ]

    /// Entries `pg_restore` without `--create` never applies: left out quietly.
    static let ignored = ["DATABASE PROPERTIES", "DATABASE"]

    public init(listing: String) {
        var out: [String] = []
        for line in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            guard !line.hasPrefix(";"), let entry = Self.entry(line) else { out.append(String(line)); continue }
            let (type, rest) = entry
            if Self.ignored.contains(type) { out.append(";" + line); continue }
            if type == "EXTENSION" || (type == "COMMENT" && rest.hasPrefix("- EXTENSION ")) {
                let name = String(rest.split(separator: " ").last ?? "")
                if type == "EXTENSION" {
                    if DumpPolicy.extensions.contains(name) { extensions.insert(name) } else {
                        refusals.append(DumpRefusal(line: nil, what: "EXTENSION \(name) is not allowed: only \(DumpPolicy.extensions.sorted().joined(separator: ", ")) are created for a dump"))
                    }
                }
                out.append(";" + line)
                continue
            }
            if type == "COMMENT" && rest.hasPrefix("- DATABASE ") { out.append(";" + line); continue }
            if let why = Self.refused.first(where: { $0.0 == type })?.1 {
                refusals.append(DumpRefusal(line: nil, what: "\(type) \(rest.trimmingCharacters(in: .whitespaces)) is not allowed: \(why)"))
            } else if !Self.allowed.contains(type) {
                refusals.append(DumpRefusal(line: nil, what: "\(type) entries are not allowed: not a schema object of an Odoo database"))
            }
            out.append(String(line))
        }
        list = out.joined(separator: "\n")
    }

    /// Every entry type this reader knows, longest first (so `TABLE DATA` is not read as `TABLE`).
    static let known = (refused.map(\.0) + ignored + allowed + ["EXTENSION"]).sorted { $0.count > $1.count }

    /// `215; 1259 16384 TABLE public t odoo` → ("TABLE", "public t odoo").
    public static func entry(_ line: Substring) -> (String, String)? {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0].hasSuffix(";"), Int(parts[0].dropLast()) != nil, Int(parts[1]) != nil, Int(parts[2]) != nil else { return nil }
        let rest = String(parts[3])
        if let type = known.first(where: { rest == $0 || rest.hasPrefix($0 + " ") }) {
            return (type, String(rest.dropFirst(type.count)).trimmingCharacters(in: .whitespaces))
        }
        return (String(rest.split(separator: " ").first ?? ""), rest)
    }
}
