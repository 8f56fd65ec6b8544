import Foundation
import OcoreRemote

/// How one table's rows are rewritten while they stream from the source's `COPY (SELECT …)` to
/// the target's `COPY … FROM STDIN`. The SELECT does what a row knows by itself (a partner's
/// fake phone from its id); the rules here do what needs the clone's mapping (an address quoted
/// in a message body becomes the fake of the partner it belongs to). Fields after
/// `outputFields` are helpers the SELECT adds for the rules; they are not written.
public struct CopyRules: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Every address in the text: kept, mapped or keyed (``PersonalDataMap``).
        case emailsInText
        /// Numbers in the text: mapped; unknown ones keyed only when `keyed` (a column of numbers).
        case phonesInText(keyed: Bool)
        /// A partner's e-mail field, replaced whole by its address's fake (`user_<id>@…`), or by
        /// `user_<row id>@staging.local` when it holds no address; kept for active users' addresses.
        case partnerEmail(rowIDField: Int)
        /// The lower-cased new value of another field, when that field changed (`email_normalized`).
        case lowercasedCopy(of: Int)

        var option: String {
            switch self {
            case .emailsInText, .partnerEmail, .lowercasedCopy: "anonymize_emails"
            case .phonesInText: "anonymize_phones"
            }
        }
    }

    public struct Column: Sendable, Equatable {
        public var field: Int
        public var actions: [Action]
        /// A helper field that must be `t` for the actions to apply (e.g. "this user is archived").
        public var onlyWhen: Int?

        public init(field: Int, actions: [Action], onlyWhen: Int? = nil) {
            self.field = field
            self.actions = actions
            self.onlyWhen = onlyWhen
        }
    }

    public var outputFields: Int
    public var columns: [Column]
    /// Helper fields the SELECT sets to `t` when it changed the row for an option.
    public var changeFlags: [String: Int]

    public init(outputFields: Int, columns: [Column], changeFlags: [String: Int] = [:]) {
        self.outputFields = outputFields
        self.columns = columns
        self.changeFlags = changeFlags
    }

    /// Options these rules (and their SELECT) apply.
    public var options: Set<String> { Set(columns.flatMap { $0.actions.map(\.option) }).union(changeFlags.keys) }
}

/// A ``StreamFilter`` applying ``CopyRules`` to `COPY` text rows, counting the rows changed per option.
/// When `verifying`, every row it writes is searched for the source's customer addresses (in all
/// its fields, rewritten or not): the proof's check of what reached the target, on every row.
public final class SanitizingCopyFilter: StreamRowReader, StreamFilter, @unchecked Sendable {
    let rules: CopyRules
    let map: PersonalDataMap
    let verifying: Bool
    private let lock = NSLock()
    private var changed: [String: Int] = [:]
    /// Rows written with a customer's address, by output field.
    private var leftovers: [Int: Int] = [:]
    private var rowCount = 0
    // The row being rewritten and the chunk being written. One thread filters at a time (a
    // stream's chunks come in order), so the runtime's exclusivity checks on every access to
    // these (per field of every row: 7 % of a sanitized backup's CPU samples) guard nothing.
    /// Per column index in `rules.columns`: the rewritten field of the current row, if it changed.
    @exclusivity(unchecked) private var rewritten: [[UInt8]?]
    @exclusivity(unchecked) private var bounds: [Range<Int>] = []
    @exclusivity(unchecked) private var out: [UInt8] = []
    /// Options by bit, and each output field's entry in `rules.columns` (fast lookups per row).
    private let optionBits: [String]
    private let actionBits: [[Int]]
    private let flagBits: [(bit: Int, field: Int)]
    private let columnOfField: [Int?]

    /// Text written before the first row and after the last (a `COPY … FROM STDIN;` statement
    /// and its `\.` end marker, when the rows go into a psql script).
    private var header: Data
    private let trailer: Data
    private(set) var filterTime: Duration = .zero

