import Foundation
import OcoreModel
import OcoreOdoo

/// What a clone has done so far, kept in the job's state: sizes for progress and estimates, and
/// everything created on the target (database, filestore, dump directory, registration), so an
/// undo after a crash removes exactly that.
public struct CloneState: JobState {
    public var databaseSize: Int64?
    public var filestoreSize: Int64?
    /// The parallel dump's directory on the source's server (same-server copies).
    public var dumpDir: String?
    public var createdDatabase: String?
    public var createdFilestore: String?
    /// Replace mode: the target's own filestore, set aside until the clone is verified.
    public var replacedFilestore: String?
    public var safetyBackupID: String?
    /// Replace mode: the target's database was dropped (only after its verified safety backup).
    public var targetDropped = false
    /// Results of the options applied while copying (the sanitizing streams).
    public var copyResults: [Sanitizer.Result] = []
    /// The sanitization's outcome, completed by the verification.
    public var outcome: JobOutcome?
    public var registered = false
    /// The copy's base URL, as set in its database and registered with it.
    public var baseURL: String?
    /// The tables whose every row was searched for customer addresses as it streamed, and what was found.
    public var addressesCheckedInStream: StreamedAddressCheck?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case databaseSize = "database_size", filestoreSize = "filestore_size", dumpDir = "dump_dir", createdDatabase = "created_database"
        case createdFilestore = "created_filestore", replacedFilestore = "replaced_filestore", safetyBackupID = "safety_backup_id"
        case targetDropped = "target_dropped", copyResults = "copy_results", outcome, registered, baseURL = "base_url"
        case addressesCheckedInStream = "addresses_checked_in_stream"
    }

    public static let valueKinds: [String: StateValueKind] = [
        "database_size": .number, "filestore_size": .number, "target_dropped": .flag, "registered": .flag, "copy_results": .documents, "outcome": .document,
        "addresses_checked_in_stream": .document,
    ]
}
