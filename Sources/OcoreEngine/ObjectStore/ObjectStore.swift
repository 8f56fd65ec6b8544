import Crypto
import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage

/// The content-addressed objects of one storage target, shared by every incremental backup in
/// it: how an object is named, read and written (encrypted when the storage encrypts), which
/// objects are present (the index), and the locks that keep a sweep from removing what a running
/// backup relies on.
///
/// Layout in the storage: `objects/ab/<name>` (the content), `objects-index/<id>.<n>` (lines
/// `name stored-size`: what a backup stored, written as it goes so an interrupted one is resumed
/// by the next), `locks/<kind>-<id>` (who is writing or sweeping, since when).
final class ObjectStore: @unchecked Sendable {
    let target: StorageTarget
    let key: BackupKey?
    let provider: any StorageProvider
    /// This host's copy of the index segments already read (a segment never changes once written).
    let cacheDirectory: String

    static let indexPrefix = "objects-index/"
    static let lockPrefix = "locks/"

    init(target: StorageTarget, cacheRoot: String) throws {
        self.target = target
        key = try target.encryption.map { try BackupKey.load($0) }
        provider = try StorageProviders.make(for: target.location)
        let safe = target.name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        cacheDirectory = cacheRoot + "/object-index/" + String(safe)
    }

    /// The cache lives beside the state store.
    convenience init(target: StorageTarget, storePath: String) throws {
        try self.init(target: target, cacheRoot: (storePath as NSString).deletingLastPathComponent + "/cache")
    }

    /// A provider of its own for a worker thread (providers hold one connection each).
    func workerProvider() throws -> any StorageProvider {
        if case .directory(let root) = target.location {
            var local = LocalDirectoryStorage(root: root)
            local.syncEachObject = false
            return local
        }
        return try StorageProviders.make(for: target.location)
    }

    /// Flushes a batch of objects written without a sync each (local directories).
    func syncWritten() throws {
        if case .directory(let root) = target.location { try LocalDirectoryStorage(root: root).syncAll() }
    }

    // MARK: Names and bytes

    func name(contentSHA256 hex: String) -> String { key?.objectName(contentSHA256: hex) ?? hex }

    func storedSize(plain: Int64) -> Int64 { key == nil ? plain : EncryptingSink.storedSize(plain: plain) }

    /// Stores one object from plain bytes (a buffer, or a spilled file), encrypted if the storage
    /// encrypts. An object that is already there (a race with another backup, an SFTP server that
    /// refuses to rename over it) counts as stored when its size is right.
    func put(name: String, plain: ObjectContent, with provider: any StorageProvider) throws -> Int64 {
        let objectKey = BackupSnapshot.objectKey(name)
        let source: ByteSource
        var cleanup: (() -> Void)?
        switch (plain, key) {
        case (.memory(let data), nil): source = DataSource(data)
        case (.memory(let data), let key?):
            let sink = CollectingSink(limit: Int(storedSize(plain: Int64(data.count))) + 64)
            let encryptor = try EncryptingSink(next: sink, key: key)
            try data.withUnsafeBytes { try encryptor.write($0) }
            try encryptor.finish()
            source = DataSource(sink.data)
        case (.file(let path, _), let key):
            var input = path
            if let key {
                input = path + ".enc"
                try Self.encryptFile(path, to: input, key: key)
                cleanup = { unlink(input) }
            }
            let fd = open(input, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw StorageError.failed(target: input, operation: "open", reason: String(cString: strerror(errno))) }
            source = FileDescriptorSource(fd)
            let previous = cleanup
            cleanup = { close(fd); previous?() }
        }
        defer { cleanup?() }
        do {
            return try provider.put(key: objectKey, from: source, progress: nil).size
        } catch {
            if let there = try? provider.stat(key: objectKey), there.size == storedSize(plain: plain.size) { return there.size }
            throw error
        }
    }

    /// Reads one object, decrypted, into `sink`, and checks it is the content it is named for.
    func get(_ entry: BackupSnapshot.Entry, into sink: ByteSink, with provider: any StorageProvider) throws {
        let check = ContentCheck(next: sink)
        let decryptor = key.map { DecryptingSink(next: check, key: $0) }
        try provider.get(key: BackupSnapshot.objectKey(entry.objectName), into: decryptor ?? check)
        try decryptor?.finish()
        guard check.count == entry.size, check.digest == entry.sha256 else {
            throw ObjectStoreError.corrupt(entry.path, "object \(entry.objectName.prefix(12))… holds \(formatBytes(check.count)) with sha256 \(check.digest.prefix(12))…, expected \(formatBytes(entry.size)) with \(entry.sha256.prefix(12))…")
        }
    }