    public init(rules: CopyRules, map: PersonalDataMap, verifying: Bool = false, header: Data = Data(), trailer: Data = Data()) {
        self.rules = rules
        self.map = map
        self.verifying = verifying
        self.header = header
        self.trailer = trailer
        rewritten = Array(repeating: nil, count: rules.columns.count)
        let options = rules.options.sorted()
        optionBits = options
        actionBits = rules.columns.map { $0.actions.map { options.firstIndex(of: $0.option)! } }
        flagBits = rules.changeFlags.map { (options.firstIndex(of: $0.key)!, $0.value) }
        var columnOfField = [Int?](repeating: nil, count: rules.outputFields)
        for (index, column) in rules.columns.enumerated() where column.field < rules.outputFields { columnOfField[column.field] = index }
        self.columnOfField = columnOfField
        super.init()
    }

    /// Rows changed per option so far, rows read, and the time spent rewriting.
    public var counts: (changed: [String: Int], rows: Int, time: Duration) { lock.withLock { (changed, rowCount, filterTime) } }

    /// Rows written with one of the source's customer addresses, by output field (when verifying).
    public var rowsWithCustomerAddresses: [Int: Int] { lock.withLock { leftovers } }

    public func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data {
        let started = ContinuousClock.now
        out.removeAll(keepingCapacity: true)
        if !header.isEmpty { out.append(contentsOf: header); header = Data() }
        // Rows changed per option bit: counted in an array per row, named once per chunk.
        var local = [Int](repeating: 0, count: optionBits.count), left: [Int: Int] = [:]
        var rows = 0
        try self.rows(in: bytes) { row in
            let start = out.count
            try rewrite(row, into: &out, changed: &local)
            if verifying { searchWritten(from: start, into: &left) }
            rows += 1
        }
        let result = Data(out)
        lock.withLock {
            rowCount += rows
            for (bit, n) in local.enumerated() where n > 0 { changed[optionBits[bit], default: 0] += n }
            for (k, v) in left { leftovers[k, default: 0] += v }
            filterTime += ContinuousClock.now - started
        }
        return result
    }

    public func finish() throws -> Data {
        guard pendingCount == 0 else { throw SanitizingCopyError.truncated(pendingCount) }
        return header + trailer
    }

