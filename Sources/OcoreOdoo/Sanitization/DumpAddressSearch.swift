import Foundation
import OcoreRemote

/// Passes a plain dump on to `next` and searches every row of its `COPY` blocks, all fields, for
/// the source's customer addresses (``PersonalDataMap/isCustomerAddress(_:)``): the proof of a
/// sanitized backup's `dump.sql`, read as it is written, with nothing kept but counts. A row
/// without an `@` costs one `memchr`.
public final class DumpAddressSearch: ByteSink {
    private let next: ByteSink
    private let map: PersonalDataMap
    private var partial: [UInt8] = []
    private var table: String?
    public private(set) var rows = 0
    /// Rows holding a customer's address, by table.
    public private(set) var findings: [String: Int] = [:]
    /// Time spent searching (not passing on).
    public private(set) var time: Duration = .zero

    public init(next: ByteSink, map: PersonalDataMap) {
        self.next = next
        self.map = map
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try next.write(bytes)
        let started = ContinuousClock.now
        defer { time += ContinuousClock.now - started }
        let base = bytes.bindMemory(to: UInt8.self)
        guard let start = base.baseAddress, base.count > 0 else { return }
        var position = 0
        while position < base.count {
            guard let hit = memchr(start + position, 0x0A, base.count - position) else {
                partial.append(contentsOf: UnsafeBufferPointer(rebasing: base[position...]))
                return
            }
            let end = start.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if partial.isEmpty {
                line(UnsafeBufferPointer(rebasing: base[position..<end]))
            } else {
                partial.append(contentsOf: UnsafeBufferPointer(rebasing: base[position..<end]))
                partial.withUnsafeBufferPointer { line($0) }
                partial.removeAll(keepingCapacity: true)
            }
            position = end + 1
        }
    }

    private func line(_ l: UnsafeBufferPointer<UInt8>) {
        if let table {
            if l.count == 2 && l[0] == 92 && l[1] == 46 { self.table = nil; return }  // \.
            rows += 1
            guard let base = l.baseAddress, memchr(base, 64, l.count) != nil else { return }
            if TextScanner.emails(in: l).contains(where: { map.isCustomerAddress(UnsafeBufferPointer(rebasing: l[$0])) }) {
                findings[table, default: 0] += 1
            }
        } else if l.starts(with: Self.copy), l.last == 59 {  // COPY public.t (…) FROM stdin;
            let rest = l.dropFirst(Self.copy.count)
            let name = String(decoding: rest.prefix { $0 != 32 }, as: UTF8.self)
            table = name.hasPrefix("public.") ? String(name.dropFirst(7)) : name
        }
    }

    private static let copy = Array("COPY ".utf8)
}
