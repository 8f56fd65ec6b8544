import Foundation
import OcoreModel
import OcoreRemote

/// What a restore learns from a plain dump while it checks it, so that it can sanitize the same
/// dump as it loads: each public table's columns (its `COPY` line), and what the clone's mapping
/// needs — the partners' addresses and numbers (as hashes), the active users' partners and the
/// companies' own partners. pg_dump writes `res_partner` before `res_users` and the message
/// tables before both, so the mapping cannot be learnt during the load itself; the check reads
/// the whole dump anyway, before anything on the target is touched.
public final class DumpFacts: CopyDataHook, @unchecked Sendable {
    public private(set) var columns: [String: [String]] = [:]
    private(set) var partners: [PersonalDataMap.Partner] = []
    private(set) var activeUserPartners: Set<Int> = []
    private(set) var companyPartners: Set<Int> = []
    /// Tables whose COPY block was read.
    private var copied: Set<String> = []

    /// `columns`: the tables' columns when they are known beforehand (a custom-format dump's
    /// schema, loaded first), for the tables whose rows are not read here.
    public init(columns: [String: [String]] = [:]) {
        self.columns = columns
    }

    public func copyBegins(_ statement: CopyStatement?) -> CopyDataHandling {
        guard let s = statement else {
            return .refuse("a COPY statement not in pg_dump's one-line form: whose rows follow cannot be told, so they cannot be sanitized while loading")
        }
        guard s.isPublic else { return .pass }
        if copied.contains(s.table), columns[s.table] != s.columns { return .refuse("two COPY blocks of \(s.table) with different columns") }
        if let known = columns[s.table], known != s.columns, !copied.contains(s.table) {
            return .refuse("the COPY of \(s.table) lists other columns than its table has")
        }
        copied.insert(s.table)
        columns[s.table] = s.columns
        func index(_ name: String) -> Int? { s.columns.firstIndex(of: name) }
        switch s.table {
        case "res_partner":
            guard let id = index("id"), let email = index("email") else { return .pass }
            let phones = ["phone", "mobile"].compactMap(index)
            return .filter(CopyRowReader(fields: s.columns.count) { [self] row, f in
                if let partner = PersonalDataMap.Partner(row: row, id: f[id], email: f[email], phones: phones.map { f[$0] }) { partners.append(partner) }
            })
        case "res_users":
            guard let partner = index("partner_id"), let active = index("active") else { return .pass }
            return .filter(CopyRowReader(fields: s.columns.count) { [self] row, f in
                if CopyRowReader.isTrue(row, f[active]), let id = CopyRowReader.int(row, f[partner]) { activeUserPartners.insert(id) }
            })
        case "res_company":
            guard let partner = index("partner_id") else { return .pass }
            return .filter(CopyRowReader(fields: s.columns.count) { [self] row, f in
                if let id = CopyRowReader.int(row, f[partner]) { companyPartners.insert(id) }
            })
        default:
            return .pass
        }
    }

    /// The clone's mapping, as ``SnapshotReads`` builds it from a live source.
    public func personalDataMap() -> PersonalDataMap {
        let map = PersonalDataMap()
        let companies = columns["res_company"]?.contains("partner_id") == true
        for p in partners {
            map.add(p, isUser: activeUserPartners.contains(p.id), isCompany: companies && companyPartners.contains(p.id))
        }
        return map
    }
}

/// The restore's counterpart of a clone's sanitizing `SELECT`: the same ``SanitizedCopyPlan``
/// (tables, rules, the personal-data options), applied to the dump's own `COPY` rows as they go
/// to psql. What the clone's `SELECT` computes in PostgreSQL (a partner's fake number from its
/// id, whether it is an active user's) is computed here from the row and the ``DumpFacts``; the
/// rest is the clone's ``SanitizingCopyFilter``. The options are done when the rows land: no
/// `UPDATE` pass, and the real values never reach the target's disk.
public final class DumpSanitizer: CopyDataHook, @unchecked Sendable {
    public let plan: SanitizedCopyPlan
    let facts: DumpFacts
    /// Whether companies have their own partners (the plan's `SELECT` joins them).
    let companies: Bool
    let map: PersonalDataMap
    let verifying: Bool
    private let lock = NSLock()
    private var filters: [(table: String, columns: [String], filter: SanitizingCopyFilter)] = []

