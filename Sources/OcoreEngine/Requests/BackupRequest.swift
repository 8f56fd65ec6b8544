import Foundation
import OcoreModel
import OcoreStore

/// One backup, as `ocore backup create`, the dashboard's backup dialog and the schedule all
/// describe it: the environment, where it goes (the default storage when none is named), what
/// it holds, its retention tier (by date when none is given) and its format.
public struct BackupRequest: Sendable, Equatable {
    public var environment: String
    public var storage: String?
    public var type: BackupType = .manual
    public var includeFilestore = true
    /// nil: the GFS tier the backup's date gives it.
    public var tier: RetentionTier?
    public var format: BackupFormat = .odooZip

    public init(environment: String) {
        self.environment = environment
    }

    /// Checks the request and queues the backup; returns its id and its job's.
    public func submit(store: SQLiteStateStore, home: StateHome) throws -> (backupID: String, jobID: Int64) {
        let env = try store.resolvedEnvironment(named: environment)
        guard let storageName = try storage ?? SafetyBackup.defaultStorage(store) else {
            throw RequestRefusal("no default storage: give --storage NAME (see `ocore storage list`)")
        }
        let target = try store.storage(named: storageName)
        let id = BackupRecord.newID(at: Date())
        let parameters = BackupJob.Parameters(backupID: id, environment: environment, storage: target.name, type: type,
                                              includeFilestore: includeFilestore, tier: tier, format: format == .odooZip ? nil : format)
        // A backup only reads: it shares its environment with other readers (a clone from it).
        let job = try JobQueue(store: store, home: home).submit(BackupJob(), parameters: parameters, environment: environment,
                                                                 server: env.server.name, locks: [JobLock.shared(environment).encoded])
        return (id, job)
    }
}
