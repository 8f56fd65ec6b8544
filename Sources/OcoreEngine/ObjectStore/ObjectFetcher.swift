import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage

/// Brings the files of an incremental backup back from their objects, several at a time, each
/// checked against the content hash it is named for before it takes its name: a corrupt object
/// stops the restore with the file it would have become.
struct ObjectFetcher {
    let store: ObjectStore
    var workers = 4
    let cancellation: CancellationFlag

    /// Writes each entry to `directory/entry.path` on this host. A file already in `reuse` (the
    /// filestore the restore set aside) with the same size and hash is linked from there and not
    /// fetched at all; from a local, unencrypted storage on the same file system a file is
    /// hard-linked to its object (and read once to check it) instead of copied, when `link` allows it.
    func write(_ entries: [BackupSnapshot.Entry], into directory: String, link: Bool = false, reuse: String? = nil,
               progress: @escaping @Sendable (Int64) -> Void) throws {
        let linkRoot = link ? linkableRoot(for: directory) : nil
        let done = ByteCounter()
        try parallel(entries) { entry, provider in
            let final = directory + "/" + entry.path
            try Self.makeParents(of: final)
            let temp = (final as NSString).deletingLastPathComponent + "/.ocore-part-" + (final as NSString).lastPathComponent
            if let reuse, Self.sameContent(reuse + "/" + entry.path, as: entry) {
                unlink(temp)
                if Glibc.link(reuse + "/" + entry.path, temp) == 0, rename(temp, final) == 0 {
                    done.add(entry.size)
                    progress(done.value)
                    return
                }
            }
            if let linkRoot {
                unlink(temp)
                if Glibc.link(linkRoot + "/" + BackupSnapshot.objectKey(entry.objectName), temp) == 0 {
                    let got = try BackupVerifier.hashFile(temp)
                    guard got.size == entry.size, got.sha256 == entry.sha256 else {
                        unlink(temp)
                        throw ObjectStoreError.corrupt(entry.path, "its object does not hold the content it is named for (sha256 \(got.sha256.prefix(12))…, expected \(entry.sha256.prefix(12))…)")
                    }
                    // Readable like any restored file (the storage's own directories stay 0700).
                    chmod(temp, 0o644)
                    guard rename(temp, final) == 0 else { throw Self.posix("rename \(final)") }
                    done.add(entry.size)
                    progress(done.value)
                    return
                }
            }
            let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw Self.posix("create \(temp)") }
            do {
                try store.get(entry, into: FileDescriptorSink(fd), with: provider)
                close(fd)
            } catch {
                close(fd)
                unlink(temp)
                throw error
            }
            guard rename(temp, final) == 0 else { throw Self.posix("rename \(final)") }
            done.add(entry.size)
            progress(done.value)
        }
    }

    /// Streams the entries as a tar archive into `sink` (a `tar -x` on the target's server), in
    /// order: small objects are fetched ahead in parallel, a large one is streamed when its turn
    /// comes.
    func tar(_ entries: [BackupSnapshot.Entry], into sink: ByteSink, progress: @escaping @Sendable (Int64) -> Void) throws {
        let writer = TarStreamWriter(sink: sink)
        let small: Int64 = 16 << 20
        let slots = PrefetchSlots()
        var sent: Int64 = 0
        let fetchers = BackgroundWork<Void> {
            do {
                try parallel(entries.enumerated().filter { $0.element.size <= small }.map { $0 }, window: { slots.waitForRoom($0.offset) }) { item, provider in
                    let collected = CollectingSink(limit: Int(item.element.size) + 1)
                    try store.get(item.element, into: collected, with: provider)
                    slots.put(item.offset, collected.data)
                }
            } catch {
                slots.abandon()
                throw error
            }
        }
        defer { slots.abandon(); _ = fetchers.wait() }
        let provider = try store.workerProvider()
        for (i, entry) in entries.enumerated() {
            if cancellation.isCancelled { throw JobCancelled() }
            try writer.begin(path: entry.path, size: entry.size, modified: Date(timeIntervalSince1970: entry.mtime ?? Date().timeIntervalSince1970))
            if entry.size <= small {
                guard let data = slots.take(i) else { try fetchers.wait().get(); throw ObjectStoreError.corrupt(entry.path, "not fetched") }
                try data.withUnsafeBytes { try writer.write($0) }
            } else {
                try store.get(entry, into: TarBodySink(writer), with: provider)
            }
            sent += entry.size
            progress(sent)
        }
        try writer.finish()
        try fetchers.wait().get()
    }

    /// Runs `body` over the items on `workers` threads, a provider each; the first error stops
    /// the rest and is thrown.
    private func parallel<T>(_ items: [T], window: (@Sendable (T) -> Void)? = nil, _ body: @escaping @Sendable (T, any StorageProvider) throws -> Void) throws {
        let queue = SharedWork(items)
        let count = min(workers, max(items.count, 1))
        let providers = try (0..<count).map { _ in try store.workerProvider() }
        let cancellation = cancellation
        let threads = providers.map { provider in
            BackgroundWork<Void> { [queue] in
                while let item = queue.next(unless: cancellation.isCancelled) {
                    window?(item)
                    do { try body(item, provider) } catch {
                        queue.fail(error)
                        return
                    }
                }
            }
        }
        for thread in threads { _ = thread.wait() }
        if let failure = queue.failure { throw failure }
        if cancellation.isCancelled { throw JobCancelled() }
    }

    /// A file on this host holds exactly the entry's content (size first, then its hash).
    static func sameContent(_ path: String, as entry: BackupSnapshot.Entry) -> Bool {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.int64Value == entry.size else { return false }
        return (try? BackupVerifier.hashFile(path))?.sha256 == entry.sha256
    }

    /// The storage's root when files can be hard-linked from it into `directory`.
    private func linkableRoot(for directory: String) -> String? {
        guard store.key == nil, case .directory(let root) = store.target.location else { return nil }
        func device(_ path: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: path))?[.systemNumber] as? Int }
        guard let a = device(root), a == device(directory) else { return nil }
        return root
    }

    static func makeParents(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
    }

    static func posix(_ what: String) -> StorageError { .failed(target: "this host", operation: what, reason: String(cString: strerror(errno))) }
}

