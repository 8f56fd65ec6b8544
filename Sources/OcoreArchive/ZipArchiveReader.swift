import Crypto
import Foundation
import ZIPFoundation

/// Reads a ZIP archive on this host's disk (a downloaded backup, an Odoo or Odoo.sh export)
/// member by member, with CRC checks, through ZIPFoundation. One thread at a time.
public final class ZipArchiveReader: @unchecked Sendable {
    let archive: ZIPFoundation.Archive
    public let path: String

    public init(path: String) throws {
        self.path = path
        do {
            archive = try ZIPFoundation.Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw ArchiveError.malformed("\(path) is not a ZIP archive (\(error))")
        }
    }

    /// Regular files in archive order.
    public var members: [(name: String, size: Int64)] {
        archive.compactMap { $0.type == .file ? ($0.path, Int64(clamping: $0.uncompressedSize)) : nil }
    }

    public func contains(_ name: String) -> Bool { archive[name] != nil }

    /// Streams one member's content; throws on a CRC mismatch or a damaged member.
    public func read(_ name: String, chunk: (Data) throws -> Void) throws {
        guard let entry = archive[name] else { throw ArchiveError.missingMember(name) }
        try extract(entry, chunk: chunk)
    }

    /// Streams every regular member whose name passes `include`, in archive order, in one pass:
    /// `begin` gets the name and size, `chunk` the content (CRC-checked). Looking members up by
    /// name one by one costs a scan of the directory each; this does not.
    public func readAll(where include: (String) -> Bool, begin: (String, Int64) throws -> Void, chunk: (Data) throws -> Void) throws {
        for entry in archive where entry.type == .file && include(entry.path) {
            try begin(entry.path, Int64(clamping: entry.uncompressedSize))
            try extract(entry, chunk: chunk)
        }
    }

    /// One member's content, CRC-checked; any other failure of the archive library is a damaged member.
    private func extract(_ entry: Entry, chunk: (Data) throws -> Void) throws {
        do {
            let crc = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data in try chunk(data) }
            try Self.checkCRC(crc, of: entry)
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError.malformed("\(entry.path): \(error)")
        }
    }

    /// Size and SHA-256 of every regular member passing `include`, in one pass.
    public func memberDigests(where include: (String) -> Bool = { _ in true }) throws -> [String: (size: Int64, sha256: String)] {
        var digests: [String: (size: Int64, sha256: String)] = [:]
        var hasher = SHA256(), size: Int64 = 0, current: String?
        func close() { if let current { digests[current] = (size, hasher.finalize().hexString) } }
        try readAll(where: include, begin: { name, _ in
            close()
            current = name; hasher = SHA256(); size = 0
        }, chunk: { data in hasher.update(data: data); size += Int64(data.count) })
        close()
        return digests
    }

    /// ZIPFoundation computes a member's CRC while extracting; comparing it is the caller's part.
    static func checkCRC(_ crc: CRC32, of entry: Entry) throws {
        guard crc == entry.checksum else {
            throw ArchiveError.malformed("\(entry.path): CRC \(String(crc, radix: 16)) does not match the archive's \(String(entry.checksum, radix: 16)) (damaged or altered)")
        }
    }

    public func data(_ name: String, limit: Int = 64 << 20) throws -> Data {
        var out = Data()
        try read(name) { chunk in
            guard out.count + chunk.count <= limit else { throw ArchiveError.malformed("\(name) is larger than \(limit) bytes") }
            out.append(chunk)
        }
        return out
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension SHA256.Digest {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
