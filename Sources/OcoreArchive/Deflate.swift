import COcoreZlib
import Foundation

/// Raw deflate (as ZIP members hold it) over a stream of chunks, through zlib. One deflater
/// serves member after member (``reset()``): a filestore has tens of thousands of files, and
/// setting zlib up and clearing a fresh output buffer for each cost more than compressing most.
final class Deflater {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 256 << 10)

    init(level: Int32) throws {
        guard ocore_deflate_init_raw(&stream, level) == Z_OK else { throw ArchiveError.compression("deflateInit failed") }
    }

    deinit { deflateEnd(&stream) }

    /// Starts a new stream with the same settings.
    func reset() throws {
        guard deflateReset(&stream) == Z_OK else { throw ArchiveError.compression("deflateReset failed") }
    }

    /// Compresses `input` (or, when `finish`, flushes the end of the stream), handing each
    /// compressed piece to `emit`.
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        while true {
            let (status, produced): (Int32, Int) = output.withUnsafeMutableBytes { out in
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, flush)
                return (status, out.count - Int(stream.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw ArchiveError.compression("deflate failed (\(status))")
            }
            if produced > 0 { try output.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if finish ? status == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out != 0) { return }
        }
    }

    /// How well a sample compresses (compressed / original): how the writer spots data that is
    /// already compressed without paying for a full pass. Leaves the deflater reset.
    func ratio(of sample: UnsafeRawBufferPointer) -> Double {
        guard sample.count > 0, (try? reset()) != nil else { return 1 }
        var produced = 0
        try? compress(sample, finish: true) { produced += $0.count }
        try? reset()
        return Double(produced) / Double(sample.count)
    }
}

/// CRC-32 as ZIP records it.
struct Checksum32 {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        value = UInt32(crc32(uLong(value), bytes.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }
}

public enum ArchiveError: Error, CustomStringConvertible, Equatable {
    case compression(String)
    case malformed(String)
    case checksum(member: String, expected: String, actual: String)
    case missingMember(String)
    case spool(String)

    public var description: String {
        switch self {
        case .compression(let detail): "compression: \(detail)"
        case .malformed(let detail): "not a readable archive: \(detail)"
        case let .checksum(member, expected, actual): "\(member): SHA-256 \(actual.prefix(12))… does not match the manifest's \(expected.prefix(12))…"
        case .missingMember(let name): "the archive has no \(name)"
        case .spool(let detail): detail
        }
    }
}
