import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage

/// The second copy of an incremental backup: the objects the other storage lacks, relayed as
/// stored (both storages use the same key, so the same names), then the file list and the
/// manifest, last. Under a writer's lock on the destination, so its sweep cannot remove an object
/// the copy counts on; the destination's index learns what was copied.
struct IncrementalCopy {
    let p: BackupCopyJob.Parameters
    let context: StepContext

    init(_ p: BackupCopyJob.Parameters, _ context: StepContext) {
        self.p = p
        self.context = context
    }

    func copy(_ backup: BackupRecord) throws {
        let from = try ObjectStore(target: try context.store.storage(named: backup.storage), storePath: context.store.path)
        let to = try ObjectStore(target: try context.store.storage(named: p.storage), storePath: context.store.path)
        guard from.key?.id == to.key?.id else {
            throw StepFailure.check("encryption", "\(backup.storage) and \(p.storage) do not use the same key: objects cannot be copied as they are")
        }
        let lock = StorageLock(provider: to.provider, kind: .writer, id: "copy-\(p.backupID)")
        try lock.acquire()
        try lock.waitForSweeps { context.log(.info, $0) }
        let list = try from.getDocument(backup.key)
        guard list.sha256 == backup.sha256 else {
            throw StepFailure.check("file list checksum", "read \(list.sha256.prefix(16))… from \(backup.storage), expected \(backup.sha256?.prefix(16) ?? "?")…")
        }
        let snapshot = try BackupSnapshot.decode(list.plain)
        let present = try to.loadIndex()
        let missing = snapshot.objects.filter { present[$0.key] != $0.value }.sorted { $0.key < $1.key }
        let total = max(Double(missing.reduce(0) { $0 + $1.value }), 1)
        let copied = ByteCounter()
        let work = SharedWork(missing)
        let confirmed = FailureList()
        let workers = try (0..<4).map { _ in (try from.workerProvider(), try to.workerProvider()) }
        let threads = workers.map { source, target in
            BackgroundWork<Void> {
                while let (name, size) = work.next(unless: context.cancellation.isCancelled) {
                    let key = BackupSnapshot.objectKey(name)
                    do {
                        _ = try Pipe.relay({ sink in try source.get(key: key, into: sink) }, hashing: false) { src in try target.put(key: key, from: src, progress: nil) }
                        copied.add(size)
                        confirmed.add("\(name) \(size)")
                        context.progress(min(Double(copied.value) / total, 0.99), message: "\(formatBytes(copied.value)) of \(formatBytes(Int64(total))) copied")
                    } catch {
                        if let there = try? target.stat(key: key), there.size == size { confirmed.add("\(name) \(size)"); continue }
                        work.fail(error)
                        return
                    }
                }
            }
        }
        for thread in threads { _ = thread.wait() }
        let done = confirmed.items.compactMap { line -> (name: String, size: Int64)? in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), Int64(parts[1]) ?? 0) : nil
        }
        try to.syncWritten()
        if !done.isEmpty { try to.writeSegment("copy-\(p.backupID).1", objects: done) }
        if let failure = work.failure { throw failure }
        try context.checkCancelled()
        _ = try to.provider.put(key: backup.key, from: DataSource(try from.provider.getAll(backup.key)), progress: nil)
        _ = try to.provider.put(key: BackupRecord.manifestKey(forArchive: backup.key),
                                from: DataSource(try from.provider.getAll(BackupRecord.manifestKey(forArchive: backup.key))), progress: nil)
        lock.release()
        context.log(.info, "copied \(p.backupID) to \(p.storage): \(missing.count) of \(snapshot.objects.count) objects were missing there (\(formatBytes(copied.value))), then its file list and manifest")
    }

    /// The copy is whole: its file list reads back as the original's, every object is listed there with its size.
    func check(_ backup: BackupRecord) throws {
        let to = try ObjectStore(target: try context.store.storage(named: p.storage), storePath: context.store.path)
        let list = try to.getDocument(backup.key)
        guard list.sha256 == backup.sha256 else {
            throw StepFailure.check("copy checksum", "the file list on \(p.storage) reads back with sha256 \(list.sha256.prefix(16))…")
        }
        let listed = try to.listObjects()
        let needed = try BackupSnapshot.decode(list.plain).objects
        let missing = needed.filter { listed[$0.key]?.size != $0.value }
        guard missing.isEmpty else { throw StepFailure.check("copy objects", "\(missing.count) of \(needed.count) objects missing on \(p.storage)") }
        context.log(.info, "copy on \(p.storage) verified: file list matches, all \(needed.count) objects present with their sizes")
    }
}

extension StorageProvider {
    /// A small object whole (a file list, a manifest).
    func getAll(_ key: String) throws -> Data {
        let sink = CollectingSink(limit: 1 << 30)
        try get(key: key, into: sink)
        return sink.data
    }
}
