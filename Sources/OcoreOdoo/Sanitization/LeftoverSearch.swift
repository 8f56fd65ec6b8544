import Foundation
import OcoreModel

/// The proof's search of a sanitized target for what should not be there any more, in every text
/// column: the source's customer addresses, a sample of their numbers (as the source writes them),
/// and every secret value the clone cleared — whole, in the cleared columns and parameters, and
/// as secret-shaped tokens (JWT, PEM key, bearer token) anywhere.
///
/// Addresses: tables a clone streamed were searched row by row on their way (every address of
/// every customer, ``SanitizingCopyFilter``) and are skipped here. In the other tables up to
/// `fullSearchBytes`, every address other than the fakes is extracted and the distinct ones are
/// looked up on the source (read-only, by `res_partner`'s `email_normalized` index). A bigger
/// table not streamed (a restore, `--sanitize-after-copy`) is searched for a sample of them: on
/// the large demo the extraction alone takes 6.8 s for the 1.5 M message ids (each an address of
/// the server's domain) and ~60 s for all of mail_message.
///
/// Each target table is read once (two at a time) for cheap tests of every value (an `@` outside
/// the fakes' domain, one of the sampled addresses' domains, the text every sampled number shares,
/// a token's prefix); only the columns where one matched are read again to extract the pieces.
/// Secret values are compared as MD5 digests keyed with a key that lives only for this search:
/// nothing of the source is written to the target.
struct LeftoverSearch {
    let source: PSQL
    let target: PSQL
    let key = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    /// How many customer addresses and numbers are looked for.
    var sample = 50

    /// What to look for.
    struct Wanted {
        var addresses = false
        var phones = false
        /// Secret-like columns the clone cleared, and system parameters it cleared.
        var secretColumns: [CoveredColumn] = []
        var secretParameters: [String] = []
        /// Tables whose addresses the copy already searched as they streamed.
        var addressesCheckedInStream: Set<String> = []
    }

    /// Tables up to this heap size not streamed are searched for every address; bigger ones for a sample.
    static let fullSearchBytes: Int64 = 128 << 20

    /// More distinct suspicious pieces than this in one table means it was not sanitized; the
    /// search says so rather than reading them all.
    static let pieceLimit = 100_000

    enum Kind: Int { case address, phone, token, sampledAddress }

    /// A token of a known secret shape, as one capture group: a JWT, a PEM private key's body, a bearer token.
    static let tokenPattern = #"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s]{16,}|[Bb]earer [A-Za-z0-9._~+/-]{20,})"#

    /// `textColumns`: the target's text columns by table; `columns`: all of its columns.
    /// `sizes`: the target's heap size per table.
    func run(_ textColumns: [String: [String]], columns: [String: Set<String>], sizes: [String: Int64], wanted: Wanted) throws -> [ProofFinding] {
        let secrets = try sourceSecrets(wanted)
        let phones = wanted.phones ? try samplePhones() : []
        let unstreamed = textColumns.keys.filter { !wanted.addressesCheckedInStream.contains($0) }
        let big = Set(unstreamed.filter { (sizes[$0] ?? 0) > Self.fullSearchBytes })
        let addresses = wanted.addresses && !big.isEmpty ? try sampleAddresses() : []
        var kinds: [String: [Kind]] = [:]
        for table in textColumns.keys {
            var k: [Kind] = []
            if wanted.addresses && !wanted.addressesCheckedInStream.contains(table) {
                if !big.contains(table) { k.append(.address) } else if !addresses.isEmpty { k.append(.sampledAddress) }
            }
            if !phones.isEmpty { k.append(.phone) }
            if !secrets.isEmpty { k.append(.token) }
            if !k.isEmpty { kinds[table] = k }
        }
        var findings: [ProofFinding] = []
        if !kinds.isEmpty {
            let found = try search(textColumns.filter { kinds[$0.key] != nil }, kinds: kinds, addresses: addresses, phones: phones)
            findings += found.overflow.map {
                ProofFinding(location: $0, count: Self.pieceLimit, detail: "more than \(Self.pieceLimit) distinct addresses other than the fakes or tokens: too many to check one by one")
            }
            let real = try customerAddresses(among: Set(found.pieces.filter { $0.key.kind == .address }.flatMap(\.value)))
            var counts = found.rows
            for (place, values) in found.pieces {
                counts[place] = values.filter(place.kind == .address ? real.contains : secrets.contains).count
            }
            for (place, count) in counts.sorted(by: { ($0.key.location, $0.key.kind.rawValue) < ($1.key.location, $1.key.kind.rawValue) }) where count > 0 {
                switch place.kind {
                case .address, .sampledAddress: findings.append(.customerAddresses(in: place.location, count: count))
                case .phone: findings.append(ProofFinding(location: place.location, count: count, detail: "real customer phone numbers found"))
                case .token: findings.append(ProofFinding(location: place.location, count: count, detail: "secret values of the source found"))
                }
            }
        }
        findings += try secretsLeft(wanted, columns: columns, sourceSecrets: secrets)
        return findings
    }