    /// The sanitizer for `options` over the dump `facts` describes; nil when none of them is done
    /// in the stream (no personal-data option, or the dump lacks the partner's columns).
    public init?(options: [String], facts: DumpFacts) {
        guard let plan = SanitizedCopyPlan.sanitizing(options: options, columns: facts.columns), !plan.options.isEmpty else { return nil }
        // Every table's SELECT must be one this file computes: the columns as they are, the
        // partner's, and the users' "archived" helper.
        for table in plan.tables where table.name != "res_partner" {
            let plain = table.columns.map(SQL.identifier)
            guard table.outputs == plain || (table.name == "res_users" && table.outputs == plain + ["NOT \"active\""]) else { return nil }
        }
        let companies = facts.columns["res_company"]?.contains("partner_id") == true
        guard let partner = plan.tables.first(where: { $0.name == "res_partner" }),
              PartnerRow(columns: partner.columns, options: Set(plan.options), facts: facts, companies: companies)?.outputs == partner.outputs.count
        else { return nil }
        self.companies = companies
        self.plan = plan
        self.facts = facts
        map = facts.personalDataMap()
        verifying = plan.options.contains("anonymize_emails")
    }

    public var emailCount: Int { map.emailCount }
    public var phoneCount: Int { map.phoneCount }

    public func copyBegins(_ statement: CopyStatement?) -> CopyDataHandling {
        guard let s = statement else { return .refuse("a COPY statement not in pg_dump's one-line form") }
        guard s.isPublic, let table = plan.tables.first(where: { $0.name == s.table }) else { return .pass }
        guard s.columns == table.columns else { return .refuse("the COPY of \(s.table) lists other columns than when the dump was checked") }
        let inner = SanitizingCopyFilter(rules: table.rules, map: map, verifying: verifying)
        lock.withLock { filters.append((table.name, table.columns, inner)) }
        switch table.name {
        case "res_partner":
            let row = PartnerRow(columns: table.columns, options: Set(plan.options), facts: facts, companies: companies)!
            return .filter(RowShaper(fields: table.columns.count, into: inner, shape: row.shape))
        case "res_users" where table.outputs.count > table.columns.count:
            let active = table.columns.firstIndex(of: "active")!
            return .filter(RowShaper(fields: table.columns.count, into: inner) { row, f, out in
                out.append(contentsOf: row)
                out.append(9)
                let value = row[f[active]]
                out.append(contentsOf: value.count == 1 && value.first == UInt8(ascii: "t") ? [UInt8(ascii: "f")]
                                       : value.count == 1 && value.first == UInt8(ascii: "f") ? [UInt8(ascii: "t")] : [92, 78])
            })
        default:
            return .filter(inner)
        }
    }

    /// One table as it was loaded: rows, rows changed per option, time spent rewriting, and the
    /// rows that still reached the target with a customer's address, by column.
    public struct TableResult: Sendable {
        public var table: String
        public var rows: Int
        public var changed: [String: Int]
        public var filterTime: Duration
        public var customerAddresses: [String: Int]
    }

    public var tables: [TableResult] {
        lock.withLock {
            var merged: [String: TableResult] = [:]
            for (table, columns, filter) in filters {
                let counts = filter.counts
                var r = merged[table] ?? TableResult(table: table, rows: 0, changed: [:], filterTime: .zero, customerAddresses: [:])
                r.rows += counts.rows
                r.filterTime += counts.time
                for (k, v) in counts.changed { r.changed[k, default: 0] += v }
                for (field, n) in filter.rowsWithCustomerAddresses where field < columns.count { r.customerAddresses[columns[field], default: 0] += n }
                merged[table] = r
            }
            return plan.tables.compactMap { merged[$0.name] }
        }
    }

