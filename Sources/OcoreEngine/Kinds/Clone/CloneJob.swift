import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// Copies an environment into a new one (or over an existing one) with sanitization, in ten
/// steps whose percentages are the product's visible progress. Production stays online: the database is streamed
/// `pg_dump | pg_restore` (data first, then indexes and constraints), the filestore is
/// hard-linked on the same server or streamed as tar across servers, and the source is only ever
/// read. Every step that creates something on the target records it in the job state, and its
/// compensation removes exactly that.
public struct CloneJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var source: String
        public var target: String
        public var targetType: EnvironmentType
        public var targetServer: String
        public var targetURL: String?
        public var preset: SanitizationCatalog.Preset
        public var options: [String]
        /// Odoo hash of the reset password (the password itself is never stored).
        public var passwordHash: String?
        public var includeFilestore: Bool
        /// Replace mode: the existing target's database and filestore (nil for a new environment).
        public var replaceDatabase: String?
        public var replaceFilestore: String?
        public var safetyBackupID: String?
        public var safetyStorage: String?
        /// A disaster-recovery replica keeps database.uuid/secret (only with preset none).
        public var keepIdentity: Bool?
        /// `CREATE DATABASE … TEMPLATE source` (same server; disconnects the source's sessions).
        public var fastCopy: Bool?
        /// Apply the personal-data options in the copy (default) rather than with UPDATEs after it.
        public var sanitizeInCopy: Bool?
        /// Parallel jobs for dump, restore and index builds, and sanitizing streams (nil: one per core, at most 4).
        public var jobs: Int?
        /// Compress what crosses the network between servers (`pg_dump -Z1`, gzip'd filestore tar).
        public var compress: Bool?
        /// The URL was derived from the source's, not given: nothing answers there yet.
        public var urlDerived: Bool?
        /// Who the target's filestore files belong to (the replaced environment's, or the new one's).
        public var filestoreOwner: String?
        /// A new environment's own Odoo service commands, registered with it.
        public var serviceStop: [String]?
        public var serviceStart: [String]?
        /// Replace mode: logins whose passwords on the replaced target survive the copy.
        public var keepUsers: [String]?
        /// Refuse the clone while a personal or secret-like column would be copied as it is.
        public var strict: Bool?
        /// The operator's classification of columns (`sanitization.toml`, or `--rules`), as read
        /// when the clone was asked for: checked on the source before anything is created.
        public var rules: SanitizationRules?
        /// A clone from a golden copy: its database is the template, its filestore the one copied,
        /// and what its sanitization did is the clone's (only what each copy needs of its own runs).
        public var fromGolden: GoldenCopy?
        /// A golden refresh: the copy is built under `target`, then takes the golden copy's place.
        public var goldenBuild: GoldenRefreshJob.Destination?
        /// A golden refresh on another server: what is copied is the golden copy there (read
        /// through a copy of it), sanitized once already, not the source.
        public var replicaOf: GoldenCopy?

        public init(source: String, target: String, targetType: EnvironmentType, targetServer: String, targetURL: String?, preset: SanitizationCatalog.Preset,
                    options: [String], passwordHash: String?, includeFilestore: Bool) {
            self.source = source
            self.target = target
            self.targetType = targetType
            self.targetServer = targetServer
            self.targetURL = targetURL
            self.preset = preset
            self.options = options
            self.passwordHash = passwordHash
            self.includeFilestore = includeFilestore
        }

        /// The target database name: the environment name made into an Odoo database name.
        public var targetDatabase: String { replaceDatabase ?? target.replacingOccurrences(of: ".", with: "_") }
        public var isReplace: Bool { replaceDatabase != nil }
        /// pg_dump's compression for a stream to another server.
        var wireCompression: String { compress == true ? "-Z1" : "-Z0" }
    }

    /// What a clone records as its result.
    public typealias Outcome = JobOutcome

    public init() {}

    public var name: String { "clone" }

    /// The cumulative percentage reached at the end of each of the ten steps.
    public static let markers: [Double] = [2, 5, 10, 25, 40, 55, 70, 85, 95, 100]

    /// The clone, step by step. Stored step names are the product's status values; the titles
    /// say what each step does. Each step that creates something on the target records it in
    /// ``CloneState``, and its undo removes exactly that (the source is only ever read).
    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.target, kind: "environment")
        try Names.validateDatabaseName(p.targetDatabase)
        let run = CloneRun(p)
        let steps = Self.copySteps(run) + [
            StepDefinition(name: "verifying", title: "Verifying and registering", run: run.verifyAndRegister, compensate: run.unregister),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }

    /// The steps that make the copy, up to its sanitization: a clone then verifies and registers
    /// it, a golden refresh seals it as the golden copy.
    static func copySteps(_ run: CloneRun) -> [StepDefinition] {
        [
            StepDefinition(name: "pre_checks", title: "Checking source, target and disk space", run: run.checkSourceTargetAndDisk),
            StepDefinition(name: "validating", title: "Checking the source is Odoo", run: run.checkSourceIsOdoo),
            // Replace mode takes the target's safety backup here; a fast copy or a golden copy's is made here by PostgreSQL.
            StepDefinition(name: "creating_target", title: "Creating the target database", run: run.createTargetDatabase, compensate: run.undoTarget),
            StepDefinition(name: "copying_addons", title: "Copying addons", run: run.copyAddons),
            // The filestore copy runs beside the database copy (disk against PostgreSQL's CPU).
            StepDefinition(name: "backing_up_database", title: "Copying database and filestore", run: run.copyDatabaseAndStartFilestore,
                           compensate: run.undoTarget),
            StepDefinition(name: "backing_up_filestore", title: "Finishing the filestore copy", run: run.finishFilestoreCopy,
                           compensate: run.undoFilestoreCopy),
            StepDefinition(name: "restoring_database", title: "Loading data, building indexes", run: run.finishDatabaseCopy,
                           compensate: run.undoTarget),
            StepDefinition(name: "restoring_filestore", title: "Checking the filestore and its owner", run: run.checkFilestore),
            StepDefinition(name: "sanitizing", title: "Sanitizing", run: run.sanitize),
        ]
    }
}