    struct Place: Hashable {
        var table: String
        var column: String
        var kind: Kind
        var location: String { "\(table).\(column)" }
    }

    func digest(_ value: String) -> String { "md5(\(SQL.literal(key)) || \(value))" }

    /// Two passes. First one read of each table (two at a time) counting, per column, the rows
    /// that hold a sampled address or number (final), and the rows that may hold an address
    /// other than the fakes or a secret-shaped token (a cheap test). Then, only for the columns
    /// where that test matched, the distinct addresses (lowercased) or tokens (keyed digests).
    func search(_ textColumns: [String: [String]], kinds: [String: [Kind]], addresses: [String], phones: [String])
        throws -> (rows: [Place: Int], pieces: [Place: [String]], overflow: [String]) {
        let domains = Self.likeArray(Array(Set(addresses.compactMap { a in a.lastIndex(of: "@").map { String(a[$0...]) } })))
        let addressPatterns = Self.likeArray(addresses), phonePatterns = Self.likeArray(phones)
        let phoneGate = Self.commonSubstring(phones).map { "strpos(%@, \(SQL.literal($0))) > 0" } ?? "%@ ~ '[0-9]'"
        let tables = textColumns.keys.sorted()
        var order: [[Place]] = []
        var sqls: [String] = []
        for table in tables {
            var places: [Place] = [], counts: [String] = []
            for column in textColumns[table]! {
                let c = SQL.identifier(column)
                for kind in kinds[table]! {
                    places.append(Place(table: table, column: column, kind: kind))
                    let test: String = switch kind {
                    case .address: Self.addressGate(c)
                    // Only a value with one of the sampled addresses' domains can hold one of them.
                    case .sampledAddress: "\(c) LIKE '%@%' AND lower(\(c)) LIKE ANY (\(domains)) AND lower(\(c)) LIKE ANY (\(addressPatterns))"
                    case .phone: "\(phoneGate.replacingOccurrences(of: "%@", with: c)) AND \(c) LIKE ANY (\(phonePatterns))"
                    case .token: Self.tokenGate(c)
                    }
                    counts.append("count(*) FILTER (WHERE \(test))")
                }
            }
            order.append(places)
            sqls.append("BEGIN READ ONLY;\n\(SQL.jitOffInTransaction)\nSELECT \(counts.joined(separator: ", ")) FROM ONLY \(SQL.identifier(table));\nCOMMIT;")
        }
        let gates = try Self.runTwoAtATime(sqls, on: target)
        var rows: [Place: Int] = [:], extract: [Place] = []
        for (places, result) in zip(order, gates) {
            for (place, value) in zip(places, result.first ?? []) where (Int(value) ?? 0) > 0 {
                if place.kind == .address || place.kind == .token { extract.append(place) } else { rows[place] = Int(value)! }
            }
        }
        let extracted = try Self.runTwoAtATime(extract.map { place in
            let c = SQL.identifier(place.column), table = SQL.identifier(place.table)
            let pieces = place.kind == .address
                ? "SELECT lower(m[1]) AS v FROM ONLY \(table), regexp_matches(\(c), \(SQL.literal(Sanitizer.emailPattern)), 'g') m WHERE \(Self.addressGate(c))"
                : "SELECT \(digest("m[1]")) AS v FROM ONLY \(table), regexp_matches(\(c), \(SQL.literal(Self.tokenPattern)), 'g') m WHERE \(Self.tokenGate(c))"
            return "BEGIN READ ONLY;\n\(SQL.jitOffInTransaction)\nSELECT DISTINCT v FROM (\(pieces)) s WHERE v NOT LIKE '%@staging.local' LIMIT \(Self.pieceLimit + 1);\nCOMMIT;"
        }, on: target)
        var pieces: [Place: [String]] = [:], overflow: [String] = []
        for (place, result) in zip(extract, extracted) {
            if result.count > Self.pieceLimit { overflow.append(place.location) }
            pieces[place] = result.compactMap(\.first)
        }
        return (rows, pieces, overflow)
    }