/// Fetched objects waiting for their turn in the tar stream.
final class PrefetchSlots: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: Data] = [:]
    private var taken = 0
    private var abandoned = false
    /// How far the fetchers may run ahead of the writer.
    let ahead = 64

    func put(_ index: Int, _ data: Data) { condition.withLock { ready[index] = data; condition.broadcast() } }

    /// The fetcher waits while it is too far ahead of the writer.
    func waitForRoom(_ index: Int) {
        condition.withLock { while !abandoned && index >= taken + ahead { condition.wait() } }
    }

    func take(_ index: Int) -> Data? {
        condition.withLock {
            while ready[index] == nil && !abandoned { condition.wait() }
            taken = index + 1
            condition.broadcast()
            return ready.removeValue(forKey: index)
        }
    }

    func abandon() { condition.withLock { abandoned = true; condition.broadcast() } }
}

/// An object's bytes as the body of the current tar entry.
final class TarBodySink: ByteSink {
    let writer: TarStreamWriter
    init(_ writer: TarStreamWriter) { self.writer = writer }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try writer.write(bytes) }
}

/// Items handed out one at a time to worker threads, and the first failure among them.
final class SharedWork<T>: @unchecked Sendable {
    private let lock = NSLock()
    private let items: [T]
    private var index = 0
    private var error: Error?

    init(_ items: [T]) { self.items = items }

    func next(unless stop: Bool) -> T? {
        lock.withLock {
            guard !stop, error == nil, index < items.count else { return nil }
            defer { index += 1 }
            return items[index]
        }
    }

    func fail(_ e: Error) { lock.withLock { if error == nil { error = e } } }
    var failure: Error? { lock.withLock { error } }
}
