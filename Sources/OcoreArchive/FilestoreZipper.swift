import Crypto
import Foundation
import OcoreModel
import OcoreRemote

/// Turns a filestore read as a tar stream into `filestore/…` members of a ZIP as it arrives.
/// Already-compressed files (images, PDFs, office documents, archives) are stored as they are;
/// others are deflated. The decision looks at the first bytes only (magic numbers, then how a
/// 4 KiB sample compresses), so incompressible data never costs a compression pass.
public final class FilestoreZipper: ByteSink {
    private let zip: ZipStreamWriter
    private let prefix: String
    private var parser: TarStreamParser!
    private var pending: (header: TarStreamParser.FileHeader, head: Data)?
    private var lines: [String] = []
    public private(set) var files = 0
    public private(set) var bytes: Int64 = 0
    public private(set) var storedAsIs = 0
    private let progress: ((Int64) -> Void)?
    private var probe: Deflater?

    static let sampleSize = 4096

    public init(zip: ZipStreamWriter, prefix: String = "filestore/", progress: ((Int64) -> Void)? = nil) {
        self.zip = zip
        self.prefix = prefix
        self.progress = progress
        parser = TarStreamParser(begin: { [unowned self] in try self.begin($0) },
                                 data: { [unowned self] in try self.data($0) },
                                 end: { [unowned self] in try self.end() })
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws { try parser.write(bytes) }

    /// True once the tar stream's end was seen (a stream cut short is not a complete filestore).
    public var isComplete: Bool { parser.isFinished && pending == nil }

    /// The whole tree's digest: SHA-256 over sorted "path sha256" lines.
    public var treeDigest: String { Self.digest(lines: lines) }

    public static func digest(lines: [String]) -> String {
        var hasher = SHA256()
        for line in lines.sorted() { hasher.update(data: Data((line + "\n").utf8)) }
        return hasher.finalize().hexString
    }

    private func begin(_ header: TarStreamParser.FileHeader) throws {
        pending = (header, Data())
        if header.size == 0 { try open(sample: Data()) }
    }

    private func data(_ chunk: UnsafeRawBufferPointer) throws {
        if var p = pending {
            p.head.append(contentsOf: chunk)
            pending = p
            if p.head.count >= Self.sampleSize || Int64(p.head.count) >= p.header.size { try open(sample: p.head) }
            return
        }
        try zip.write(chunk)
        count(chunk.count)
    }

    private func end() throws {
        if let p = pending { try open(sample: p.head) }
        let member = try zip.end()
        files += 1
        lines.append("\(member.name.dropFirst(prefix.count)) \(member.sha256)")
    }

    private func open(sample: Data) throws {
        guard let p = pending else { return }
        pending = nil
        let compress = try sample.count >= 64 && !Self.looksCompressed(sample) && ratio(of: sample) < 0.9
        if !compress { storedAsIs += 1 }
        try zip.begin(prefix + p.header.path, method: compress ? .deflated(level: 1) : .stored, modified: p.header.modified)
        try zip.write(sample)
        count(sample.count)
    }

    /// How well the sample compresses, by one deflater kept for every file's probe.
    private func ratio(of sample: Data) throws -> Double {
        if probe == nil { probe = try Deflater(level: 1) }
        return sample.withUnsafeBytes { probe!.ratio(of: UnsafeRawBufferPointer(rebasing: $0.prefix(Self.sampleSize))) }
    }

    private func count(_ n: Int) {
        bytes += Int64(n)
        progress?(bytes)
    }

    /// Magic numbers of formats that are compressed already.
    static func looksCompressed(_ head: Data) -> Bool {
        let b = [UInt8](head.prefix(12))
        func starts(_ m: [UInt8], at offset: Int = 0) -> Bool { b.count >= offset + m.count && Array(b[offset..<(offset + m.count)]) == m }
        return starts([0xFF, 0xD8, 0xFF]) || starts([0x89, 0x50, 0x4E, 0x47]) || starts(Array("GIF8".utf8)) || starts(Array("%PDF".utf8))
            || starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x1F, 0x8B]) || starts(Array("BZh".utf8)) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A])
            || starts([0x37, 0x7A, 0xBC, 0xAF]) || starts([0x28, 0xB5, 0x2F, 0xFD]) || starts(Array("ftyp".utf8), at: 4)
            || (starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8)) || starts(Array("ID3".utf8)) || starts(Array("OggS".utf8))
            || starts(Array("Rar!".utf8))
    }
}
