/// Rules for the names an operator types: inventory names and PostgreSQL database names.
///
/// Inventory names (servers, projects, environments, storage targets) end up in file paths, storage
/// keys and job descriptions, so they are restricted to a portable set instead of being escaped in
/// every place. Database names follow Odoo's own rule (`DB_NAME_VALIDATION`), and are still always
/// quoted as identifiers wherever SQL is built.
public enum Names {
    /// Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 63 characters.
    public static func validateInventoryName(_ name: String, kind: String) throws(ModelError) {
        guard !name.isEmpty else { throw .invalidName(kind: kind, name: name, reason: "it is empty") }
        guard name.utf8.count <= 63 else {
            throw .invalidName(kind: kind, name: name, reason: "it is longer than 63 characters")
        }
        guard let first = name.unicodeScalars.first, isAlnum(first) else {
            throw .invalidName(kind: kind, name: name, reason: "it must start with a letter or a digit")
        }
        for scalar in name.unicodeScalars where !(isAlnum(scalar) || scalar == "." || scalar == "_" || scalar == "-") {
            throw .invalidName(kind: kind, name: name,
                               reason: "character \(describe(scalar)) is not allowed (use letters, digits, '.', '_' and '-')")
        }
    }

    /// Odoo's database-name rule: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, and PostgreSQL's 63-byte limit.
    public static func validateDatabaseName(_ name: String) throws(ModelError) {
        do { try validateInventoryName(name, kind: "database") } catch { throw error }
        guard name.count >= 2 else {
            throw .invalidName(kind: "database", name: name, reason: "Odoo needs at least two characters")
        }
        // PostgreSQL's own databases are never an environment's (a restore would drop them).
        guard !["postgres", "template0", "template1"].contains(name.lowercased()) else {
            throw .invalidName(kind: "database", name: name, reason: "it is one of PostgreSQL's own databases")
        }
    }

    private static func isAlnum(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    private static func describe(_ s: Unicode.Scalar) -> String {
        s.properties.isWhitespace || s.value < 0x20 ? "U+\(String(s.value, radix: 16, uppercase: true))" : "'\(s)'"
    }
}
