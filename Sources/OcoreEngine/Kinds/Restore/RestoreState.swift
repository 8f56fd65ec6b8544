import Foundation
import OcoreModel
import OcoreOdoo

/// What a restore has done so far, kept in the job's state: where the archive is, what the dump
/// needs, and everything created or changed on the target (database, filestore, load role,
/// registration), so the undo after a failure or a crash puts exactly that right.
public struct RestoreState: JobState {
    /// The step running (the restore point records where a failed restore stopped).
    public var step: String?
    /// The backup's manifest without its member list (``BackupManifest/withoutMembers``).
    public var manifest: BackupManifest?
    /// A backup on this host's disk, read where it is; or the downloaded copy (removed at the end).
    public var archiveInPlace: String?
    public var archiveFile: String?
    public var safetyBackupID: String?
    /// Extensions the dump creates (made by an administrator before the load).
    public var dumpExtensions: [String] = []
    /// Who owns the database once it is loaded, and the temporary role that loads it.
    public var finalOwner: String?
    public var loadRole: String?
    /// In place: the target's database was dropped (only after its verified safety backup).
    public var targetDropped = false
    public var createdDatabase: String?
    /// A dump unpacked on the target's server for `pg_restore`.
    public var restoreStaging: String?
    /// The target's own filestore, set aside until the restored one is in place.
    public var movedFilestore: String?
    public var createdFilestore: String?
    /// Results of the options applied while the dump loaded (its rows rewritten on the way).
    public var copyResults: [Sanitizer.Result] = []
    /// The tables whose every row was searched for customer addresses as it loaded, and what was found.
    public var addressesCheckedInStream: StreamedAddressCheck?
    public var outcome: JobOutcome?
    public var registered = false
    /// A copy's own base URL, as set in its database.
    public var baseURL: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case step, manifest, archiveInPlace = "archive_in_place", archiveFile = "archive_file", safetyBackupID = "safety_backup_id"
        case dumpExtensions = "dump_extensions", finalOwner = "final_owner", loadRole = "load_role", targetDropped = "target_dropped"
        case createdDatabase = "created_database", restoreStaging = "restore_staging", movedFilestore = "moved_filestore"
        case createdFilestore = "created_filestore", outcome, registered, baseURL = "base_url"
        case copyResults = "copy_results", addressesCheckedInStream = "addresses_checked_in_stream"
    }

    public static let valueKinds: [String: StateValueKind] = [
        "manifest": .document, "dump_extensions": .names, "target_dropped": .flag, "outcome": .document, "registered": .flag,
        "copy_results": .documents, "addresses_checked_in_stream": .document,
    ]
}
