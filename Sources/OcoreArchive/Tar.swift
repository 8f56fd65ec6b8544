import Foundation
import OcoreRemote

/// Reads a tar stream as it arrives (pushed by a command's output) and reports each regular
/// file as begin / data / end, so a filestore read by `tar` on a server can become ZIP members
/// on the fly without touching disk. ustar, GNU long names and pax `path` records are
/// understood; other entry types (directories, links) are skipped.
public final class TarStreamParser: ByteSink {
    public struct FileHeader: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var modified: Date
    }

    public typealias Begin = (FileHeader) throws -> Void
    public typealias Data_ = (UnsafeRawBufferPointer) throws -> Void

    private enum State { case header, body(remaining: Int64, padding: Int, kind: UInt8), padding(Int), finished }

    private let onBegin: Begin
    private let onData: Data_
    private let onEnd: () throws -> Void
    private var state: State = .header
    private var headerBuffer = [UInt8]()
    private var special = Data()  // body of a GNU long name or pax header
    private var pendingPath: String?
    public private(set) var filesSeen = 0

    public init(begin: @escaping Begin, data: @escaping Data_, end: @escaping () throws -> Void) {
        onBegin = begin
        onData = data
        onEnd = end
    }

    /// True once the end-of-archive block was seen.
    public var isFinished: Bool { if case .finished = state { true } else { false } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            switch state {
            case .finished:
                return  // trailing zero blocks
            case .header:
                let take = min(512 - headerBuffer.count, rest.count)
                headerBuffer.append(contentsOf: rest.prefix(take))
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                if headerBuffer.count == 512 { try parseHeader() }
            case .body(let remaining, let padding, let kind):
                let take = Int(min(Int64(rest.count), remaining))
                let chunk = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
                if kind == UInt8(ascii: "0") { try onData(chunk) } else if kind == UInt8(ascii: "L") || kind == UInt8(ascii: "x") { special.append(contentsOf: chunk) }
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                let left = remaining - Int64(take)
                if left == 0 {
                    if kind == UInt8(ascii: "0") { try onEnd() }
                    if kind == UInt8(ascii: "L") { pendingPath = String(decoding: special.prefix { $0 != 0 }, as: UTF8.self) }
                    if kind == UInt8(ascii: "x") { pendingPath = Self.paxPath(special) ?? pendingPath }
                    state = padding > 0 ? .padding(padding) : .header
                } else {
                    state = .body(remaining: left, padding: padding, kind: kind)
                }
            case .padding(let n):
                let take = min(n, rest.count)
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                state = n - take > 0 ? .padding(n - take) : .header
            }
        }
    }

    private func parseHeader() throws {
        let h = headerBuffer
        headerBuffer.removeAll(keepingCapacity: true)
        if h.allSatisfy({ $0 == 0 }) { state = .finished; return }
        let stored = Self.octal(h[148..<156])
        let computed = h.enumerated().reduce(0) { $0 + Int64(($1.offset >= 148 && $1.offset < 156) ? 32 : Int($1.element)) }
        guard stored == computed else { throw ArchiveError.malformed("tar header checksum mismatch") }
        let size = Self.size(h[124..<136])
        var kind = h[156]
        if kind == 0 { kind = UInt8(ascii: "0") }
        if kind == UInt8(ascii: "7") { kind = UInt8(ascii: "0") }  // contiguous file: a regular file
        let padding = Int((512 - size % 512) % 512)
        if kind == UInt8(ascii: "0") {
            var path = pendingPath ?? Self.ustarPath(h)
            pendingPath = nil
            while path.hasPrefix("./") { path.removeFirst(2) }
            filesSeen += 1
            try onBegin(FileHeader(path: path, size: size, modified: Date(timeIntervalSince1970: TimeInterval(Self.octal(h[136..<148])))))
            if size == 0 { try onEnd(); state = .header; return }
        } else if kind == UInt8(ascii: "L") || kind == UInt8(ascii: "x") {
            special.removeAll()
        } else if kind != UInt8(ascii: "g") {
            pendingPath = nil
        }
        state = size > 0 ? .body(remaining: size, padding: padding, kind: kind) : .header
    }

    static func ustarPath(_ h: [UInt8]) -> String {
        let name = String(decoding: h[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        let isUstar = h[257..<262].elementsEqual("ustar".utf8)
        let prefix = isUstar ? String(decoding: h[345..<500].prefix { $0 != 0 }, as: UTF8.self) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    static func octal(_ field: ArraySlice<UInt8>) -> Int64 {
        var value: Int64 = 0
        for byte in field {
            if byte == 0 || byte == 32 { if value > 0 { break } else { continue } }
            guard byte >= 48 && byte <= 55 else { break }
            value = value * 8 + Int64(byte - 48)
        }
        return value
    }

    /// Sizes over 8 GiB use GNU's base-256 form (high bit set).
    static func size(_ field: ArraySlice<UInt8>) -> Int64 {
        guard let first = field.first, first & 0x80 != 0 else { return octal(field) }
        return field.dropFirst().reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    static func paxPath(_ data: Data) -> String? {
        // Records are "LEN key=value\n".
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { continue }
            let record = line[(space + 1)...]
            if record.starts(with: "path=".utf8) { return String(decoding: record.dropFirst(5), as: UTF8.self) }
        }
        return nil
    }
}

/// Writes a tar stream (ustar, GNU long names for long paths) of regular files: how a filestore
/// read out of a ZIP goes to `tar -x` on the server that restores it.
public final class TarStreamWriter {
    private let sink: ByteSink
    private var remaining: Int64 = 0
    private var padding = 0

    public init(sink: ByteSink) { self.sink = sink }

    public func begin(path: String, size: Int64, mode: Int = 0o644, modified: Date = Date()) throws {
        precondition(remaining == 0, "finish the previous file first")
        let nameBytes = Array(path.utf8)
        if nameBytes.count > 100 {
            try header(name: Array("././@LongLink".utf8), size: Int64(nameBytes.count + 1), mode: 0, mtime: 0, kind: UInt8(ascii: "L"))
            var body = Data(nameBytes); body.append(0)
            body.append(Data(count: (512 - body.count % 512) % 512))
            try body.withUnsafeBytes { try sink.write($0) }
        }
        try header(name: Array(nameBytes.prefix(100)), size: size, mode: mode, mtime: Int64(modified.timeIntervalSince1970), kind: UInt8(ascii: "0"))
        remaining = size
        padding = Int((512 - size % 512) % 512)
        if size == 0 { padding = 0 }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard Int64(bytes.count) <= remaining else { throw ArchiveError.malformed("more data than the tar header announced") }
        try sink.write(bytes)
        remaining -= Int64(bytes.count)
        if remaining == 0 && padding > 0 {
            try Data(count: padding).withUnsafeBytes { try sink.write($0) }
            padding = 0
        }
    }

    public func finish() throws {
        guard remaining == 0 else { throw ArchiveError.malformed("a file ended before its announced size") }
        try Data(count: 1024).withUnsafeBytes { try sink.write($0) }
    }

    private func header(name: [UInt8], size: Int64, mode: Int, mtime: Int64, kind: UInt8) throws {
        var h = [UInt8](repeating: 0, count: 512)
        h.replaceSubrange(0..<name.count, with: name)
        func put(_ value: Int64, at range: Range<Int>) {
            let text = Array(String(value, radix: 8).utf8)
            let width = range.count - 1
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(width - text.count, 0)) + text.suffix(width)
            h.replaceSubrange(range.lowerBound..<(range.lowerBound + width), with: padded)
        }
        put(Int64(mode), at: 100..<108)
        put(0, at: 108..<116)
        put(0, at: 116..<124)
        if size < 0o77777777777 { put(size, at: 124..<136) } else {
            h[124] = 0x80
            for i in 0..<8 { h[135 - i] = UInt8(truncatingIfNeeded: size >> (8 * i)) }
        }
        put(mtime, at: 136..<148)
        h[156] = kind
        h.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        h.replaceSubrange(263..<265, with: Array("00".utf8))
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        let text = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - text.count) + text + [0, 32]
        h.replaceSubrange(148..<156, with: field)
        try h.withUnsafeBytes { try sink.write($0) }
    }
}
