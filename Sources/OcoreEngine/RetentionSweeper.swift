import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Applies GFS retention to stored backups: deletes what ``Retention/sweep(_:now:)`` says may go
/// (manifest first, so a half-deleted backup is never listed), and keeps the row as `expired`.
///
/// A deletion that fails (storage unreachable, a credential missing, a storage record gone) is
/// reported on its decision and skipped; the sweep goes on with the others and never touches
/// anything else. Each deletion is audited with the backup's id and tier.
public struct RetentionSweeper {
    public let store: SQLiteStateStore
    public var now: Date
    /// Who the audit rows name.
    public var actor: (user: String, from: String?)

    public init(store: SQLiteStateStore, now: Date = Date(), actor: (user: String, from: String?) = JobQueue.requester()) {
        self.store = store
        self.now = now
        self.actor = actor
    }

    /// How long an object no backup needs is kept anyway (an interrupted backup's, to be reused).
    public var objectGrace: TimeInterval = 6 * 3600
    /// Sweep a storage's objects only when this sweep removed one of its incremental backups (the
    /// sweep queued after every backup: reading every file list of a storage after each hourly
    /// backup would cost more than the backup). An operator's sweep looks at every storage.
    public var objectsOnlyAfterRemovals = false

    /// The plan for one environment, carried out unless `dryRun`; `log` hears each deletion,
    /// `objects` what became of the shared objects of each storage its incremental backups use.
    public func sweep(environment: String, dryRun: Bool, log: (Retention.Decision) -> Void = { _ in },
                      objects: (ObjectSweepOutcome) -> Void = { _ in }) throws -> [Retention.Decision] {
        try sweep(environment: environment, dryRun: dryRun, log: log, objects: objects, collectObjects: true)
    }

    private func sweep(environment: String, dryRun: Bool, log: (Retention.Decision) -> Void, objects: (ObjectSweepOutcome) -> Void,
                       collectObjects: Bool) throws -> [Retention.Decision] {
        let policy = try store.backupPolicy(environment: environment)?.retention ?? RetentionPolicy()
        let backups = try store.backups(environment: environment)
        let decisions = Retention(policy: policy).sweep(backups, now: now)
        let done = dryRun ? decisions : decisions.map { decision in
            guard decision.delete else { return decision }
            var done = decision
            do { try delete(decision.backup, reason: decision.reason) } catch { done.failure = "\(error)" }
            log(done)
            return done
        }
        guard collectObjects else { return done }
        let removed = done.filter { $0.delete && $0.failure == nil }.map(\.backup)
        let storages = try incrementalStorages(objectsOnlyAfterRemovals ? removed : backups)
        for outcome in sweepObjects(storages, leaving: Set(done.filter { $0.delete && $0.failure == nil }.map(\.backup.key)), dryRun: dryRun) { objects(outcome) }
        return done
    }

    /// Where these incremental backups and their second copies keep objects.
    private func incrementalStorages(_ backups: [BackupRecord]) throws -> [String] {
        let incremental = backups.filter { $0.format == .incremental }
        guard !incremental.isEmpty else { return [] }
        let ids = Set(incremental.map(\.id))
        let copies = try store.backupCopies().filter { ids.contains($0.backupID) }.map(\.storage)
        return Set(incremental.map(\.storage) + copies).sorted()
    }

    /// Collects the objects no remaining backup of these storages needs (``ObjectSweep``).
    func sweepObjects(_ storages: [String], leaving: Set<String>, dryRun: Bool) -> [ObjectSweepOutcome] {
        storages.map { name in
            do {
                let objects = try ObjectStore(target: try store.storage(named: name), storePath: store.path)
                let outcome = try ObjectSweep(objects: objects, grace: objectGrace, now: now).run(dryRun: dryRun, leaving: leaving)
                if !dryRun && outcome.removed > 0 {
                    try? store.audit(user: actor.user, from: actor.from, action: "retention.objects", environment: nil,
                                     detail: "\(outcome.removed) objects (\(formatBytes(outcome.bytesFreed))) from \(name)")
                }
                return outcome
            } catch {
                return ObjectSweepOutcome(storage: name, referenced: 0, removed: 0, bytesFreed: 0, young: 0, skipped: "\(error)", dryRun: dryRun)
            }
        }
    }

    private func delete(_ backup: BackupRecord, reason: String) throws {
        var backup = backup
        // Its second copies go first: one that cannot be removed keeps the whole backup listed,
        // whole, for the next sweep.
        try BackupCopyJob.removeCopies(of: backup, store: store)
        let target = try store.storage(named: backup.storage)
        let provider = try StorageProviders.make(for: target.location)
        try provider.delete(key: BackupRecord.manifestKey(forArchive: backup.key))
        try provider.delete(key: backup.key)
        backup.status = .expired
        try store.updateBackup(backup)
        try store.audit(user: actor.user, from: actor.from, action: "retention.delete", environment: backup.environment,
                        detail: "\(backup.id) (\(backup.tier.rawValue), \(reason)) from \(backup.storage)")
    }

    /// Every environment that has backups.
    public func sweepAll(dryRun: Bool, log: (Retention.Decision) -> Void = { _ in }, objects: (ObjectSweepOutcome) -> Void = { _ in }) throws -> [Retention.Decision] {
        let all = try store.backups()
        let environments = Set(all.map(\.environment)).sorted()
        // Each storage's objects once, after every environment's expired backups are gone.
        let decisions = try environments.flatMap { try sweep(environment: $0, dryRun: dryRun, log: log, objects: { _ in }, collectObjects: false) }
        let storages = try incrementalStorages(all)
        for outcome in sweepObjects(storages, leaving: Set(decisions.filter { $0.delete && $0.failure == nil }.map(\.backup.key)), dryRun: dryRun) { objects(outcome) }
        return decisions
    }
}

extension Retention.Decision {
    /// One line for a log or a table: what happened to the backup and why.
    public var summary: String {
        guard delete else { return "kept \(backup.id) (\(reason))" }
        if let failure { return "could not remove \(backup.id) (\(backup.tier.rawValue), \(reason)): \(failure); kept, tried again next sweep" }
        return "removed \(backup.id) (\(backup.tier.rawValue), \(reason)) from \(backup.storage)"
    }
}
