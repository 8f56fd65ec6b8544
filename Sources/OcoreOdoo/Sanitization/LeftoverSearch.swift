import Foundation
import OcoreModel
import OcoreRemote

/// The proof's search of a sanitized target for what should not be there any more: every address
/// of the source's customers, every customer phone number, and the secret values the clone
/// cleared. Set-based and without a sample: the source's values go, as MD5 digests keyed with a
/// random key that lives only for this search, straight from a read-only `COPY` on the source into
/// a temporary table of the target's session (nothing passes through ocore's memory, and the
/// digests die with the session); then each target table is read once, the address-, number- and
/// token-like pieces of its text are extracted in SQL (fakes left out), keyed the same way and
/// looked up in that table. Only counts come back.
struct LeftoverSearch {
    let source: PSQL
    let target: PSQL
    let key = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()

    /// What to look for.
    struct Wanted {
        var addresses = false
        var phones = false
        /// Secret-like columns the clone cleared (`table.column`) and system parameters it cleared.
        var secretColumns: [String] = []
        var secretParameters: [String] = []
        var secrets: Bool { !secretColumns.isEmpty || !secretParameters.isEmpty }
    }

    enum Kind: Int, CaseIterable { case address = 0, phone = 1, token = 2 }

    /// A token of a known secret shape, as one capture group: a JWT, a PEM private key's body, a bearer token.
    static let tokenPattern = #"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s]{16,}|[Bb]earer [A-Za-z0-9._~+/-]{20,})"#

    /// `textColumns`: the target's text columns by table; `columns`: all of its columns.
    func run(_ textColumns: [String: [String]], columns: [String: Set<String>], wanted: Wanted) throws -> [ProofFinding] {
        let kinds = Kind.allCases.filter { kind in
            switch kind {
            case .address: wanted.addresses
            case .phone: wanted.phones
            case .token: wanted.secrets
            }
        }
        guard !kinds.isEmpty else { return [] }
        let outcome = try Pipe.run(from: source.executor, source.command(["-q"], timeout: .seconds(3600)), sourceInput: Data(sourceDigests(wanted).utf8),
                                   to: target.executor, target.command(["-q", "-A", "-t", "-F", "\t"], timeout: .seconds(3600)),
                                   filter: Enclosing(prefix: "CREATE TEMP TABLE ocore_proof (k integer, h text);\nCOPY ocore_proof FROM STDIN;\n",
                                                     suffix: "\\.\n" + targetSearch(textColumns, columns: columns, kinds: kinds, wanted: wanted)))
        guard outcome.source.succeeded else {
            throw PostgresError.from(outcome.source, host: source.executor.hostDescription, database: source.connection.database)
        }
        guard outcome.sink.succeeded else {
            throw PostgresError.from(outcome.sink, host: target.executor.hostDescription, database: target.connection.database)
        }
        return Self.findings(outcome.sink.stdoutText)
    }

    func digest(_ value: String) -> String { "md5(\(SQL.literal(key)) || \(value))" }

    /// The source's side, in one read-only transaction: `kind, digest` rows of every customer
    /// address and number (digits only) — a partner's that is not an active user's or a company's
    /// own partner, and not also one of theirs —, and every secret value
    /// (whole values of 8 characters or more of the cleared columns and parameters, and the
    /// secret-shaped tokens inside them).
    func sourceDigests(_ wanted: Wanted) -> String {
        let pattern = SQL.literal(Sanitizer.emailPattern)
        var parts: [String] = []
        // The active users' and the companies' own partners keep what they have.
        let kept = "p.id IN (SELECT partner_id FROM res_users WHERE active) OR (to_regclass('res_company') IS NOT NULL AND p.id IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL))"
        if wanted.addresses {
            let address = "SELECT lower(substring(p.email FROM \(pattern))) FROM res_partner p WHERE p.email LIKE '%@%' AND"
            parts.append("SELECT 0, \(digest("a")) FROM (\(address) NOT (\(kept)) EXCEPT \(address) (\(kept))) s(a) WHERE a IS NOT NULL")
        }
        if wanted.phones {
            let digits = "SELECT regexp_replace(v, '[^0-9]', '', 'g') FROM res_partner p CROSS JOIN LATERAL unnest(ARRAY[p.phone, p.mobile]) AS v WHERE v IS NOT NULL AND"
            parts.append("SELECT 1, \(digest("d")) FROM (\(digits) NOT (\(kept)) EXCEPT \(digits) (\(kept))) s(d) WHERE length(d) >= 6")
        }
        var secrets = wanted.secretColumns.compactMap(Self.split).flatMap { table, column -> [String] in
            let c = SQL.identifier(column) + "::text", t = "ONLY " + SQL.identifier(table)
            return ["SELECT \(c) FROM \(t) WHERE length(\(c)) >= 8",
                    "SELECT m[1] FROM \(t), regexp_matches(\(c), \(SQL.literal(Self.tokenPattern)), 'g') m"]
        }
        if !wanted.secretParameters.isEmpty {
            let keys = Self.array(wanted.secretParameters)
            secrets += ["SELECT value FROM ir_config_parameter WHERE key = ANY(\(keys)) AND length(value) >= 8",
                        "SELECT m[1] FROM ir_config_parameter, regexp_matches(value, \(SQL.literal(Self.tokenPattern)), 'g') m WHERE key = ANY(\(keys))"]
        }
        if !secrets.isEmpty { parts.append("SELECT 2, \(digest("v")) FROM (\(secrets.joined(separator: " UNION "))) s(v)") }
        return "BEGIN READ ONLY;\nCOPY (\(parts.joined(separator: "\nUNION ALL\n"))) TO STDOUT;\nCOMMIT;\n"
    }

