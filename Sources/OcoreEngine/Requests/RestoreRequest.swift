import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// One restore, as the CLI's flags and the dashboard's dialog both describe it, with every rule
/// in one place: the target, the typed confirmation of a protected one, sanitization of
/// production data restored elsewhere (and the risk acknowledgement for none), and the Odoo
/// version gate, which is a question the operator may answer yes to rather than a refusal.
public struct RestoreRequest: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// The environment the backup was made from.
        case backupEnvironment
        case existing(String)
        case new(name: String, type: EnvironmentType, server: String?, url: String?)
    }

    /// A backup ocore made, or an archive from outside on this host (`restore import`).
    public var backupID: String?
    public var archivePath: String?
    public var target: Target
    public var includeFilestore = true
    public var safetyBackup = true
    public var safetyStorage: String?
    /// Read the backup from its second copy on this storage (the first storage is down or gone).
    public var fromStorage: String?
    /// Keep `database.uuid` and `database.secret` (the database moved; a copy gets new ones).
    public var asMoved = false
    /// nil: Recommended when production data lands outside production, else none.
    /// The project of a new environment (default: the backup's environment's, or the only one).
    public var project: String?
    public var preset: SanitizationCatalog.Preset?
    public var riskAccepted = false
    /// The target's name, typed to confirm overwriting it.
    public var confirmation: String?
    /// The operator answered the request's questions (another Odoo version; a sanitized copy into production).
    public var acceptsVersionMismatch = false

    public init(backupID: String?, archivePath: String? = nil, target: Target) {
        self.backupID = backupID
        self.archivePath = archivePath
        self.target = target
    }

    /// Why a request does not start, and whether the operator may say yes to it.
    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        /// What the operator may accept (e.g. another Odoo version): each face asks in its own
        /// way, the CLI with `--yes`, the dialog with a question.
        case needsConfirmation(String)

        public var description: String {
            switch self { case .invalid(let why), .needsConfirmation(let why): why }
        }
    }

    /// What validation hands over: the job's parameters and where it runs.
    public struct Prepared: Sendable {
        public var parameters: RestoreJob.Parameters
        public var target: String
        public var server: String
        public var mode: RestoreMode
        public var preset: SanitizationCatalog.Preset
        public var newEnvironment: Bool
        /// The backup's verdict when it was sanitized as it was written (it is not sanitized again).
        public var sanitizedBackup: String? = nil

        public func submit(store: SQLiteStateStore, home: StateHome) throws -> Int64 {
            try JobQueue(store: store, home: home).submit(RestoreJob(), parameters: parameters, environment: target, server: server, locks: [target])
        }
    }

    /// Checks every rule and builds the job's parameters; throws ``Refusal``.
    public func prepare(store: SQLiteStateStore) throws -> Prepared {
        let backup = try backupID.map { try store.backup($0) }
        if let backup, !backup.status.isRestorable { throw Refusal.invalid("backup \(backup.id) is \(backup.status.rawValue): it cannot be restored") }
        let backupEnvironment = backup?.environment
        // Where an archive came from is unknown: its data is treated as production's.
        let sourceType = backup == nil ? .production : (try? store.environment(named: backupEnvironment!))?.type
        var mode: RestoreMode
        var newEnv: RestoreJob.NewEnvironment?
        let targetName: String
        let targetType: EnvironmentType
        switch target {
        case .new(let name, let type, let serverChoice, let url):
            targetName = name
            try Names.validateInventoryName(name, kind: "environment")
            if (try? store.environment(named: name)) != nil { throw StoreError.duplicate(kind: "environment", name: name) }
            if let url { try URLRules.validateWebURL(url, field: "--url") }
            let origin = try backupEnvironment.map { try store.resolvedEnvironment(named: $0) }
            let servers = try store.servers()
            guard let serverName = serverChoice ?? origin?.server.name ?? (servers.count == 1 ? servers.first?.name : nil) else {
                throw Refusal.invalid("give --server for the new environment")
            }
            _ = try store.server(named: serverName)
            let projects = try store.projects()
            if let project { try Names.validateInventoryName(project, kind: "project") }
            guard let project = project ?? origin?.environment.project ?? (projects.count == 1 ? projects.first?.name : nil) else {
                throw Refusal.invalid("the new environment's project is unknown: give --project NAME (or import into an existing environment with --to)")
            }
            newEnv = RestoreJob.NewEnvironment(project: project, type: type, server: serverName, url: url, addons: origin?.environment.addons ?? [],
                                               pgPasswordEnv: origin?.environment.pgPasswordEnv)
            mode = origin.map { $0.server.name == serverName ? .new : .crossServer } ?? .new
            targetType = type
        case .existing, .backupEnvironment:
            guard let name = { if case .existing(let n) = target { n } else { backupEnvironment } }() else {
                throw Refusal.invalid("give --to ENV or --new NAME --type T")
            }
            targetName = name
            let t = try store.resolvedEnvironment(named: name)
            mode = name == backupEnvironment ? .original : .existing
            if let origin = try? backupEnvironment.map({ try store.resolvedEnvironment(named: $0) }), origin.server.name != t.server.name { mode = .crossServer }
            targetType = t.environment.type
            // Protection follows the data: an alias of a protected database is protected too.
            let protectedBy = try store.protection(of: name)
            if protectedBy != nil && confirmation != name {
                let why = protectedBy == name ? t.environment.type.rawValue : "its database or filestore is \(protectedBy!)'s"
                throw Refusal.invalid("\(name) is protected (\(why)): restoring overwrites it; repeat its name with --confirm \(name)")
            }
            if protectedBy == nil, let confirmation, confirmation != name {
                throw Refusal.invalid("--confirm \(confirmation) does not match the target \(name)")
            }
            // Questions for the operator, asked the same way by both faces: another Odoo major
            // version; a sanitized copy (fake customers, reset passwords) over a production database.
            var questions: [String] = []
            if let version = backup?.odooVersion, !acceptsVersionMismatch,
               let current = try? OdooSnapshot.read(PSQL(executor: Executors.forServer(t.server), connection: PostgresConnection(t))).version,
               current != version {
                questions.append("the backup is Odoo \(version) and \(name) runs Odoo \(current)")
            }
            if backup?.sanitized != nil, t.environment.type == .production, !acceptsVersionMismatch {
                questions.append("the backup is a sanitized copy (fake customers, reset passwords, no secrets): restoring it replaces \(name)'s real data")
            }
            if !questions.isEmpty { throw Refusal.needsConfirmation(questions.joined(separator: "; ")) }
        }
        // A sanitized backup's data was sanitized as it was written (its manifest attests it): not again.
        let productionOutside = sourceType == .production && targetType != .production && backup?.sanitized == nil
        let preset = preset ?? (productionOutside ? .recommended : SanitizationCatalog.Preset.none)
        if productionOutside && preset == .none && !riskAccepted {
            throw Refusal.invalid("production data restored into a \(targetType.rawValue) environment is sanitized: --preset none needs --i-understand-the-risk")
        }
        let keys = try SanitizationCatalog.resolve(preset: preset, enable: [], disable: [])
        let hash = keys.contains("reset_passwords") ? try OdooPassword.hash("staging123") : nil
        var parameters = RestoreJob.Parameters(backupID: backupID, archivePath: archivePath, target: targetName, newEnvironment: newEnv, mode: mode,
                                               includeFilestore: includeFilestore, safetyBackup: safetyBackup, safetyStorage: safetyStorage,
                                               asMoved: asMoved, preset: preset, options: keys, passwordHash: hash)
        if let fromStorage, let backup, fromStorage != backup.storage {
            _ = try BackupCopyJob.source(backup, on: fromStorage, store: store)
            parameters.fromStorage = fromStorage
        }
        let server = try newEnv?.server ?? store.resolvedEnvironment(named: targetName).server.name
        return Prepared(parameters: parameters, target: targetName, server: server, mode: mode, preset: preset, newEnvironment: newEnv != nil,
                        sanitizedBackup: backup?.sanitized)
    }
}
