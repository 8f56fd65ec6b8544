import OcoreModel

/// What a backup has done so far, kept in the job's state (of the backup job, or of the clone or
/// restore whose safety backup it is): the row it began, where its dump is staged, and whether
/// the archive reached storage, so a failed backup removes exactly what it wrote.
public struct BackupState: JobState {
    public var backupID: String?
    public var archiveKey: String?
    /// A directory-format dump staged on the environment's server.
    public var dumpStaging: String?
    public var stored = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case backupID = "backup_id", archiveKey = "archive_key", dumpStaging = "dump_staging", stored
    }

    public static let valueKinds: [String: StateValueKind] = ["stored": .flag]
}
