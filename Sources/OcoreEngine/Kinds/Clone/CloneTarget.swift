import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// Creates the target database: empty (the copy fills it), or as a copy of the source made by
    /// PostgreSQL (`--fast-copy`, whose filestore copy starts beside it). Replace mode first
    /// takes the target's verified safety backup, then drops it.
    func createTargetDatabase(_ context: StepContext) throws {
        let sides = try sides(context)
        if p.isReplace { try clearReplacedTarget(context, sides: sides) }
        // PostgreSQL copies files while the filestore is linked beside it.
        if p.fastCopy == true || p.fromGolden != nil { try startFilestoreCopy(context) }
        try record(context) { $0.createdDatabase = p.targetDatabase }
        let admin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        if let golden = p.fromGolden {
            // A template nobody connects to: PostgreSQL copies its files as they are.
            try admin.execute("CREATE DATABASE \(SQL.identifier(p.targetDatabase)) TEMPLATE \(SQL.identifier(golden.database)) STRATEGY FILE_COPY;")
            return context.log(.info, "copied the golden copy \(golden.database) into \(p.targetDatabase) with CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY")
        }
        if p.fastCopy == true {
            guard sides.sameServer else { throw StepFailure.check("fast copy", "--fast-copy works on one server only") }
            // PostgreSQL copies a database file by file, but only while nobody is connected to it.
            let source = SQL.literal(sides.source.environment.dbName)
            let ended = try admin.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = \(source) AND pid <> pg_backend_pid()") ?? "0"
            context.log(.warning, "fast copy: disconnected \(ended) session(s) of \(sides.source.environment.dbName)")
            try admin.execute("CREATE DATABASE \(SQL.identifier(p.targetDatabase)) TEMPLATE \(SQL.identifier(sides.source.environment.dbName));")
            context.log(.info, "copied \(sides.source.environment.dbName) into \(p.targetDatabase) with CREATE DATABASE … TEMPLATE")
            return
        }
        try admin.execute("CREATE DATABASE \(SQL.identifier(p.targetDatabase)) ENCODING 'UTF8' TEMPLATE template0;")
        context.log(.info, "created database \(p.targetDatabase) on \(sides.targetServer.name)")
    }

    /// Replace mode: a verified safety backup of the target first, then its database dropped and
    /// its filestore set aside (removed once the clone is verified, put back if it fails).
    func clearReplacedTarget(_ context: StepContext, sides: Sides) throws {
        guard let safetyID = p.safetyBackupID else { throw StepFailure.check("safety backup", "replace needs a safety backup id") }
        if state(context).safetyBackupID == nil {
            guard let storage = try p.safetyStorage ?? SafetyBackup.defaultStorage(context.store) else {
                throw StepFailure.check("safety backup", "no default storage for the safety backup of \(p.target) (add one, or give --safety-storage)")
            }
            try SafetyBackup.take(BackupJob.Parameters(backupID: safetyID, environment: p.target, storage: storage, type: .preReplace,
                                                       includeFilestore: true, tier: .daily), context)
            try record(context) { $0.safetyBackupID = safetyID }
        }
        let admin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        try FilestoreGuard.check(targetFilestore(sides), on: sides.targetExecutor, environment: p.target)
        if let logins = p.keepUsers, !logins.isEmpty {
            var old = sides.target
            old.database = p.targetDatabase
            let rows = try PSQL(executor: sides.targetExecutor, connection: old)
                .query("SELECT login, password FROM res_users WHERE password IS NOT NULL AND login IN (\(logins.map(SQL.literal).joined(separator: ", ")))")
            keptPasswords = rows.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            context.log(.info, "passwords of \(keptPasswords.map(\.login).joined(separator: ", ")) kept from \(p.target)")
        }
        // Nothing may write to the database while it is replaced: its Odoo service stops first.
        try ServiceControl.stop(try context.store.resolvedEnvironment(named: p.target), context)
        try record(context) { $0.targetDropped = true }
        try admin.execute("DROP DATABASE IF EXISTS \(SQL.identifier(p.targetDatabase)) WITH (FORCE);")
        try FilestoreSetAside.move(targetFilestore(sides), suffix: ".ocore-replaced-\(context.jobID)", on: RemoteFileSystem(sides.targetExecutor)) { aside in
            try record(context) { $0.replacedFilestore = aside }
        }
        context.log(.warning, "dropped \(p.targetDatabase) and set its filestore aside (safety backup \(safetyID))")
    }

    // MARK: Undo (the target only)

    /// Undoes everything this clone created on the target, whichever step it reached: the work
    /// running beside the steps is stopped first, then the filestore (the replaced one put back),
    /// the dump directory and the database are removed.
    func undoTarget(_ context: StepContext) throws {
        sanitizedCopy.stopAndWait()
        try undoFilestoreCopy(context)
        try removeDump(context)
        try dropTarget(context)
        // A replaced target's Odoo service is started again whatever happened.
        if p.isReplace, let target = try? context.store.resolvedEnvironment(named: p.target) {
            do { try ServiceControl.startIfStopped(target, context) } catch { context.log(.error, "the Odoo service of \(p.target) did not start again: \(error)") }
        }
    }

    /// Drops what the clone created; a replaced target whose database was dropped is then put back
    /// from its verified safety backup (its filestore was put back before), or, if that fails,
    /// said to be broken with the command that puts it back.
    func dropTarget(_ context: StepContext) throws {
        let done = state(context)
        if let db = done.createdDatabase {
            let sides = try sides(context)
            try PSQL(executor: sides.targetExecutor, connection: sides.target).execute("DROP DATABASE IF EXISTS \(SQL.identifier(db)) WITH (FORCE);")
            try record(context) { $0.createdDatabase = nil }
            context.log(.info, "dropped target database \(db)")
        }
        guard p.isReplace, done.targetDropped, let safety = done.safetyBackupID else { return }
        do {
            try RestoreRun.putBack(p.target, from: safety, context)
            try record(context) { $0.targetDropped = false }
            context.log(.warning, "\(p.target) was put back as it was before the replace, from its verified safety backup \(safety)")
        } catch {
            context.log(.error, "\(p.target) was replaced and the clone failed: it is BROKEN (putting it back failed: \(error)); its verified safety backup is \(safety): `ocore restore \(safety) --to \(p.target) --no-safety-backup --confirm \(p.target)`")
        }
    }

    func unregister(_ context: StepContext) throws {
        guard state(context).registered else { return }
        try? context.store.removeEnvironment(named: p.target)
    }
}