    /// The options' results, as the clone reports them.
    public var results: [Sanitizer.Result] {
        let tables = self.tables
        return plan.options.map { option in
            let touched = tables.filter { $0.changed[option] != nil }
            return Sanitizer.Result(optionKey: option, status: .applied, affectedRows: tables.reduce(0) { $0 + ($1.changed[option] ?? 0) },
                                    durationMs: Sanitizer.ms(touched.reduce(Duration.zero) { $0 + $1.filterTime }),
                                    reason: "applied while loading \(touched.isEmpty ? "res_partner" : touched.map(\.table).joined(separator: ", ")) (no UPDATE pass)")
        }
    }

    /// The tables every row of which was searched for customer addresses on its way, and what was found.
    public var addressCheck: StreamedAddressCheck? {
        guard verifying else { return nil }
        let tables = self.tables
        return StreamedAddressCheck(tables: tables.map(\.table).sorted(), findings: tables.flatMap { t in
            t.customerAddresses.sorted { $0.key < $1.key }.map { ProofFinding.customerAddresses(in: "\(t.table).\($0.key)", count: $0.value) }
        })
    }
}

/// `res_partner`'s row as the clone's SELECT makes it (``SanitizedCopyPlan/partnerTable``): the
/// phones, address and company name of the rows those options change, then the helper fields —
/// one flag per option (in the SELECT's order) and the row's id for the e-mail rule. Written
/// straight into the output, from the row's own bytes (a fake is made of the id's digits).
struct PartnerRow {
    /// What the options may make of a column.
    enum Role { case kept, phone, mobile, street, street2, city, zip, name }

    let columns: [String]
    let facts: DumpFacts
    let companies: Bool
    let id: Int
    private let roles: [Role]
    private let phones: [Int], street: Int?, isCompany: Int?
    /// Which options' flags follow the columns (the SELECT's order), and whether the id does.
    private let flagPhones: Bool, flagAddresses: Bool, flagCompanies: Bool, withID: Bool

    init?(columns: [String], options: Set<String>, facts: DumpFacts, companies: Bool) {
        guard let id = columns.firstIndex(of: "id") else { return nil }
        self.columns = columns
        self.facts = facts
        self.companies = companies
        self.id = id
        let named: [String: Role] = ["phone": .phone, "phone_sanitized": .phone, "mobile": .mobile, "street": .street, "street2": .street2,
                                     "city": .city, "zip": .zip, "name": .name, "complete_name": .name]
        roles = columns.map { named[$0] ?? .kept }
        phones = ["phone", "mobile"].compactMap { columns.firstIndex(of: $0) }
        street = columns.firstIndex(of: "street")
        isCompany = columns.firstIndex(of: "is_company")
        flagPhones = options.contains("anonymize_phones")
        flagAddresses = options.contains("anonymize_addresses")
        flagCompanies = options.contains("anonymize_company_names")
        withID = options.contains("anonymize_emails") && columns.contains("email")
    }

    var outputs: Int { columns.count + [flagPhones, flagAddresses, flagCompanies, withID].filter { $0 }.count }

    func shape(_ row: UnsafeBufferPointer<UInt8>, _ f: [Range<Int>], _ out: inout [UInt8]) throws {
        guard let pid = CopyRowReader.int(row, f[id]) else { throw SanitizingCopyError.shape(expected: columns.count, got: f.count) }
        let notUser = !facts.activeUserPartners.contains(pid)
        let notCompany = !companies || !facts.companyPartners.contains(pid)
        let phoneChanged = flagPhones && notUser && notCompany && phones.contains { !CopyRowReader.isNull(row, f[$0]) }
        let addressChanged = flagAddresses && notUser && street.map { !CopyRowReader.isNull(row, f[$0]) } == true
        let companyChanged = flagCompanies && notCompany && isCompany.map { CopyRowReader.isTrue(row, f[$0]) } == true
        let digits = row[f[id]]
        for i in 0..<columns.count {
            if i > 0 { out.append(9) }
            switch roles[i] {
            case .phone where phoneChanged:
                // `'555-' || lpad(id::text, 4, '0')`: lpad also cuts longer text to 4 characters.
                out.append(contentsOf: [53, 53, 53, 45])
                if digits.count < 4 { out.append(contentsOf: repeatElement(48, count: 4 - digits.count)) }
                out.append(contentsOf: digits.prefix(4))
            case .mobile where phoneChanged, .street2 where addressChanged: out.append(contentsOf: [92, 78])
            case .street where addressChanged: out.append(contentsOf: "Street ".utf8); out.append(contentsOf: digits)
            case .city where addressChanged: out.append(contentsOf: "Staging City".utf8)
            case .zip where addressChanged: out.append(contentsOf: "00000".utf8)
            case .name where companyChanged: out.append(contentsOf: "Company ".utf8); out.append(contentsOf: digits)
            default: out.append(contentsOf: row[f[i]])
            }
        }
        func flag(_ changed: Bool) { out.append(9); out.append(changed ? UInt8(ascii: "t") : UInt8(ascii: "f")) }
        if flagPhones { flag(phoneChanged) }
        if flagAddresses { flag(addressChanged) }
        if flagCompanies { flag(companyChanged) }
        if withID { out.append(9); out.append(contentsOf: digits) }
    }
}

