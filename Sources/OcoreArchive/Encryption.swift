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

    /// The storage name of a content-addressed object whose plain content has this SHA-256:
    /// an HMAC under a key derived from this one, so a name in an encrypted storage reveals
    /// nothing about the content (nor whether two storages hold the same file) without the key.
    public func objectName(contentSHA256 hex: String) -> String {
        let names = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("ocore object names".utf8), outputByteCount: 32)
        return HMAC<SHA256>.authenticationCode(for: Data(hex.utf8), using: names).map { String(format: "%02x", $0) }.joined()
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

/// The stored form of an encrypted backup or object: a header (magic, key id, a random salt),
/// then frames of at most 1 MiB of plaintext, each sealed with AES-256-GCM under a key derived
/// for this stream alone (HKDF of the backup key and the salt). A frame's nonce is its index; its
/// flag (last frame or not) and the header are authenticated, so reordering, truncation and a
/// swapped key are all detected. A key encrypts millions of objects this way with no nonce ever
/// repeated under one AES key. (Version 1, still read, drew a 4-byte nonce prefix per stream
/// under the backup key itself: sound for a few archives a day, not for an object store.)
enum EncryptedStream {
    static let magic = Data("OCOREENC2".utf8)
    static let magicV1 = Data("OCOREENC1".utf8)
    static let chunk = 1 << 20
    static let headerSize = 9 + 16 + 16
    static let headerSizeV1 = 9 + 16 + 4

    static func nonce(prefix: Data, index: UInt64) throws -> AES.GCM.Nonce {
        var bytes = prefix
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        return try AES.GCM.Nonce(data: bytes)
    }

    static func streamKey(_ key: BackupKey, salt: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, salt: salt, info: Data("ocore stream".utf8), outputByteCount: 32)
    }
}

/// Encrypts a stream on its way to the next sink. Call ``finish()`` after the last write.
public final class EncryptingSink: ByteSink {
    private let next: ByteSink
    private let streamKey: SymmetricKey
    private var header = Data()
    private let prefix = Data(count: 4)
    private var pending = Data()
    private var index: UInt64 = 0

    public init(next: ByteSink, key: BackupKey) throws {
        self.next = next
        let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        streamKey = EncryptedStream.streamKey(key, salt: salt)
        header = EncryptedStream.magic + Data(hex: key.id)! + salt
        try header.withUnsafeBytes { try next.write($0) }
    }

    /// The stored size of `plain` bytes encrypted: the header, and per frame a flag, a length and a tag.
    public static func storedSize(plain: Int64) -> Int64 {
        let frames = max(1, (plain + Int64(EncryptedStream.chunk) - 1) / Int64(EncryptedStream.chunk))
        return Int64(EncryptedStream.headerSize) + plain + frames * (1 + 4 + 16)
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
        let box = try AES.GCM.seal(pending, using: streamKey, nonce: try EncryptedStream.nonce(prefix: prefix, index: index),
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
    private var streamKey: SymmetricKey?
    private var prefix = Data(count: 4)
    private var index: UInt64 = 0
    private var sawLast = false

    public init(next: ByteSink, key: BackupKey) {
        self.next = next
        self.key = key
    }

    /// The key id in a stored object's first bytes (nil if it is not an encrypted backup).
    public static func keyID(of head: Data) -> String? {
        guard head.count >= EncryptedStream.headerSizeV1, head.prefix(9) == EncryptedStream.magic || head.prefix(9) == EncryptedStream.magicV1 else { return nil }
        return head[head.startIndex + 9 ..< head.startIndex + 25].map { String(format: "%02x", $0) }.joined()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if header == nil {
            guard buffer.count >= 9 else { return }
            let v1 = buffer.prefix(9) == EncryptedStream.magicV1
            let size = v1 ? EncryptedStream.headerSizeV1 : EncryptedStream.headerSize
            guard buffer.count >= size else { return }
            let head = Data(buffer.prefix(size))
            guard let id = Self.keyID(of: head) else { throw EncryptionError.corrupt("not an ocore encrypted backup") }
            guard id == key.id else { throw EncryptionError.wrongKey(expected: id, got: key.id) }
            header = head
            if v1 { streamKey = key.key; prefix = Data(head.suffix(4)) } else { streamKey = EncryptedStream.streamKey(key, salt: Data(head.suffix(16))) }
            buffer.removeFirst(size)
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
            let box = try AES.GCM.SealedBox(nonce: try EncryptedStream.nonce(prefix: prefix, index: index), ciphertext: ciphertext, tag: tag)
            let plain: Data
            do { plain = try AES.GCM.open(box, using: streamKey!, authenticating: header! + Data([flag])) } catch {
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
