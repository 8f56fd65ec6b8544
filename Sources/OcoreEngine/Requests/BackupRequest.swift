import Foundation
import OcoreModel
import OcoreOdoo
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
    /// Set for a sanitized backup: an archive to hand out, whose data is sanitized as it is written.
    public var sanitized: Sanitized?

    /// How a sanitized backup sanitizes (the clone's presets, rules and strictness).
    public struct Sanitized: Sendable, Equatable {
        public var preset: SanitizationCatalog.Preset = .recommended
        public var enable: [String] = []
        public var disable: [String] = []
        public var strict = false
        /// A rules file instead of the project's and the environment's `sanitization.toml`.
        public var rulesFile: String?
        /// The filestore's attachments are production documents no sanitization can read: only when asked.
        public var withFilestore = false

        public init() {}
    }

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
        var parameters = BackupJob.Parameters(backupID: id, environment: environment, storage: target.name, type: type,
                                              includeFilestore: includeFilestore, tier: tier, format: format == .odooZip ? nil : format)
        if let sanitized {
            parameters.sanitization = try sanitized.resolved(for: env, format: format, home: home)
            parameters.includeFilestore = sanitized.withFilestore
        }
        // A backup only reads: it shares its environment with other readers (a clone from it).
        let job = try JobQueue(store: store, home: home).submit(BackupJob(), parameters: parameters, environment: environment,
                                                                 server: env.server.name, locks: [JobLock.shared(environment).encoded])
        return (id, job)
    }
}

extension BackupRequest.Sanitized {
    /// Users' password hashes, TOTP keys and OAuth tokens: never in a backup to hand out.
    static let credentials = ["reset_passwords", "disable_2fa", "clear_oauth_tokens"]

    /// The job's sanitization: options of the preset, the rules files, the environment's strictness.
    func resolved(for env: ResolvedEnvironment, format: BackupFormat, home: StateHome?) throws -> BackupSanitization {
        guard format == .odooZip else {
            throw RequestRefusal("a sanitized backup is an Odoo ZIP (its dump.sql is written by the sanitizing streams): leave --format out")
        }
        guard preset != .none else { throw RequestRefusal("a sanitized backup needs a preset other than none (recommended, full or minimal)") }
        // A backup leaves for someone else: no credential of production goes with it, whatever the preset.
        let preset = try SanitizationCatalog.resolve(preset: preset, enable: enable, disable: disable)
        let options = preset + Self.credentials.filter { !preset.contains($0) }
        let rules = try SanitizationRulesFile.load(home: home, project: env.environment.project, environments: [env.environment.name], override: rulesFile)
        return BackupSanitization(preset: self.preset, options: options, strict: strict || env.environment.strictSanitization,
                                  rules: rules.isEmpty ? nil : rules,
                                  passwordHash: options.contains("reset_passwords") ? try OdooPassword.hash("staging123") : nil)
    }
}