    private static func encryptFile(_ path: String, to output: String, key: BackupKey) throws {
        let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw StorageError.failed(target: output, operation: "create", reason: String(cString: strerror(errno))) }
        defer { close(out) }
        let encryptor = try EncryptingSink(next: FileDescriptorSink(out), key: key)
        try LocalDirectoryStorage(root: (path as NSString).deletingLastPathComponent).get(key: (path as NSString).lastPathComponent, into: encryptor)
        try encryptor.finish()
    }

    // MARK: Small documents (file lists, manifests), encrypted like the objects

    func putDocument(_ data: Data, key objectKey: String) throws -> (size: Int64, sha256: String) {
        var stored = data
        if let key {
            let sink = CollectingSink(limit: Int(storedSize(plain: Int64(data.count))) + 64)
            let encryptor = try EncryptingSink(next: sink, key: key)
            try data.withUnsafeBytes { try encryptor.write($0) }
            try encryptor.finish()
            stored = sink.data
        }
        let written = try provider.put(key: objectKey, from: DataSource(stored), progress: nil)
        return (written.size, SHA256.hash(data: stored).hex)
    }

    func getDocument(_ objectKey: String, limit: Int = 1 << 30) throws -> (plain: Data, stored: Int64, sha256: String) {
        let sink = CollectingSink(limit: limit)
        let counter = HashingCounter(next: sink)
        try provider.get(key: objectKey, into: counter)
        var plain = sink.data
        if let key, plain.starts(with: Data("OCOREENC".utf8)) {
            let out = CollectingSink(limit: limit)
            let decryptor = DecryptingSink(next: out, key: key)
            try plain.withUnsafeBytes { try decryptor.write($0) }
            try decryptor.finish()
            plain = out.data
        }
        return (plain, counter.count, counter.digest)
    }

    func snapshot(at objectKey: String) throws -> BackupSnapshot {
        try BackupSnapshot.decode(getDocument(objectKey).plain)
    }

    // MARK: The index

    /// Every object the storage holds by its index: name → stored size. Segments not yet in this
    /// host's cache are fetched (a segment is immutable); cached segments the storage no longer
    /// has (a sweep consolidated them) are dropped.
    func loadIndex() throws -> [String: Int64] {
        let segments = try provider.list(prefix: Self.indexPrefix)
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let names = Set(segments.map { ($0.key as NSString).lastPathComponent })
        for cached in (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? [] where !names.contains(cached) {
            unlink(cacheDirectory + "/" + cached)
        }
        var index: [String: Int64] = [:]
        for segment in segments {
            let local = cacheDirectory + "/" + (segment.key as NSString).lastPathComponent
            var data = FileManager.default.contents(atPath: local)
            if data == nil || Int64(data!.count) != segment.size {
                let sink = CollectingSink(limit: 1 << 30)
                try provider.get(key: segment.key, into: sink)
                data = sink.data
                FileManager.default.createFile(atPath: local, contents: sink.data, attributes: [.posixPermissions: 0o600])
            }
            Self.parseSegment(data!) { index[$0] = $1 }
        }
        return index
    }

    func writeSegment(_ name: String, objects: [(name: String, size: Int64)]) throws {
        var text = ""
        text.reserveCapacity(objects.count * 80)
        for object in objects { text += "\(object.name) \(object.size)\n" }
        _ = try provider.put(key: Self.indexPrefix + name, from: DataSource(Data(text.utf8)), progress: nil)
    }

    static func parseSegment(_ data: Data, _ found: (String, Int64) -> Void) {
        for line in data.split(separator: 0x0A) {
            guard let space = line.firstIndex(of: 0x20) else { continue }
            let name = String(decoding: line[line.startIndex..<space], as: UTF8.self)
            if let size = Int64(String(decoding: line[(space + 1)...], as: UTF8.self)) { found(name, size) }
        }
    }

    /// Every object in storage by listing it (verify, sweep): name → stored object. S3 lists
    /// 1,000 keys a request, one page after the other: the 16 first hex digits are listed side by
    /// side instead, a connection each.
    func listObjects() throws -> [String: StoredObject] {
        var listed: [StoredObject] = []
        if case .s3 = target.location {
            let shards = SharedWork(Array("0123456789abcdef"))
            let found = ListedObjects()
            let workers = try (0..<8).map { _ in try workerProvider() }
            let threads = workers.map { provider in
                BackgroundWork<Void> {
                    while let digit = shards.next(unless: false) {
                        do { found.add(try provider.list(prefix: "objects/\(digit)")) } catch { shards.fail(error); return }
                    }
                }
            }
            for thread in threads { _ = thread.wait() }
            if let failure = shards.failure { throw failure }
            listed = found.all
        } else {
            listed = try provider.list(prefix: "objects/")
        }
        var out: [String: StoredObject] = [:]
        out.reserveCapacity(listed.count)
        for object in listed {
            if let name = BackupSnapshot.objectName(key: object.key) { out[name] = object }
        }
        return out
    }
}

/// What an object is made from before it is stored.
enum ObjectContent {
    case memory(Data)
    /// A file on this host (content too large to hold in memory), removed after the upload.
    case file(path: String, size: Int64)

    var size: Int64 {
        switch self { case .memory(let d): Int64(d.count); case .file(_, let size): size }
    }
}

enum ObjectStoreError: Error, CustomStringConvertible {
    case corrupt(String, String)
    case locked(String)

    var description: String {
        switch self {
        case let .corrupt(path, why): "\(path): \(why)"
        case .locked(let why): why
        }
    }
}

/// Counts and hashes content on its way to the next sink (the check of a fetched object).
final class ContentCheck: ByteSink {
    private var hasher = SHA256()
    private let next: ByteSink
    private(set) var count: Int64 = 0
    init(next: ByteSink) { self.next = next }
    func write(_ b: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: b)
        count += Int64(b.count)
        try next.write(b)
    }
    var digest: String { hasher.finalize().hex }
}

extension Digest {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in self { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Listings gathered from several threads.
final class ListedObjects: @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [StoredObject] = []
    func add(_ more: [StoredObject]) { lock.withLock { objects += more } }
    var all: [StoredObject] { lock.withLock { objects } }
}
