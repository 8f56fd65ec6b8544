import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Puts a second copy of a completed backup on another storage (3-2-1), queued after the backup
/// when its environment's schedule names one (`policy set … --copy-to offsite`). The archive is
/// streamed from one storage into the other (never whole on this host), its manifest after it,
/// and the copy counts only once it was read back with the original's SHA-256. A copy that fails
/// or is cancelled is removed from the second storage; the backup itself is never touched.
public struct BackupCopyJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var backupID: String
        public var storage: String
    }

    public init() {}

    public var name: String { JobRecord.backupCopyKind }

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.storage, kind: "storage")
        return JobPlan(steps: [
            StepDefinition(name: "copy_archive", title: "Copy the archive and its manifest to \(p.storage)", weight: 3,
                           run: { try Self.copyArchive(p, $0) }, compensate: { try Self.removeCopy(p, $0) }),
            StepDefinition(name: "check_copy", title: "Read the copy back and check its checksum", weight: 2,
                           run: { try Self.checkCopy(p, $0) }, compensate: { try Self.removeCopy(p, $0) }),
        ])
    }

    static func copyArchive(_ p: Parameters, _ context: StepContext) throws {
        let backup = try context.store.backup(p.backupID)
        guard backup.status.isRestorable, let expected = backup.sha256 else {
            throw StepFailure.check("backup", "\(p.backupID) is \(backup.status.rawValue): only a completed backup is copied")
        }
        try context.store.saveBackupCopy(BackupCopy(backupID: p.backupID, storage: p.storage, status: .copying, createdAt: Date()))
        if backup.format == .incremental { return try IncrementalCopy(p, context).copy(backup) }
        let from = try StorageProviders.make(for: try context.store.storage(named: backup.storage).location)
        let to = try StorageProviders.make(for: try context.store.storage(named: p.storage).location)
        let total = max(Double(backup.size ?? 1), 1)
        let archive = try Pipe.relay({ sink in try from.get(key: backup.key, into: sink) },
                                     progress: { n in context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) copied") }) { source in
            try to.put(key: backup.key, from: source, progress: nil)
        }
        guard archive.sha256 == expected else {
            throw StepFailure.check("archive checksum", "read \(archive.sha256?.prefix(16) ?? "?")… from \(backup.storage), expected \(expected.prefix(16))…")
        }
        let manifestKey = BackupRecord.manifestKey(forArchive: backup.key)
        _ = try Pipe.relay({ sink in try from.get(key: manifestKey, into: sink) }, hashing: false) { source in
            try to.put(key: manifestKey, from: source, progress: nil)
        }
        context.log(.info, "copied \(formatBytes(archive.bytes)) of \(p.backupID) from \(backup.storage) to \(p.storage), with its manifest")
    }

    static func checkCopy(_ p: Parameters, _ context: StepContext) throws {
        let backup = try context.store.backup(p.backupID)
        if backup.format == .incremental {
            try IncrementalCopy(p, context).check(backup)
            try context.store.saveBackupCopy(BackupCopy(backupID: p.backupID, storage: p.storage, status: .completed, createdAt: Date(), verifiedAt: Date()))
            return
        }
        let to = try StorageProviders.make(for: try context.store.storage(named: p.storage).location)
        let total = max(Double(backup.size ?? 1), 1)
        let check = HashingCounter(next: DiscardingSink())
        check.onProgress = { n in context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) read back") }
        try to.get(key: backup.key, into: check)
        guard check.count == backup.size, check.digest == backup.sha256 else {
            throw StepFailure.check("copy checksum", "\(p.storage) gave back \(check.count) bytes, sha256 \(check.digest.prefix(16))…")
        }
        try context.store.saveBackupCopy(BackupCopy(backupID: p.backupID, storage: p.storage, status: .completed, createdAt: Date(), verifiedAt: Date()))
        context.log(.info, "copy on \(p.storage) verified: read back \(formatBytes(check.count)), checksum matches")
    }

    /// What a failed, cancelled or interrupted copy leaves on the second storage is removed.
    static func removeCopy(_ p: Parameters, _ context: StepContext) throws {
        guard let backup = try? context.store.backup(p.backupID),
              let target = try? context.store.storage(named: p.storage), let to = try? StorageProviders.make(for: target.location) else { return }
        _ = try? to.removeIncomplete(key: backup.key)
        try? to.delete(key: BackupRecord.manifestKey(forArchive: backup.key))
        try? to.delete(key: backup.key)
        // Objects it copied stay for the next copy (a sweep of that storage collects them in time).
        StorageLock(provider: to, kind: .writer, id: "copy-\(p.backupID)").release()
        let created = (try? context.store.backupCopies(of: p.backupID).first { $0.storage == p.storage }?.createdAt) ?? Date()
        try context.store.saveBackupCopy(BackupCopy(backupID: p.backupID, storage: p.storage, status: .failed, createdAt: created,
                                                    error: "copy did not complete; removed from \(p.storage)"))
    }

    /// The backup as it lies on `storage`: its verified copy there, or a refusal naming where
    /// copies of it do exist.
    public static func source(_ backup: BackupRecord, on storage: String, store: SQLiteStateStore) throws -> BackupRecord {
        if storage == backup.storage { return backup }
        let copies = try store.backupCopies(of: backup.id)
        guard let copy = copies.first(where: { $0.storage == storage && $0.status == .completed }) else {
            let there = [backup.storage] + copies.filter { $0.status == .completed }.map(\.storage)
            throw RequestRefusal("backup \(backup.id) has no verified copy on \(storage); it is on \(there.joined(separator: ", "))")
        }
        return backup.on(copy)
    }

    /// Removes every copy of a backup from its storage (retention, `backup rm`); the first that
    /// cannot be removed stops it, so nothing is marked gone that is still there.
    static func removeCopies(of backup: BackupRecord, store: SQLiteStateStore) throws {
        for var copy in try store.backupCopies(of: backup.id) where copy.status == .completed || copy.status == .copying {
            let provider = try StorageProviders.make(for: try store.storage(named: copy.storage).location)
            try provider.delete(key: BackupRecord.manifestKey(forArchive: backup.key))
            try provider.delete(key: backup.key)
            copy.status = .deleted
            try store.saveBackupCopy(copy)
        }
    }

    /// Queues the copy of a backup from inside the job that made it (the running worker takes
    /// it). It holds the environment shared, as the backup did.
    static func queue(after context: StepContext, backup: BackupRecord, to storage: String) throws -> Int64 {
        try FollowUpJob.queue(BackupCopyJob(), Parameters(backupID: backup.id, storage: storage), environment: backup.environment, after: context)
    }
}