    /// The target's side, after the digests are loaded: per table, one read extracting the pieces
    /// of every text column and counting those whose digest is the source's (`table`, `column`,
    /// `kind`, `count` rows); then the cleared columns and parameters themselves.
    func targetSearch(_ textColumns: [String: [String]], columns present: [String: Set<String>], kinds: [Kind], wanted: Wanted) -> String {
        var sql = "CREATE INDEX ON ocore_proof (h);\nANALYZE ocore_proof;\nBEGIN READ ONLY;\nSET LOCAL work_mem = '64MB';\n"
        let n = Kind.allCases.count
        for table in textColumns.keys.sorted() {
            let columns = textColumns[table]!
            let branches = columns.enumerated().flatMap { index, column in
                let c = "r." + SQL.identifier(column)
                return kinds.map { kind -> String in
                    let k = index * n + kind.rawValue
                    switch kind {
                    case .address:
                        return "SELECT \(k) AS k, lower(m[1]) AS v FROM regexp_matches(\(c), \(SQL.literal(Sanitizer.emailPattern)), 'g') m WHERE \(c) LIKE '%@%'"
                    case .phone:
                        return "SELECT \(k), regexp_replace(m[1], '[^0-9]', '', 'g') FROM regexp_matches(\(c), \(SQL.literal(Sanitizer.phonePattern)), 'g') m WHERE \(c) ~ '[0-9]' AND m[1] NOT LIKE '555-%'"
                    case .token:
                        return "SELECT \(k), m[1] FROM regexp_matches(\(c), \(SQL.literal(Self.tokenPattern)), 'g') m WHERE \(c) LIKE '%eyJ%' OR \(c) LIKE '%earer %' OR \(c) LIKE '%PRIVATE KEY%'"
                    }
                }
            }
            let names = "(ARRAY[" + columns.map(SQL.literal).joined(separator: ",") + "])"
            sql += """
                SELECT \(SQL.literal(table)), \(names)[k / \(n) + 1], k % \(n), count(*) FROM (
                  SELECT DISTINCT x.k, x.v FROM ONLY \(SQL.identifier(table)) r CROSS JOIN LATERAL (\(branches.joined(separator: " UNION ALL "))) x
                   WHERE x.v NOT LIKE '%@staging.local') y
                 WHERE (k % \(n), \(digest("y.v"))) IN (SELECT k, h FROM ocore_proof) GROUP BY k;

                """
        }
        for (table, column) in wanted.secretColumns.compactMap(Self.split) where present[table]?.contains(column) == true {
            let c = SQL.identifier(column) + "::text"
            sql += """
                SELECT \(SQL.literal(table)), \(SQL.literal(column)), 3, count(DISTINCT \(c)) FROM ONLY \(SQL.identifier(table))
                 WHERE length(\(c)) >= 8 AND \(digest(c)) IN (SELECT h FROM ocore_proof WHERE k = 2) HAVING count(*) > 0;

                """
        }
        if !wanted.secretParameters.isEmpty, present["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true {
            sql += """
                SELECT 'ir_config_parameter', string_agg(key, ', ' ORDER BY key), 4, count(*) FROM ir_config_parameter
                 WHERE key = ANY(\(Self.array(wanted.secretParameters))) AND \(digest("value")) IN (SELECT h FROM ocore_proof WHERE k = 2) HAVING count(*) > 0;

                """
        }
        return sql + "COMMIT;\n"
    }

    /// The target's answer (`table`, `column`, `what`, `count` rows) as findings.
    static func findings(_ output: String) -> [ProofFinding] {
        output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let what = Int(f[2]), let count = Int(f[3]), count > 0 else { return nil }
            switch what {
            case Kind.address.rawValue: return ProofFinding(location: "\(f[0]).\(f[1])", count: count, detail: "real customer e-mail addresses found")
            case Kind.phone.rawValue: return ProofFinding(location: "\(f[0]).\(f[1])", count: count, detail: "real customer phone numbers found")
            case Kind.token.rawValue: return ProofFinding(location: "\(f[0]).\(f[1])", count: count, detail: "secret values of the source found")
            case 3: return ProofFinding(location: "\(f[0]).\(f[1])", count: count, detail: "secret values of the source still there")
            default: return ProofFinding(location: f[0], count: count, detail: "secret values of the source still in \(f[1])")
            }
        }
    }

    static func split(_ name: String) -> (String, String)? {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }

    static func array(_ values: [String]) -> String {
        "ARRAY[" + Set(values).sorted().map(SQL.literal).joined(separator: ",") + "]::text[]"
    }
}

/// Passes a stream on between a fixed beginning and end (a script around `COPY` data).
final class Enclosing: StreamFilter {
    private var prefix: Data?
    private let suffix: Data
    init(prefix: String, suffix: String) {
        self.prefix = Data(prefix.utf8)
        self.suffix = Data(suffix.utf8)
    }
    func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data {
        var out = prefix ?? Data()
        prefix = nil
        out.append(contentsOf: bytes)
        return out
    }
    func finish() throws -> Data {
        defer { prefix = nil }
        return (prefix ?? Data()) + suffix
    }
}
