import Crypto
import Foundation
import OcoreRemote

/// Writes a ZIP archive front to back into a stream (an upload, a pipe), never seeking: each
/// member's CRC and sizes follow its data in a data descriptor, and ZIP64 records appear as
/// soon as a size, an offset or the member count needs them. Python's `zipfile` (so Odoo's
/// restore), Info-ZIP `unzip` and ZIPFoundation read the result.
///
/// Every member's SHA-256 is computed while it is written, so a manifest can list them without
/// reading anything twice.
public final class ZipStreamWriter {
    public enum Method: Sendable {
        case stored
        case deflated(level: Int32)

        var code: UInt16 { if case .stored = self { 0 } else { 8 } }
    }

    /// What was written for one member.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var size: Int64
        public var compressedSize: Int64
        public var crc32: UInt32
        public var sha256: String
        public var offset: UInt64
        var method: UInt16
        var dosTime: UInt16
        var dosDate: UInt16
    }

    private let sink: ByteSink
    public private(set) var offset: UInt64 = 0
    public private(set) var members: [Member] = []
    private var current: (name: String, method: Method, offset: UInt64, dos: (UInt16, UInt16))?
    private var deflater: Deflater?
    private var keptDeflaters: [Int32: Deflater] = [:]
    private var crc = Checksum32()
    private var hasher = SHA256()
    private var size: Int64 = 0
    private var compressed: Int64 = 0

    public init(sink: ByteSink) {
        self.sink = sink
    }

    /// Starts a member. Names are `/`-separated paths, stored as UTF-8.
    public func begin(_ name: String, method: Method, modified: Date = Date()) throws {
        precondition(current == nil, "end the previous member first")
        try startMember(name, method: method, modified: modified)
        crc = Checksum32()
        hasher = SHA256()
        size = 0
        if case .deflated(let level) = method { deflater = try reusableDeflater(level: level) } else { deflater = nil }
    }

    /// A deflater for the level, reset, kept from an earlier member when there was one.
    private func reusableDeflater(level: Int32) throws -> Deflater {
        if let kept = keptDeflaters[level] {
            try kept.reset()
            return kept
        }
        let made = try Deflater(level: level)
        keptDeflaters[level] = made
        return made
    }

    /// A member compressed ahead of its place (``SpooledMember``, finished): its deflated bytes
    /// go in as they are, with the CRC, sizes and SHA-256 the spool computed.
    @discardableResult
    public func add(_ name: String, spooled: SpooledMember, modified: Date = Date()) throws -> Member {
        precondition(current == nil, "end the previous member first")
        guard let summary = spooled.summary else { preconditionFailure("finish the spool first") }
        try startMember(name, method: .deflated(level: 1), modified: modified)
        deflater = nil
        try spooled.replay { try emitData($0) }
        guard compressed == summary.compressedSize else {
            throw ArchiveError.spool("the spool gave back \(compressed) bytes of \(summary.compressedSize)")
        }
        return try closeMember(crc: summary.crc32, size: summary.size, sha256: summary.sha256)
    }

    private func startMember(_ name: String, method: Method, modified: Date) throws {
        let dos = Self.dosDateTime(modified)
        let nameBytes = Array(name.utf8)
        var header = ByteWriter()
        header.u32(0x0403_4b50)
        header.u16(offset > 0xFFFF_FFFF ? 45 : 20)  // version needed: ZIP64 only when it has to be
        header.u16(0x0008 | 0x0800)    // data descriptor follows; UTF-8 name
        header.u16(method.code)
        header.u16(dos.0); header.u16(dos.1)
        header.u32(0); header.u32(0); header.u32(0)  // CRC and sizes: in the data descriptor
        header.u16(UInt16(nameBytes.count)); header.u16(0)
        header.bytes(nameBytes)
        let start = offset
        try emit(header.data)
        current = (name, method, start, dos)
        compressed = 0
    }

    /// Appends data to the current member.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard current != nil else { preconditionFailure("begin a member first") }
        crc.update(bytes)
        hasher.update(bufferPointer: bytes)
        size += Int64(bytes.count)
        if let deflater {
            try deflater.compress(bytes, finish: false) { try emitData($0) }
        } else {
            try emitData(bytes)
        }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Ends the current member: flushes compression and writes its data descriptor.
    @discardableResult
    public func end() throws -> Member {
        guard current != nil else { preconditionFailure("no member to end") }
        if let deflater { try deflater.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try emitData($0) } }
        deflater = nil
        return try closeMember(crc: crc.value, size: size, sha256: hasher.finalize().hexString)
    }

    /// Writes the current member's data descriptor and records it.
    private func closeMember(crc: UInt32, size: Int64, sha256: String) throws -> Member {
        guard let entry = current else { preconditionFailure("no member to end") }
        // 8-byte sizes exactly when the central record will be ZIP64 (readers such as
        // ZIPFoundation pick the descriptor's layout from it).
        let large = size > 0xFFFF_FFFF || compressed > 0xFFFF_FFFF || entry.offset > 0xFFFF_FFFF
        var descriptor = ByteWriter()
        descriptor.u32(0x0807_4b50)
        descriptor.u32(crc)
        if large { descriptor.u64(UInt64(compressed)); descriptor.u64(UInt64(size)) } else { descriptor.u32(UInt32(compressed)); descriptor.u32(UInt32(size)) }
        try emit(descriptor.data)
        let member = Member(name: entry.name, size: size, compressedSize: compressed, crc32: crc, sha256: sha256,
                            offset: entry.offset, method: entry.method.code, dosTime: entry.dos.0, dosDate: entry.dos.1)
        members.append(member)
        current = nil
        return member
    }

    /// A whole member from memory.
    @discardableResult
    public func add(_ name: String, data: Data, method: Method, modified: Date = Date()) throws -> Member {
        try begin(name, method: method, modified: modified)
        try write(data)
        return try end()
    }

    /// Writes the central directory and its end records. The archive is complete after this.
    public func finish() throws {
        precondition(current == nil, "end the last member first")
        let directoryStart = offset
        for m in members {
            let nameBytes = Array(m.name.utf8)
            var extra = ByteWriter()
            let bigSize = m.size > 0xFFFF_FFFF || m.compressedSize > 0xFFFF_FFFF
            let bigOffset = m.offset > 0xFFFF_FFFF
            if bigSize || bigOffset {
                var fields = ByteWriter()
                if bigSize { fields.u64(UInt64(m.size)); fields.u64(UInt64(m.compressedSize)) }
                if bigOffset { fields.u64(m.offset) }
                extra.u16(0x0001); extra.u16(UInt16(fields.data.count)); extra.bytes(fields.data)
            }
            var entry = ByteWriter()
            entry.u32(0x0201_4b50)
            entry.u16(0x0300 | 45)     // made by: Unix, spec 4.5
            entry.u16(bigSize || bigOffset ? 45 : 20)
            entry.u16(0x0008 | 0x0800)
            entry.u16(m.method)
            entry.u16(m.dosTime); entry.u16(m.dosDate)
            entry.u32(m.crc32)
            entry.u32(bigSize ? 0xFFFF_FFFF : UInt32(m.compressedSize))
            entry.u32(bigSize ? 0xFFFF_FFFF : UInt32(m.size))
            entry.u16(UInt16(nameBytes.count)); entry.u16(UInt16(extra.data.count)); entry.u16(0)
            entry.u16(0); entry.u16(0)
            entry.u32(UInt32(0o100644) << 16)  // a regular file, rw-r--r--
            entry.u32(bigOffset ? 0xFFFF_FFFF : UInt32(m.offset))
            entry.bytes(nameBytes)
            entry.bytes(extra.data)
            try emit(entry.data)
        }
        let directorySize = offset - directoryStart
        let needs64 = members.count >= 0xFFFF || directoryStart > 0xFFFF_FFFF || directorySize > 0xFFFF_FFFF
        var end = ByteWriter()
        if needs64 {
            let record64 = offset
            end.u32(0x0606_4b50); end.u64(44)
            end.u16(0x0300 | 45); end.u16(45)
            end.u32(0); end.u32(0)
            end.u64(UInt64(members.count)); end.u64(UInt64(members.count))
            end.u64(directorySize); end.u64(directoryStart)
            end.u32(0x0706_4b50); end.u32(0); end.u64(record64); end.u32(1)
        }
        end.u32(0x0605_4b50)
        end.u16(0); end.u16(0)
        end.u16(needs64 ? 0xFFFF : UInt16(members.count)); end.u16(needs64 ? 0xFFFF : UInt16(members.count))
        end.u32(needs64 ? 0xFFFF_FFFF : UInt32(directorySize))
        end.u32(needs64 ? 0xFFFF_FFFF : UInt32(directoryStart))
        end.u16(0)
        try emit(end.data)
    }

    private func emitData(_ bytes: UnsafeRawBufferPointer) throws {
        compressed += Int64(bytes.count)
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }

    private func emit(_ data: Data) throws {
        try data.withUnsafeBytes { try sink.write($0) }
        offset += UInt64(data.count)
    }

    /// MS-DOS date and time (local time, 2-second resolution), as ZIP headers carry them.
    static func dosDateTime(_ date: Date) -> (UInt16, UInt16) {
        let c = Calendar(identifier: .gregorian).dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = max((c.year ?? 1980) - 1980, 0)
        let time = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        let day = UInt16(year << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
        return (time, day)
    }
}

/// Little-endian field writer for archive headers.
struct ByteWriter {
    var data = Data()
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func bytes<C: Collection>(_ b: C) where C.Element == UInt8 { data.append(contentsOf: b) }
    mutating func bytes(_ d: Data) { data.append(d) }
}
