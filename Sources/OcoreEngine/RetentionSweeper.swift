import Foundation
import OcoreModel
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

    /// The plan for one environment, carried out unless `dryRun`; `log` hears each deletion.
    public func sweep(environment: String, dryRun: Bool, log: (Retention.Decision) -> Void = { _ in }) throws -> [Retention.Decision] {
        let policy = try store.backupPolicy(environment: environment)?.retention ?? RetentionPolicy()
        let decisions = Retention(policy: policy).sweep(try store.backups(environment: environment), now: now)
        guard !dryRun else { return decisions }
        return decisions.map { decision in
            guard decision.delete else { return decision }
            var done = decision
            do { try delete(decision.backup, reason: decision.reason) } catch { done.failure = "\(error)" }
            log(done)
            return done
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
    public func sweepAll(dryRun: Bool, log: (Retention.Decision) -> Void = { _ in }) throws -> [Retention.Decision] {
        let environments = Set(try store.backups().map(\.environment)).sorted()
        return try environments.flatMap { try sweep(environment: $0, dryRun: dryRun, log: log) }
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
