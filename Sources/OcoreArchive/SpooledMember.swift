import Crypto
import Foundation
import OcoreRemote
#if canImport(Glibc)
import Glibc
#endif

/// A ZIP member compressed before its turn in the archive: what is written in is CRC'd,
/// SHA-256'd and deflated as it arrives, and the compressed stream waits in a file until the
/// archive takes it (``ZipStreamWriter/add(_:spooled:modified:)``).
///
/// Why: a backup reads the database and the filestore with different resources (PostgreSQL and
/// the deflate on one side, the filestore's disk on the other), but a ZIP is one stream. The dump
/// is compressed into a spool while the filestore goes into the archive, then appended: it is
/// copied once more, compressed (a fifth of its size for an Odoo dump).
///
/// The spool holds production data on the ops host's disk, so it never lies there readable: the
/// file is unlinked as soon as it is created (nothing is left behind, even by a crash), and every
/// 1 MiB of it is sealed (AES-GCM) with a key that exists only in this object's memory. Reading it
/// back authenticates each chunk, in order.
public final class SpooledMember: ByteSink, @unchecked Sendable {
    /// What the archive records for the member.
    public struct Summary: Sendable, Equatable {
        public var size: Int64
        public var compressedSize: Int64
        public var crc32: UInt32
        public var sha256: String
    }

    static let chunkSize = 1 << 20

    let fd: Int32
    private let key = SymmetricKey(size: .bits256)
    private var deflater: Deflater
    private var crc = Checksum32()
    private var hasher = SHA256()
    private var pending = Data()
    private var chunks: UInt64 = 0
    private var compressed: Int64 = 0
    private let lock = NSLock()
    private var written: Int64 = 0
    public private(set) var summary: Summary?

    /// Opens an unnamed spool in `directory` (on this host, mode 0600, already unlinked).
    public init(directory: String, level: Int32 = 1) throws {
        var template = Array((directory + "/ocore-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ArchiveError.spool("cannot create a spool file in \(directory): \(String(cString: strerror(errno)))") }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        self.fd = fd
        deflater = try Deflater(level: level)
    }

    deinit { close(fd) }

    /// Uncompressed bytes in so far (safe to read from another thread, for progress).
    public var bytesIn: Int64 { lock.withLock { written } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(summary == nil, "the spool is finished")
        guard bytes.count > 0 else { return }
        crc.update(bytes)
        hasher.update(bufferPointer: bytes)
        try deflater.compress(bytes, finish: false) { try self.keep($0) }
        lock.withLock { written += Int64(bytes.count) }
    }

    /// Ends the input: flushes the compression and the last chunk.
    @discardableResult
    public func finish() throws -> Summary {
        if let summary { return summary }
        try deflater.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try self.keep($0) }
        try seal()
        let done = Summary(size: bytesIn, compressedSize: compressed, crc32: crc.value,
                           sha256: hasher.finalize().hexString)
        summary = done
        return done
    }

    /// Hands the compressed stream back, in order, each chunk authenticated first.
    public func replay(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard summary != nil else { preconditionFailure("finish the spool first") }
        var position: off_t = 0
        for index in 0..<chunks {
            var header = [UInt8](repeating: 0, count: 4)
            try readExactly(&header, at: position)
            let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
            guard length > 28, length <= Self.chunkSize + 64 else { throw ArchiveError.spool("spool chunk \(index) has a damaged header") }
            var sealed = [UInt8](repeating: 0, count: length)
            try readExactly(&sealed, at: position + 4)
            position += off_t(4 + length)
            let box = try AES.GCM.SealedBox(combined: sealed)
            guard Data(box.nonce) == Self.nonce(index) else { throw ArchiveError.spool("spool chunk \(index) is out of order") }
            let plain: Data
            do { plain = try AES.GCM.open(box, using: key) } catch {
                throw ArchiveError.spool("spool chunk \(index) does not authenticate: the spool file was changed on disk")
            }
            try plain.withUnsafeBytes { try emit($0) }
        }
    }

    // MARK: Chunks

    private func keep(_ bytes: UnsafeRawBufferPointer) throws {
        compressed += Int64(bytes.count)
        pending.append(contentsOf: bytes)
        while pending.count >= Self.chunkSize {
            let chunk = pending.prefix(Self.chunkSize)
            try seal(Data(chunk))
            pending.removeFirst(Self.chunkSize)
        }
    }

    private func seal() throws {
        guard !pending.isEmpty else { return }
        try seal(pending)
        pending = Data()
    }

    private func seal(_ plain: Data) throws {
        let box = try AES.GCM.seal(plain, using: key, nonce: try AES.GCM.Nonce(data: Self.nonce(chunks)))
        guard let combined = box.combined else { throw ArchiveError.spool("cannot seal a spool chunk") }
        var record = Data(capacity: combined.count + 4)
        withUnsafeBytes(of: UInt32(combined.count).littleEndian) { record.append(contentsOf: $0) }
        record.append(combined)
        try record.withUnsafeBytes { try writeAll($0) }
        chunks += 1
    }

    /// A chunk's nonce is its index: unique under the one key, and it fixes the chunks' order.
    static func nonce(_ index: UInt64) -> Data {
        var bytes = Data(repeating: 0, count: 4)
        withUnsafeBytes(of: index.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.spool("cannot write the spool: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func readExactly(_ buffer: inout [UInt8], at position: off_t) throws {
        var offset = 0
        let count = buffer.count
        try buffer.withUnsafeMutableBytes { raw in
            while offset < count {
                let n = pread(fd, raw.baseAddress! + offset, count - offset, position + off_t(offset))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError.spool("cannot read the spool: \(String(cString: strerror(errno)))")
                }
                guard n > 0 else { throw ArchiveError.spool("the spool ends early") }
                offset += n
            }
        }
    }
}
