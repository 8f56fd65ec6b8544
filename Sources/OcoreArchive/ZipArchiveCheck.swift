import Foundation
import ZIPFoundation

/// What an archive from outside must pass before anything it would replace is touched: every
/// member name is a plain relative path, no member expands more than ``maxRatio`` times its
/// stored size (a zip bomb), and every member reads back whole with its CRC and declared size.
extension ZipArchiveReader {
    /// How far one member may expand: SQL and attachments deflate 3 to 20 times; a bomb, 1000s.
    public static let maxRatio: Int64 = 200

    public struct Check: Sendable {
        /// Uncompressed bytes the members declare, in all and under `filestore/`.
        public var declared: Int64
        public var declaredFilestore: Int64
    }

    /// Names and sizes only, from the directory: cheap, before reading anything.
    public func checkDirectory() throws -> Check {
        var declared: Int64 = 0, filestore: Int64 = 0
        for entry in archive {
            let name = entry.path
            if let problem = Self.unsafeName(name) { throw ArchiveError.malformed("member \(name.debugDescription): \(problem)") }
            if entry.type == .symlink { throw ArchiveError.malformed("member \(name): a symbolic link (a backup holds only files)") }
            guard entry.type == .file else { continue }
            let size = Int64(clamping: entry.uncompressedSize), stored = max(Int64(clamping: entry.compressedSize), 1)
            if size > 1 << 20, size / stored > Self.maxRatio {
                throw ArchiveError.malformed("member \(name) would expand \(size / stored) times (\(size) bytes from \(stored)): refused as a zip bomb")
            }
            declared += size
            if name.hasPrefix("filestore/") { filestore += size }
        }
        return Check(declared: declared, declaredFilestore: filestore)
    }

    /// Reads every member once: a CRC that does not match or a member longer or shorter than it
    /// declares is refused. `progress` gets the bytes read so far.
    public func checkContents(progress: (Int64) -> Void = { _ in }) throws {
        var total: Int64 = 0
        for entry in archive where entry.type == .file {
            let declared = Int64(clamping: entry.uncompressedSize)
            var read: Int64 = 0
            let crc: CRC32
            do {
                crc = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data in
                    read += Int64(data.count)
                    total += Int64(data.count)
                    if read > declared { throw ArchiveError.malformed("\(entry.path) holds more than the \(declared) bytes it declares") }
                    progress(total)
                }
            } catch let error as ArchiveError {
                throw error
            } catch {
                throw ArchiveError.malformed("\(entry.path): \(error)")
            }
            try Self.checkCRC(crc, of: entry)
            if read != declared { throw ArchiveError.malformed("\(entry.path) holds \(read) bytes, not the \(declared) it declares") }
        }
    }

    /// Why a member name is not a plain relative path, if it is not.
    static func unsafeName(_ name: String) -> String? {
        if name.hasPrefix("/") { return "an absolute path" }
        if name.contains("\\") || name.contains("\0") || name.contains(where: \.isNewline) { return "a backslash, NUL or line break in its name" }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") { return "a '..' component" }
        return nil
    }
}