    /// A value that holds an `@` other than the fakes' (`…@staging.local`).
    static func addressGate(_ c: String) -> String { "\(c) LIKE '%@%' AND replace(\(c), '@staging.local', '') LIKE '%@%'" }
    /// A value that may hold a secret-shaped token.
    static func tokenGate(_ c: String) -> String { "(\(c) LIKE '%eyJ%' OR \(c) LIKE '%earer %' OR \(c) LIKE '%PRIVATE KEY%')" }

    /// Runs the scripts on `psql`, two sessions side by side; the rows of each, in order.
    static func runTwoAtATime(_ sqls: [String], on psql: PSQL) throws -> [[[String]]] {
        let results = ResultsByIndex(count: sqls.count)
        DispatchQueue.concurrentPerform(iterations: min(2, max(sqls.count, 1))) { _ in
            while let index = results.next() { results.set(index, Result { try psql.query(sqls[index], timeout: .seconds(3600)) }) }
        }
        return try (0..<sqls.count).map { try results.get($0).get() }
    }

    /// Which of `candidates` are addresses of the source's customers: a partner's that is not an
    /// active user's or a company's own partner, and not also one of theirs.
    func customerAddresses(among candidates: Set<String>) throws -> Set<String> {
        guard !candidates.isEmpty else { return [] }
        let normalized = try source.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'res_partner' AND column_name = 'email_normalized'") == "1"
        let address = normalized ? "p.email_normalized" : "lower(substring(p.email FROM \(SQL.literal(Sanitizer.emailPattern))))"
        let partners = "SELECT \(address) FROM res_partner p WHERE p.email LIKE '%@%' AND"
        return Set(try source.query("""
            BEGIN READ ONLY;
            \(SQL.jitOffInTransaction)
            SELECT a FROM unnest(\(Self.array(Array(candidates)))) a WHERE a IN (\(partners) NOT (\(Self.kept))) AND a NOT IN (\(partners) (\(Self.kept)) AND \(address) IS NOT NULL);
            COMMIT;
            """, timeout: .seconds(3600)).map { $0[0] })
    }

    /// A sample of the source's customers' addresses (lowercased): partners that are not an
    /// active user's or a company's own partner, less those partners' own addresses.
    func sampleAddresses() throws -> [String] {
        let partners = "SELECT lower(p.email) FROM res_partner p WHERE p.email LIKE '%@%' AND"
        return try source.query("""
            BEGIN READ ONLY;
            SELECT a FROM (\(partners) NOT (\(Self.kept)) EXCEPT \(partners) (\(Self.kept))) s(a) ORDER BY 1 LIMIT \(sample);
            COMMIT;
            """).map { $0[0] }
    }

    /// Partners whose addresses and numbers are kept: active users' and companies' own.
    static let kept = "p.id IN (SELECT partner_id FROM res_users WHERE active) OR (to_regclass('res_company') IS NOT NULL AND p.id IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL))"

    /// A sample of the source's customers' numbers, as written there.
    func samplePhones() throws -> [String] {
        try source.query("""
            BEGIN READ ONLY;
            SELECT DISTINCT v FROM res_partner p CROSS JOIN LATERAL unnest(ARRAY[p.phone, p.mobile]) AS v
             WHERE v IS NOT NULL AND length(regexp_replace(v, '[^0-9]', '', 'g')) >= 6 AND NOT (\(Self.kept))
             ORDER BY 1 LIMIT \(sample);
            COMMIT;
            """).map { $0[0] }
    }

