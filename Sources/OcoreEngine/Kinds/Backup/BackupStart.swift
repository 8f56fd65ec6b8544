import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// What every backup does first, whatever its format: the environment resolved, its database
/// read (reachable? which Odoo?), the retention tier chosen by date, and the `running` row
/// recorded (in the job's state first, so a crash right after still finds it). And what every
/// backup's manifest says.
struct BackupStart {
    let env: ResolvedEnvironment
    let executor: any Executor
    let snapshot: OdooSnapshot
    var record: BackupRecord
    /// Earlier backups of the environment (for an incremental backup's previous file list).
    let earlier: [BackupRecord]

    /// `key`: where the backup will lie in its storage, from project, environment and id.
    static func begin(_ p: BackupJob.Parameters, format: BackupFormat, storage: String, key: (String, String, String) -> String,
                      _ context: StepContext) throws -> BackupStart {
        let env = try context.store.resolvedEnvironment(named: p.environment)
        let executor = Executors.forServer(env.server)
        let snapshot: OdooSnapshot
        do { snapshot = try OdooSnapshot.read(PSQL(executor: executor, connection: PostgresConnection(env))) } catch {
            throw StepFailure.check("database reachable", "\(env.environment.dbName) on \(env.server.name): \(error)")
        }
        let now = Date()
        let earlier = try context.store.backups(environment: p.environment)
        let retention = Retention(policy: try context.store.backupPolicy(environment: p.environment)?.retention ?? RetentionPolicy())
        let tier = p.tier ?? (p.sanitization != nil ? Retention.handOutTier : retention.tier(for: now, earlier: earlier))
        var record = BackupRecord(id: p.backupID, environment: p.environment, project: env.environment.project, storage: p.storage,
                                  key: key(env.environment.project, p.environment, p.backupID),
                                  format: format, type: p.type, status: .running, includeFilestore: p.includeFilestore, createdAt: now, tier: tier,
                                  expiresAt: retention.expiry(of: tier, createdAt: now), jobID: context.jobID, databaseName: env.environment.dbName,
                                  odooVersion: snapshot.version, neutralized: snapshot.neutralized)
        // Known as a sanitized backup from its first row (retention never takes it for a restore point); the verdict follows.
        if p.sanitization != nil { record.sanitized = SanitizationAttestation.pending }
        try context.record(BackupState.self) { $0.backupID = p.backupID }
        try context.store.insertBackup(record)
        try context.record(BackupState.self) { $0.archiveKey = record.key }
        context.log(.info, "backup \(p.backupID) of \(p.environment) [\(format.rawValue)] (\(formatBytes(snapshot.databaseSize)) database, Odoo \(snapshot.version ?? "?"), PostgreSQL \(snapshot.pgVersion)) to \(storage): tier \(tier.rawValue)\(record.expiresAt.map { ", expires \(BackupSession.day($0))" } ?? ", never expires")")
        return BackupStart(env: env, executor: executor, snapshot: snapshot, record: record, earlier: earlier)
    }

    /// `pg_dump --format=directory` into `directory/dump` on the environment's server, one job per
    /// core (2 to 4), gzip level 1 (no timestamp in the header: an unchanged table dumps to the same
    /// bytes), no owner (restorable as any role). Returns the command and how many jobs it runs.
    func stagedDumpCommand(into directory: String) -> (command: Command, jobs: Int) {
        let connection = PostgresConnection(env)
        let jobs = max(2, min(4, (try? RemoteFileSystem(executor).cpuCount()) ?? 2))
        return (Command(["pg_dump", "--no-owner", "--format=directory", "--jobs=\(jobs)", "--compress=1", "--file=\(directory)/dump"]
                        + connection.clientArguments + ["-d", connection.database], environment: connection.clientEnvironment), jobs)
    }

    /// A `pg_dump` directory staged on the environment's server, read back as one tar stream
    /// into `sink` (in name order, so the same dump reads the same way).
    func readStagedDump(_ directory: String, into sink: ByteSink, complete: () -> Bool, _ context: StepContext) throws {
        let err = CollectingSink(limit: 64 << 10)
        let tar = Command(["tar", "-c", "-f", "-", "--sort=name", "-C", directory, "."])
        let termination = try executor.execute(tar, stdin: nil, stdout: sink, stderr: err, cancellation: context.cancellation)
        try context.checkCancelled()
        let packed = CommandResult(termination: termination, stderr: err.data)
        guard packed.succeeded, complete() else { throw StepFailure.command("tar", packed.summary) }
    }

    /// The manifest (Odoo's `manifest.json` fields, and ocore's) of this backup.
    func manifest(_ p: BackupJob.Parameters, members: [String: BackupManifest.Member], filestore: BackupManifest.Filestore?,
                  archive: BackupManifest.Member?, keyID: String?) -> BackupManifest {
        let iso = ISO8601DateFormatter()
        return BackupManifest(
            dbName: env.environment.dbName, version: snapshot.version, pgVersion: snapshot.pgVersion, modules: snapshot.modules,
            ocore: BackupManifest.Details(
                backupID: p.backupID, project: env.environment.project, environment: p.environment, environmentType: env.environment.type.rawValue,
                type: p.type, format: record.format, createdAt: iso.string(from: record.createdAt), retentionTier: record.tier,
                expiresAt: record.expiresAt.map(iso.string(from:)), neutralized: snapshot.neutralized, includeFilestore: p.includeFilestore,
                members: members, filestore: filestore, archive: archive, encryptionKeyID: keyID))
    }
}
