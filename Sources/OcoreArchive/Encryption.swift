import Crypto
import Foundation
import OcoreModel
import OcoreRemote

/// A backup encryption key (AES-256), loaded from where the storage target says: a file or an
/// environment variable. The key is never stored by ocore; backups record only its id.
/// (`@unchecked`: SymmetricKey is an immutable value that Crypto does not mark Sendable on Linux.)
public struct BackupKey: @unchecked Sendable {
    let key: SymmetricKey
    /// First 16 bytes of SHA-256("ocore-backup-key" ‖ key), hex: names the key without revealing it.
    public let id: String

    public init(raw: Data) throws {
        guard raw.count == 32 else { throw EncryptionError.badKey("a key is 32 bytes (64 hex digits or base64)") }
        key = SymmetricKey(data: raw)
        id = SHA256.hash(data: Data("ocore-backup-key".utf8) + raw).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the key: 64 hex digits, base64 of 32 bytes, or (files only) 32 raw bytes.
    public static func load(_ ref: EncryptionKeyRef, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BackupKey {
        let text: Data
        if let file = ref.file {
            guard let data = FileManager.default.contents(atPath: file) else { throw EncryptionError.badKey("cannot read the key file \(file)") }
            if data.count == 32 { return try BackupKey(raw: data) }
            text = data
        } else if let variable = ref.env {
            guard let value = environment[variable] else { throw EncryptionError.badKey("the key variable \(variable) is not set") }
            text = Data(value.utf8)
        } else {
            throw EncryptionError.badKey("no key file or variable configured")
        }
        let trimmed = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let raw = Data(hex: trimmed) { return try BackupKey(raw: raw) }
        if let raw = Data(base64Encoded: trimmed), raw.count == 32 { return try BackupKey(raw: raw) }
        throw EncryptionError.badKey("the key must be 64 hex digits or base64 of 32 bytes")
    }
}

public enum EncryptionError: Error, CustomStringConvertible, Equatable {
    case badKey(String)
    case wrongKey(expected: String, got: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .badKey(let why): "encryption key: \(why)"
        case let .wrongKey(expected, got): "wrong encryption key: the backup was encrypted with key \(expected), the configured key is \(got); nothing was touched"
        case .corrupt(let why): "encrypted backup is damaged: \(why)"
        }
    }
}

/// The stored form of an encrypted backup: a header (magic, key id, nonce prefix), then frames
/// of at most 1 MiB of plaintext, each sealed with AES-256-GCM. A frame's nonce is the prefix and
/// its index; its flag (last frame or not) and the header are authenticated, so reordering,
/// truncation and a swapped key are all detected.
enum EncryptedStream {
    static let magic = Data("OCOREENC1".utf8)
    static let chunk = 1 << 20
    static let headerSize = 9 + 16 + 4

    static func nonce(prefix: Data, index: UInt64) throws -> AES.GCM.Nonce {
        var bytes = prefix
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        return try AES.GCM.Nonce(data: bytes)
    }
}

/// Encrypts a stream on its way to the next sink. Call ``finish()`` after the last write.
public final class EncryptingSink: ByteSink {
    private let next: ByteSink
    private let key: BackupKey
    private var header = Data()
    private let prefix: Data
    private var pending = Data()
    private var index: UInt64 = 0

    public init(next: ByteSink, key: BackupKey) throws {
        self.next = next
        self.key = key
        prefix = Data((0..<4).map { _ in UInt8.random(in: 0...255) })
        header = EncryptedStream.magic + Data(hex: key.id)! + prefix
        try header.withUnsafeBytes { try next.write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            if pending.count == EncryptedStream.chunk { try seal(last: false) }
            let take = min(EncryptedStream.chunk - pending.count, rest.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            rest = rest.dropFirst(take)
        }
    }

    public func finish() throws { try seal(last: true) }

    private func seal(last: Bool) throws {
        let flag: UInt8 = last ? 1 : 0
        let box = try AES.GCM.seal(pending, using: key.key, nonce: try EncryptedStream.nonce(prefix: prefix, index: index),
                                   authenticating: header + Data([flag]))
        var frame = Data([flag])
        withUnsafeBytes(of: UInt32(pending.count).littleEndian) { frame.append(contentsOf: $0) }
        frame.append(box.ciphertext)
        frame.append(box.tag)
        try frame.withUnsafeBytes { try next.write($0) }
        pending.removeAll(keepingCapacity: true)
        index += 1
    }
}

/// Decrypts a stream written by ``EncryptingSink`` into the next sink. ``finish()`` checks that
/// the last frame arrived.
public final class DecryptingSink: ByteSink {
    private let next: ByteSink
    private let key: BackupKey
    private var buffer = Data()
    private var header: Data?
    private var index: UInt64 = 0
    private var sawLast = false

    public init(next: ByteSink, key: BackupKey) {
        self.next = next
        self.key = key
    }

    /// The key id in a stored object's first bytes (nil if it is not an encrypted backup).
    public static func keyID(of head: Data) -> String? {
        guard head.count >= EncryptedStream.headerSize, head.prefix(9) == EncryptedStream.magic else { return nil }
        return head[head.startIndex + 9 ..< head.startIndex + 25].map { String(format: "%02x", $0) }.joined()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if header == nil {
            guard buffer.count >= EncryptedStream.headerSize else { return }
            let head = Data(buffer.prefix(EncryptedStream.headerSize))
            guard let id = Self.keyID(of: head) else { throw EncryptionError.corrupt("not an ocore encrypted backup") }
            guard id == key.id else { throw EncryptionError.wrongKey(expected: id, got: key.id) }
            header = head
            buffer.removeFirst(EncryptedStream.headerSize)
        }
        while buffer.count >= 5 {
            guard !sawLast else { throw EncryptionError.corrupt("data after the last frame") }
            let flag = buffer[buffer.startIndex]
            let length = buffer[buffer.startIndex + 1 ..< buffer.startIndex + 5].withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
            guard length <= EncryptedStream.chunk else { throw EncryptionError.corrupt("frame of \(length) bytes") }
            let total = 5 + length + 16
            guard buffer.count >= total else { return }
            let start = buffer.startIndex
            let ciphertext = buffer[start + 5 ..< start + 5 + length]
            let tag = buffer[start + 5 + length ..< start + total]
            let prefix = header!.suffix(4)
            let box = try AES.GCM.SealedBox(nonce: try EncryptedStream.nonce(prefix: Data(prefix), index: index), ciphertext: ciphertext, tag: tag)
            let plain: Data
            do { plain = try AES.GCM.open(box, using: key.key, authenticating: header! + Data([flag])) } catch {
                throw EncryptionError.corrupt("frame \(index) does not authenticate")
            }
            try plain.withUnsafeBytes { try next.write($0) }
            sawLast = flag == 1
            index += 1
            buffer.removeFirst(total)
        }
    }

    public func finish() throws {
        guard header != nil, sawLast, buffer.isEmpty else { throw EncryptionError.corrupt("the stream is truncated") }
    }
}

extension Data {
    init?(hex: String) {
        var bytes: [UInt8] = []
        var chars = hex.makeIterator()
        while let a = chars.next() {
            guard let b = chars.next(), let byte = UInt8(String([a, b]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(bytes)
    }
}