    /// Keyed digests of the source's secret values: whole values of 8 characters or more of the
    /// cleared secret-like columns and parameters, and the secret-shaped tokens inside them.
    func sourceSecrets(_ wanted: Wanted) throws -> Set<String> {
        var selects = wanted.secretColumns.flatMap { secret -> [String] in
            let c = SQL.identifier(secret.column) + "::text", t = "ONLY " + SQL.identifier(secret.table)
            return ["SELECT \(c) FROM \(t) WHERE length(\(c)) >= 8",
                    "SELECT m[1] FROM \(t), regexp_matches(\(c), \(SQL.literal(Self.tokenPattern)), 'g') m"]
        }
        if !wanted.secretParameters.isEmpty {
            let keys = Self.array(wanted.secretParameters)
            selects += ["SELECT value FROM ir_config_parameter WHERE key = ANY(\(keys)) AND length(value) >= 8",
                        "SELECT m[1] FROM ir_config_parameter, regexp_matches(value, \(SQL.literal(Self.tokenPattern)), 'g') m WHERE key = ANY(\(keys))"]
        }
        guard !selects.isEmpty else { return [] }
        return Set(try source.query("BEGIN READ ONLY;\nSELECT DISTINCT \(digest("v")) FROM (\(selects.joined(separator: " UNION "))) s(v);\nCOMMIT;",
                                    timeout: .seconds(3600)).map { $0[0] })
    }

    /// The cleared columns and parameters themselves: any value still equal to the source's is a finding.
    func secretsLeft(_ wanted: Wanted, columns present: [String: Set<String>], sourceSecrets: Set<String>) throws -> [ProofFinding] {
        guard !sourceSecrets.isEmpty else { return [] }
        var findings: [ProofFinding] = []
        for secret in wanted.secretColumns where present[secret.table]?.contains(secret.column) == true {
            let c = SQL.identifier(secret.column) + "::text"
            let left = try target.query("SELECT DISTINCT \(digest(c)) FROM ONLY \(SQL.identifier(secret.table)) WHERE length(\(c)) >= 8 LIMIT \(Self.pieceLimit)")
                .filter { sourceSecrets.contains($0[0]) }.count
            if left > 0 { findings.append(ProofFinding(location: secret.name, count: left, detail: "secret values of the source still there")) }
        }
        if !wanted.secretParameters.isEmpty, present["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true {
            let keys = try target.query("SELECT key, \(digest("value")) FROM ir_config_parameter WHERE key = ANY(\(Self.array(wanted.secretParameters)))")
                .filter { $0.count == 2 && sourceSecrets.contains($0[1]) }.map { $0[0] }.sorted()
            if !keys.isEmpty {
                findings.append(ProofFinding(location: "ir_config_parameter", count: keys.count, detail: "secret values of the source still in \(keys.joined(separator: ", "))"))
            }
        }
        return findings
    }

    /// The longest text (at least 2 characters) every value contains, if any: a cheap first test.
    static func commonSubstring(_ values: [String]) -> String? {
        guard let shortest = values.min(by: { $0.count < $1.count }), shortest.count >= 2 else { return nil }
        let chars = Array(shortest)
        for length in stride(from: chars.count, through: 2, by: -1) {
            for start in 0...(chars.count - length) {
                let candidate = String(chars[start..<start + length])
                if values.allSatisfy({ $0.contains(candidate) }) { return candidate }
            }
        }
        return nil
    }

    /// `LIKE ANY` patterns matching values that contain one of `values`.
    static func likeArray(_ values: [String]) -> String {
        "ARRAY[" + values.sorted().map { SQL.literal("%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%") }.joined(separator: ",") + "]"
    }

    static func array(_ values: [String]) -> String {
        "ARRAY[" + Set(values).sorted().map(SQL.literal).joined(separator: ",") + "]::text[]"
    }
}

/// Results filled in by index from several threads.
final class ResultsByIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<[[String]], Error>?]
    private var taken = 0
    init(count: Int) { values = Array(repeating: nil, count: count) }
    /// The next index nobody has taken yet.
    func next() -> Int? { lock.withLock { taken < values.count ? { taken += 1; return taken - 1 }() : nil } }
    func set(_ index: Int, _ value: Result<[[String]], Error>) { lock.withLock { values[index] = value } }
    func get(_ index: Int) -> Result<[[String]], Error> { lock.withLock { values[index] ?? .success([]) } }
}
