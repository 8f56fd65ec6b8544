import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// The backup a job takes of its target before replacing it (a replace-mode clone, an in-place
/// restore): the same steps as any backup, run inside the job, and verified before the job may
/// touch the target. A failed one is removed from storage and stops the job.
enum SafetyBackup {
    static func take(_ parameters: BackupJob.Parameters, _ context: StepContext) throws {
        let session = BackupSession(parameters)
        context.log(.info, "safety backup \(parameters.backupID) of \(parameters.environment) to \(parameters.storage)…")
        do {
            try session.initialize(context)
            try session.feeding { try session.dumpDatabase(context) }
            try session.feeding { try session.addFilestore(context) }
            try session.feeding { try session.addManifest(context) }
            try session.feeding { try session.package(context) }
            try session.finishUpload(context)
            try session.verify(context)
        } catch {
            session.abortUpload()
            try? BackupSession.discard(parameters, context)
            throw error
        }
        context.log(.info, "safety backup \(parameters.backupID) complete and verified")
    }

    /// The storage a safety backup goes to when none is named: the default one, or the only one.
    static func defaultStorage(_ store: SQLiteStateStore) throws -> String? {
        let targets = try store.storageTargets()
        return (targets.first(where: \.isDefault) ?? (targets.count == 1 ? targets.first : nil))?.name
    }
}
