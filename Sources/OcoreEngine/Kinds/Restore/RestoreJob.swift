import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Restores a backup (or imports an Odoo-format archive) into an environment: a verified safety
/// backup of the target first, the archive checked against its checksum, then the database
/// dropped and loaded (`dump.sql` streamed out of the ZIP into `psql` on the target's server),
/// the filestore streamed as tar into place, sanitization when production data lands outside
/// production, and the same verification as a clone. Nothing on the target is touched before
/// the safety backup is complete and verified.
public struct RestoreJob: JobKind {
    public struct NewEnvironment: Codable, Sendable {
        public var project: String
        public var type: EnvironmentType
        public var server: String
        public var url: String?
        public var addons: [String]
        public var pgPasswordEnv: String?
    }

    public struct Parameters: Codable, Sendable {
        public var backupID: String?
        /// An archive on this host that ocore did not make (`restore import`).
        public var archivePath: String?
        public var target: String
        public var newEnvironment: NewEnvironment?
        public var mode: RestoreMode
        public var includeFilestore: Bool
        public var safetyBackup: Bool
        public var safetyBackupID: String
        public var safetyStorage: String?
        public var asMoved: Bool
        public var preset: SanitizationCatalog.Preset
        public var options: [String]
        public var passwordHash: String?
        /// The storage of the second copy to read the backup from (nil: where it was made).
        public var fromStorage: String?

        public init(backupID: String?, archivePath: String?, target: String, newEnvironment: NewEnvironment?, mode: RestoreMode,
                    includeFilestore: Bool, safetyBackup: Bool, safetyStorage: String?, asMoved: Bool, preset: SanitizationCatalog.Preset, options: [String],
                    passwordHash: String?) {
            self.backupID = backupID
            self.archivePath = archivePath
            self.target = target
            self.newEnvironment = newEnvironment
            self.mode = mode
            self.includeFilestore = includeFilestore
            self.safetyBackup = safetyBackup
            self.safetyBackupID = BackupRecord.newID(at: Date())
            self.safetyStorage = safetyStorage
            self.asMoved = asMoved
            self.preset = preset
            self.options = options
            self.passwordHash = passwordHash
        }

        public var targetDatabase: String { target.replacingOccurrences(of: ".", with: "_") }
    }

    public init() {}

    public var name: String { "restore" }

    public static let markers: [Double] = [5, 25, 35, 40, 75, 88, 95, 100]

    /// The restore, step by step. Nothing on the target is touched before the safety backup is
    /// complete and verified and the archive has been checked; each change is recorded in
    /// ``RestoreState`` first, and a failed in-place restore puts the target back from that backup.
    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.target, kind: "environment")
        let run = RestoreRun(p)
        let steps: [StepDefinition] = [
            StepDefinition(name: "pre_checks", title: "Checking the backup and the target", run: run.checkBackupAndTarget, compensate: run.recordFailure),
            StepDefinition(name: "safety_backup", title: "Safety backup of the target", run: run.takeSafetyBackup, compensate: run.discardSafetyBackup),
            StepDefinition(name: "download", title: "Fetching and checking the archive", run: run.fetchAndCheckArchive, compensate: run.removeDownload),
            StepDefinition(name: "prepare_database", title: "Preparing the target database", run: run.prepareDatabase, compensate: run.dropCreated),
            // The filestore starts extracting during the load, so a failed load undoes it too.
            StepDefinition(name: "load_database", title: "Loading the database (filestore alongside)", run: run.loadDatabase, compensate: run.undoFilestore),
            StepDefinition(name: "restore_filestore", title: "Finishing the filestore", run: run.finishFilestore, compensate: run.undoFilestore),
            StepDefinition(name: "sanitize", title: "Sanitizing", run: run.sanitize),
            StepDefinition(name: "verify", title: "Verifying", run: run.verify, compensate: run.unregister),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }
}
