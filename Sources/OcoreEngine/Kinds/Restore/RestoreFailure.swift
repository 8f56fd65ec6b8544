import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension RestoreRun {
    // MARK: Failure

    func recordFailure(_ context: StepContext) throws {
        if let t = try? target(context) {
            do { try handOver(context, t) } catch { context.log(.error, "the temporary role \(state(context).loadRole ?? "") could not be removed: \(error)") }
        }
        let inPlace = p.newEnvironment == nil
        let failedStep = state(context).step, error = context.state(JobRunState.self).error
        let safety = state(context).safetyBackupID
        var broken = inPlace && state(context).targetDropped
        var putBack = false
        if broken, let safety {
            do {
                try putBackSafetyBackup(safety, context)
                putBack = true
                broken = false
            } catch {
                context.log(.error, "putting \(p.target) back from its safety backup \(safety) failed: \(error)")
            }
        }
        if let t = try? target(context) {
            do { try ServiceControl.startIfStopped(t, context) } catch { context.log(.error, "the Odoo service of \(p.target) did not start again: \(error)") }
        }
        let state = !inPlace ? "removed" : putBack ? "put back" : broken ? "broken" : "untouched"
        try context.store.updateRestorePoint(job: context.jobID, status: "failed", failedStep: failedStep,
                                             error: error ?? "the restore did not complete", targetState: state, ended: true)
        if putBack {
            context.log(.warning, "\(p.target) was put back as it was before this restore, from its verified safety backup \(safety ?? "")")
        } else if broken {
            context.log(.error, "\(p.target) is left BROKEN; its verified safety backup is \(safety ?? "missing"): restore it with `ocore restore \(safety ?? "ID") --to \(p.target) --no-safety-backup --confirm \(p.target)`")
        } else {
            context.log(.info, inPlace ? "\(p.target) was not touched" : "everything created for \(p.target) was removed")
        }
        removeDownload(context)
    }

    /// A failed in-place restore puts the target's database back from the verified safety backup
    /// taken at its start (its filestore was already put back by the filestore step's undo): the
    /// same download, checks and load, as the same kind of role, without sanitizing (it is the
    /// target's own data) and without another safety backup.
    func putBackSafetyBackup(_ id: String, _ context: StepContext) throws {
        removeDownload(context)
        try record(context) { $0.archiveInPlace = nil }
        try Self.putBack(p.target, from: id, context)
    }

    /// Loads an environment's database back from its verified safety backup, in place: shared by a
    /// failed in-place restore and a failed replace (a clone over an existing environment).
    static func putBack(_ target: String, from id: String, _ context: StepContext) throws {
        context.log(.info, "putting \(target) back from its safety backup \(id)…")
        let back = RestoreRun(RestoreJob.Parameters(
            backupID: id, archivePath: nil, target: target, newEnvironment: nil, mode: .original, includeFilestore: false,
            safetyBackup: false, safetyStorage: nil, asMoved: true, preset: .none, options: [], passwordHash: nil))
        let t = try back.target(context)
        defer { back.removeDownload(context) }
        try back.fetchAndCheckArchive(context)
        try back.prepareDatabase(context)
        try back.loadDatabase(context)
        let tables = try back.targetPSQL(context, t).scalar("SELECT to_regclass('res_users') IS NOT NULL AND to_regclass('ir_module_module') IS NOT NULL")
        try back.handOver(context, t)
        guard tables == "t" else { throw StepFailure.check("put back", "key tables missing after loading \(id)") }
    }

    func discardSafetyBackup(_ context: StepContext) throws {
        guard state(context).safetyBackupID == nil, p.newEnvironment == nil, p.safetyBackup else { return }
        try BackupSession.discard(safetyParameters(storage: ""), context)
    }

    /// Removes a dump unpacked on the target's server for `pg_restore`.
    func removeStaging(_ context: StepContext) {
        guard let dir = state(context).restoreStaging, let t = try? target(context) else { return }
        try? RemoteFileSystem(Executors.forServer(t.server)).removeTree(dir)
        try? record(context) { $0.restoreStaging = nil }
    }

    func removeDownload(_ context: StepContext) {
        removeStaging(context)
        guard let file = state(context).archiveFile else { return }
        // A ZIP, or the folder an incremental backup's dump was fetched into.
        try? FileManager.default.removeItem(atPath: file)
        try? record(context) { $0.archiveFile = nil }
    }

    func dropCreated(_ context: StepContext) throws {
        guard let db = state(context).createdDatabase else { return }
        let t = try target(context)
        try admin(t).execute("DROP DATABASE IF EXISTS \(SQL.identifier(db)) WITH (FORCE);")
        try record(context) { $0.createdDatabase = nil }
        context.log(.info, "dropped \(db)")
    }

    func unregister(_ context: StepContext) throws {
        guard state(context).registered else { return }
        try? context.store.removeEnvironment(named: p.target)
    }
}

