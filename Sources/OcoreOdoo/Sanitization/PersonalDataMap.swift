import Crypto
import Foundation

/// The per-clone mapping from customers' real e-mail addresses and phone numbers to fake ones,
/// built from `res_partner` in the snapshot the copy reads: a real address becomes the fake of
/// the lowest partner that has it (`user_<id>@staging.local`, the seeds' format), a number the
/// fake of the lowest partner that has it (`555-<id>`); anything else address- or number-like is
/// replaced by a keyed hash whose key lives only in memory for one clone. Active users' own
/// addresses are kept. Keys are 64-bit hashes of the normalized text, so the map of a 1.5 M
/// partner database is tens of megabytes, not hundreds.
public final class PersonalDataMap: @unchecked Sendable {
    private(set) var partnerOfEmail: [UInt64: Int] = [:]
    private(set) var keptEmails: Set<UInt64> = []
    /// Addresses of the companies' own partners: mapped like the others, but not a customer's.
    private(set) var companyEmails: Set<UInt64> = []
    private(set) var partnerOfPhone: [UInt64: Int] = [:]
    private let key: [UInt8]

    public init(key: String = UUID().uuidString) {
        self.key = Array(key.utf8)
    }

    public var emailCount: Int { partnerOfEmail.count }
    public var phoneCount: Int { partnerOfPhone.count }

    /// The query whose `COPY` output ``add(copyRow:)`` reads: every partner with an address or a
    /// number, whether it is an active user's (kept) and whether it is a company's own partner
    /// (its switchboard number is not a customer's).
    public static func sourceQuery(hasCompanies: Bool) -> String {
        let company = hasCompanies
            ? "p.id IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)" : "false"
        return """
            SELECT p.id, p.email, p.phone, p.mobile, p.id IN (SELECT partner_id FROM res_users WHERE active), \(company)
              FROM res_partner p WHERE p.email LIKE '%@%' OR p.phone IS NOT NULL OR p.mobile IS NOT NULL
            """
    }

    /// One row of ``sourceQuery(hasCompanies:)`` in COPY text format (without its newline).
    func add(copyRow row: UnsafeBufferPointer<UInt8>) {
        var fields: [Range<Int>] = []
        var start = 0
        for i in 0..<row.count where row[i] == UInt8(ascii: "\t") {
            fields.append(start..<i)
            start = i + 1
        }
        fields.append(start..<row.count)
        guard fields.count == 6, let partner = Partner(row: row, id: fields[0], email: fields[1], phones: [fields[2], fields[3]]) else { return }
        add(partner, isUser: row[fields[4].lowerBound] == UInt8(ascii: "t"), isCompany: row[fields[5].lowerBound] == UInt8(ascii: "t"))
    }

    /// What the map keeps of one partner: its id, the hash of its address and of its numbers
    /// (never the text), so a dump's partners can be held until its users are read.
    struct Partner {
        var id: Int
        var email: UInt64?
        var phones: [UInt64]

        /// The partner of a COPY row whose id, e-mail and phone fields are at these ranges; nil without an id.
        init?(row: UnsafeBufferPointer<UInt8>, id: Range<Int>, email: Range<Int>, phones: [Range<Int>]) {
            guard let id = Int(String(decoding: UnsafeBufferPointer(rebasing: row[id]), as: UTF8.self)) else { return nil }
            self.id = id
            let text = UnsafeBufferPointer(rebasing: row[email])
            self.email = TextScanner.firstEmail(in: text).map { TextScanner.lowercasedHash(UnsafeBufferPointer(rebasing: text[$0])) }
            self.phones = phones.compactMap { f in
                let digits = TextScanner.digits(of: UnsafeBufferPointer(rebasing: row[f]))
                return digits.count >= 6 ? digits.withUnsafeBufferPointer { TextScanner.hash($0) } : nil
            }
        }
    }

    /// One partner: an active user's address is kept, anything else maps to its lowest partner.
    func add(_ partner: Partner, isUser: Bool, isCompany: Bool) {
        let id = partner.id
        if let h = partner.email {
            if isUser { keptEmails.insert(h) } else if partnerOfEmail[h].map({ id < $0 }) ?? true { partnerOfEmail[h] = id }
            if isCompany { companyEmails.insert(h) }
        }
        guard !isUser, !isCompany else { return }
        for h in partner.phones where partnerOfPhone[h].map({ id < $0 }) ?? true { partnerOfPhone[h] = id }
    }

    /// Reads the `COPY` output of ``sourceQuery(hasCompanies:)`` as it streams.
    public final class Loader: StreamRowReader {
        let map: PersonalDataMap
        public init(_ map: PersonalDataMap) { self.map = map }
        override func row(_ bytes: UnsafeBufferPointer<UInt8>) { map.add(copyRow: bytes) }
    }

    // MARK: Fakes

    enum EmailDecision { case keep, replace([UInt8]) }

    /// Whether an address found in text is one of the source's customers' (not a fake, not an
    /// active user's or a company's own): the proof's test of what the copy wrote, independent
    /// of the rewriting.
    func isCustomerAddress(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !TextScanner.hasSuffixIgnoringCase(token, "@staging.local") else { return false }
        let h = TextScanner.lowercasedHash(token)
        return partnerOfEmail[h] != nil && !keptEmails.contains(h) && !companyEmails.contains(h)
    }

    /// What an address found in text becomes: kept (an active user's, or already fake), the
    /// fake of the partner it belongs to, or a keyed fake.
    func decide(email token: UnsafeBufferPointer<UInt8>) -> EmailDecision {
        if TextScanner.hasSuffixIgnoringCase(token, "@staging.local") { return .keep }
        let h = TextScanner.lowercasedHash(token)
        if keptEmails.contains(h) { return .keep }
        if let id = partnerOfEmail[h] { return .replace(Array("user_\(id)@staging.local".utf8)) }
        return .replace(Array(("x" + keyedHex(TextScanner.lowercased(token), length: 12) + "@staging.local").utf8))
    }

    /// The fake of a phone number given by its digits; nil when it is not a known customer's
    /// number and `keyed` is false (free text: dates and amounts are digits too).
    func fakePhone(digits: [UInt8], keyed: Bool) -> [UInt8]? {
        let h = digits.withUnsafeBufferPointer { TextScanner.hash($0) }
        if let id = partnerOfPhone[h] { return Array(Self.partnerPhone(id).utf8) }
        return keyed ? Array(("555-x" + keyedHex(digits, length: 6)).utf8) : nil
    }

    /// The seeds' `CONCAT('555-', LPAD(id::text, 4, '0'))`, with PostgreSQL's `lpad`, which also
    /// truncates longer text to 4 characters.
    public static func partnerPhone(_ id: Int) -> String {
        let text = String(id)
        return "555-" + (text.count >= 4 ? String(text.prefix(4)) : String(repeating: "0", count: 4 - text.count) + text)
    }

    private func keyedHex(_ bytes: [UInt8], length: Int) -> String {
        var hasher = SHA256()
        hasher.update(data: key)
        hasher.update(data: bytes)
        return hasher.finalize().prefix((length + 1) / 2).map { String(format: "%02x", $0) }.joined().prefix(length).description
    }
}
