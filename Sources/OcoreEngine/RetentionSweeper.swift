import Foundation
import OcoreModel
import OcoreStorage
import OcoreStore

/// Applies GFS retention to stored backups: deletes what ``Retention/sweep(_:now:)`` says may go
/// (manifest first, so a half-deleted backup is never listed), and keeps the row as `expired`.
public struct RetentionSweeper {
    public let store: SQLiteStateStore
    public var now: Date

    public init(store: SQLiteStateStore, now: Date = Date()) {
        self.store = store
        self.now = now
    }

    /// The plan for one environment, carried out unless `dryRun`.
    public func sweep(environment: String, dryRun: Bool) throws -> [Retention.Decision] {
        let policy = try store.backupPolicy(environment: environment)?.retention ?? RetentionPolicy()
        let decisions = Retention(policy: policy).sweep(try store.backups(environment: environment), now: now)
        guard !dryRun else { return decisions }
        for decision in decisions where decision.delete {
            var backup = decision.backup
            let target = try store.storage(named: backup.storage)
            let provider = try StorageProviders.make(for: target.location)
            try provider.delete(key: BackupRecord.manifestKey(forArchive: backup.key))
            try provider.delete(key: backup.key)
            backup.status = .expired
            try store.updateBackup(backup)
        }
        return decisions
    }

    /// Every environment that has backups.
    public func sweepAll(dryRun: Bool) throws -> [Retention.Decision] {
        let environments = Set(try store.backups().map(\.environment)).sorted()
        return try environments.flatMap { try sweep(environment: $0, dryRun: dryRun) }
    }
}