    private func rewrite(_ row: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], changed: inout [Int]) throws {
        bounds.removeAll(keepingCapacity: true)
        var start = 0
        let n = row.count
        if let base = row.baseAddress {
            while let hit = memchr(base + start, 9, n - start) {
                let tab = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                bounds.append(start..<tab)
                start = tab + 1
            }
        }
        bounds.append(start..<n)
        guard bounds.count >= rules.outputFields else { throw SanitizingCopyError.shape(expected: rules.outputFields, got: bounds.count) }
        var touched: UInt64 = 0
        for (index, column) in rules.columns.enumerated() {
            rewritten[index] = nil
            if let flag = column.onlyWhen, !isTrue(row, bounds[flag]) { continue }
            var current: [UInt8]?
            for (k, action) in column.actions.enumerated() {
                let value = current.map { $0.withUnsafeBufferPointer { apply(action, $0, row: row) } }
                    ?? apply(action, UnsafeBufferPointer(rebasing: row[bounds[column.field]]), row: row)
                if let value { current = value; touched |= 1 << actionBits[index][k] }
            }
            rewritten[index] = current
        }
        for (bit, field) in flagBits where isTrue(row, bounds[field]) { touched |= 1 << bit }
        if touched != 0 {
            for bit in 0..<changed.count where touched & (1 << bit) != 0 { changed[bit] += 1 }
        }

        if touched == 0 && bounds.count == rules.outputFields {
            out.append(contentsOf: row)
        } else {
            for f in 0..<rules.outputFields {
                if f > 0 { out.append(9) }
                if let index = columnOfField[f], let value = rewritten[index] {
                    out.append(contentsOf: value)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: row[bounds[f]]))
                }
            }
        }
        out.append(10)
    }

    /// The row just written (from `start`, its newline excluded): which fields hold a customer's address.
    private func searchWritten(from start: Int, into left: inout [Int: Int]) {
        out.withUnsafeBufferPointer { buffer in
            let row = UnsafeBufferPointer(rebasing: buffer[start..<(buffer.count - 1)])
            guard let base = row.baseAddress, memchr(base, 64, row.count) != nil else { return }  // no "@"
            var fields: [Int] = []
            for token in TextScanner.emails(in: row) where map.isCustomerAddress(UnsafeBufferPointer(rebasing: row[token])) {
                // Tabs only separate fields in COPY text (a tab in a value is written `\t`).
                let field = row[..<token.lowerBound].reduce(0) { $1 == 9 ? $0 + 1 : $0 }
                if !fields.contains(field) { fields.append(field) }
            }
            for field in fields { left[field, default: 0] += 1 }
        }
    }

    @inline(__always) private func isTrue(_ row: UnsafeBufferPointer<UInt8>, _ field: Range<Int>) -> Bool {
        field.count == 1 && row[field.lowerBound] == UInt8(ascii: "t")
    }

    /// The new value of a field for one action, or nil when the action leaves it as it is.
    private func apply(_ action: CopyRules.Action, _ value: UnsafeBufferPointer<UInt8>, row: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let isNull = value.count == 2 && value[0] == 92 && value[1] == 78
        if isNull, case .lowercasedCopy = action {} else if isNull { return nil }
        switch action {
        case .emailsInText:
            return replacing(TextScanner.emails(in: value), in: value) { token in
                if case .replace(let fake) = map.decide(email: token) { return fake }
                return nil
            }
        case .phonesInText(let keyed):
            return replacing(TextScanner.phones(in: value), in: value) { token in
                guard !(token.count >= 4 && token[0] == 53 && token[1] == 53 && token[2] == 53 && token[3] == 45) else { return nil }  // 555-
                let digits = TextScanner.digits(of: token)
                guard digits.count >= 6 else { return nil }
                return map.fakePhone(digits: digits, keyed: keyed)
            }
        case .partnerEmail(let rowIDField):
            guard !value.isEmpty else { return nil }
            if let token = TextScanner.firstEmail(in: value) {
                switch map.decide(email: UnsafeBufferPointer(rebasing: value[token])) {
                case .keep: return nil
                case .replace(let fake) where fake.starts(with: Array("user_".utf8)): return fake
                case .replace: break
                }
            }
            return Array("user_".utf8) + Array(row[bounds[rowIDField]]) + Array("@staging.local".utf8)
        case .lowercasedCopy(let field):
            guard field < columnOfField.count, let source = columnOfField[field], let changed = rewritten[source] else { return nil }
            return changed.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
        }
    }

    private func replacing(_ tokens: [Range<Int>], in value: UnsafeBufferPointer<UInt8>,
                           _ replacement: (UnsafeBufferPointer<UInt8>) -> [UInt8]?) -> [UInt8]? {
        guard !tokens.isEmpty else { return nil }
        var result: [UInt8] = []
        var last = 0
        for token in tokens {
            guard let fake = replacement(UnsafeBufferPointer(rebasing: value[token])) else { continue }
            if result.isEmpty { result.reserveCapacity(value.count + 16) }
            result.append(contentsOf: value[last..<token.lowerBound])
            result.append(contentsOf: fake)
            last = token.upperBound
        }
        guard last > 0 else { return nil }
        result.append(contentsOf: value[last...])
        return result
    }
}

public enum SanitizingCopyError: Error, CustomStringConvertible {
    case truncated(Int)
    case shape(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .truncated(let n): "the copy stream ended inside a row (\(n) bytes without a newline)"
        case let .shape(expected, got): "a copied row has \(got) fields, \(expected) expected"
        }
    }
}