/// Reads the rows of a COPY block, split into fields, and passes nothing on (the check's reading).
final class CopyRowReader: StreamRowReader, StreamFilter, @unchecked Sendable {
    private let fields: Int
    private let body: (UnsafeBufferPointer<UInt8>, [Range<Int>]) -> Void

    init(fields: Int, _ body: @escaping (UnsafeBufferPointer<UInt8>, [Range<Int>]) -> Void) {
        self.fields = fields
        self.body = body
    }

    func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data {
        try rows(in: bytes) { row in
            let f = Self.split(row)
            guard f.count == fields else { throw SanitizingCopyError.shape(expected: fields, got: f.count) }
            body(row, f)
        }
        return Data()
    }

    func finish() throws -> Data {
        guard pendingCount == 0 else { throw SanitizingCopyError.truncated(pendingCount) }
        return Data()
    }

    /// A COPY text row's fields (a tab in a value is written `\t`, so tabs only separate).
    static func split(_ row: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        var start = 0
        if let base = row.baseAddress {
            while let hit = memchr(base + start, 9, row.count - start) {
                let tab = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                fields.append(start..<tab)
                start = tab + 1
            }
        }
        fields.append(start..<row.count)
        return fields
    }

    static func isTrue(_ row: UnsafeBufferPointer<UInt8>, _ f: Range<Int>) -> Bool { f.count == 1 && row[f.lowerBound] == UInt8(ascii: "t") }
    static func isNull(_ row: UnsafeBufferPointer<UInt8>, _ f: Range<Int>) -> Bool { f.count == 2 && row[f.lowerBound] == 92 && row[f.lowerBound + 1] == 78 }
    static func int(_ row: UnsafeBufferPointer<UInt8>, _ f: Range<Int>) -> Int? {
        guard !f.isEmpty, f.count < 20 else { return nil }
        var n = 0
        for c in row[f] {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }
}

/// Rewrites each row of a COPY block into the shape a ``SanitizingCopyFilter`` reads (the
/// columns, some computed, then helper fields), and passes the rows on through it.
final class RowShaper: StreamRowReader, StreamFilter, @unchecked Sendable {
    private let fields: Int
    private let inner: SanitizingCopyFilter
    private let shape: (UnsafeBufferPointer<UInt8>, [Range<Int>], inout [UInt8]) throws -> Void
    private var buffer: [UInt8] = []

    init(fields: Int, into inner: SanitizingCopyFilter, shape: @escaping (UnsafeBufferPointer<UInt8>, [Range<Int>], inout [UInt8]) throws -> Void) {
        self.fields = fields
        self.inner = inner
        self.shape = shape
    }

    func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data {
        buffer.removeAll(keepingCapacity: true)
        try rows(in: bytes) { row in
            let f = CopyRowReader.split(row)
            guard f.count == fields else { throw SanitizingCopyError.shape(expected: fields, got: f.count) }
            try shape(row, f, &buffer)
            buffer.append(10)
        }
        return try buffer.withUnsafeBytes { try inner.filter($0) }
    }

    func finish() throws -> Data {
        guard pendingCount == 0 else { throw SanitizingCopyError.truncated(pendingCount) }
        return try inner.finish()
    }
}
