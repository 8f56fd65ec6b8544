import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// Destroys an environment that is no longer needed: a verified backup first (unless the
/// operator said `--no-backup`), its Odoo service stopped, its database dropped, its filestore
/// removed, its record gone. Until the drop, a failure puts the service back as it was; after
/// it, the backup is what is left, and the log says so.
public struct DestroyJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var environment: String
        /// nil: no backup first (`--no-backup`).
        public var backupID: String?
        public var storage: String?
    }

    public init() {}

    public var name: String { "destroy" }

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.environment, kind: "environment")
        return JobPlan(steps: [
            StepDefinition(name: "backing_up", title: "Backing up before destroying", weight: 6, run: { try Self.backUp(p, $0) }),
            StepDefinition(name: "stopping_service", title: "Stopping its Odoo service", run: { try Self.stopService(p, $0) },
                           compensate: { try Self.startServiceAgain(p, $0) }),
            StepDefinition(name: "dropping_database", title: "Dropping the database", run: { try Self.dropDatabase(p, $0) }),
            StepDefinition(name: "removing_filestore", title: "Removing the filestore", run: { try Self.removeFilestore(p, $0) }),
            StepDefinition(name: "unregistering", title: "Removing the record", run: { try Self.unregister(p, $0) }),
        ])
    }

    static func backUp(_ p: Parameters, _ context: StepContext) throws {
        guard let id = p.backupID else { return context.log(.warning, "no backup first (--no-backup): \(p.environment) cannot be brought back") }
        guard let storage = try p.storage ?? SafetyBackup.defaultStorage(context.store) else {
            throw StepFailure.check("backup", "no default storage for the backup of \(p.environment) (add one, give --storage, or --no-backup): nothing was touched")
        }
        try SafetyBackup.take(BackupJob.Parameters(backupID: id, environment: p.environment, storage: storage, type: .preDestroy, includeFilestore: true,
                                                   tier: .monthly), context)
    }

    static func stopService(_ p: Parameters, _ context: StepContext) throws {
        try ServiceControl.stop(try context.store.resolvedEnvironment(named: p.environment), context)
    }

    static func startServiceAgain(_ p: Parameters, _ context: StepContext) throws {
        if let env = try? context.store.resolvedEnvironment(named: p.environment), context.state(DestroyState.self).databaseDropped == false {
            try ServiceControl.startIfStopped(env, context)
        }
    }

    static func dropDatabase(_ p: Parameters, _ context: StepContext) throws {
        let env = try context.store.resolvedEnvironment(named: p.environment)
        let admin = PSQL(executor: Executors.forServer(env.server), connection: PostgresConnection(env).database("postgres"))
        try admin.execute("DROP DATABASE IF EXISTS \(SQL.identifier(env.environment.dbName)) WITH (FORCE);")
        try context.record(DestroyState.self) { $0.databaseDropped = true }
        context.log(.warning, "dropped \(env.environment.dbName) on \(env.server.name)\(p.backupID.map { " (its backup: \($0))" } ?? "")")
    }

    static func removeFilestore(_ p: Parameters, _ context: StepContext) throws {
        let env = try context.store.resolvedEnvironment(named: p.environment)
        let executor = Executors.forServer(env.server)
        try FilestoreGuard.check(env.filestore, on: executor, environment: p.environment)
        try RemoteFileSystem(executor).removeTree(env.filestore)
        context.log(.info, "removed \(env.filestore) on \(env.server.name)")
    }

    static func unregister(_ p: Parameters, _ context: StepContext) throws {
        let job = try context.store.job(context.jobID)
        try context.store.removeEnvironment(named: p.environment)
        try context.store.audit(user: job.createdBy, from: job.createdFrom, action: "env.destroy", environment: p.environment,
                                detail: p.backupID.map { "backup \($0) kept" } ?? "no backup")
        context.log(.info, "\(p.environment) destroyed\(p.backupID.map { "; its backup \($0) is kept" } ?? "")")
    }
}

/// Whether the destroy has dropped the database (from then on its service is not started again).
public struct DestroyState: JobState {
    public var databaseDropped = false
    public init() {}
    enum CodingKeys: String, CodingKey { case databaseDropped = "database_dropped" }
    public static let valueKinds: [String: StateValueKind] = ["database_dropped": .flag]
}
