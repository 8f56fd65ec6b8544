import Foundation

/// Why a backup was taken (the seeds' types).
public enum BackupType: String, Sendable, Codable, CaseIterable {
    case manual, preRestore = "pre_restore", preUpgrade = "pre_upgrade", preReplace = "pre_replace", scheduled, preDestroy = "pre_destroy"
}

/// How a backup is laid out in storage.
public enum BackupFormat: String, Sendable, Codable, CaseIterable {
    /// One ZIP that Odoo's database manager, `odoo-bin db load` and Odoo.sh import.
    case odooZip = "odoo-zip"
    /// A ZIP whose `dump/` is a `pg_dump` directory-format dump (one compressed file per table),
    /// beside `filestore/` and the manifests: unzipped, `pg_restore -j N dump/` loads it in
    /// parallel, and the dump itself is taken in parallel while the filestore streams. Odoo's own
    /// restore does not read it; `backup export` gives it to any PostgreSQL tool.
    case folder
    /// Content-addressed: every table of the dump and every filestore file is stored once per
    /// storage as an object named by its content, and a backup is the list of the objects it
    /// needs. A backup uploads only what the storage lacks (unchanged tables and attachments
    /// cost nothing), an interrupted one leaves its objects for the next. Restored, verified and
    /// exported (as Odoo's ZIP) like the others.
    case incremental
}

public enum BackupStatus: String, Sendable, Codable, CaseIterable {
    case running, completed, partial, failed, expired, deleted

    /// A backup one can restore from.
    public var isRestorable: Bool { self == .completed || self == .partial }
}

/// One backup as the state store records it.
public struct BackupRecord: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var environment: String
    public var project: String
    public var storage: String
    public var key: String
    public var format: BackupFormat
    public var type: BackupType
    public var status: BackupStatus
    public var includeFilestore: Bool
    public var createdAt: Date
    public var completedAt: Date?
    public var size: Int64?
    public var sha256: String?
    public var tier: RetentionTier
    public var expiresAt: Date?
    public var pinned: Bool
    public var verifiedAt: Date?
    public var jobID: Int64?
    public var databaseName: String
    public var odooVersion: String?
    public var neutralized: Bool?
    /// The last `verify --restore-test` evidence (JSON), if any.
    public var restoreTest: String?
    /// Bytes this backup actually added to its storage (an incremental backup's new objects and
    /// its lists); nil where it is the whole `size`.
    public var addedBytes: Int64?
    /// A sanitized backup's verdict (NEUTRALIZED or PARTIAL); nil for a backup of the data as it is.
    public var sanitized: String?

    /// When the last restore test of this backup started (the evidence's `at`).
    public var restoreTestStartedAt: Date? {
        restoreTestEvidence.flatMap { ISO8601DateFormatter().date(from: $0.at) }
    }

    /// The last restore test's evidence, decoded.
    public var restoreTestEvidence: RestoreTestEvidence? {
        restoreTest.flatMap { try? JSONDecoder().decode(RestoreTestEvidence.self, from: Data($0.utf8)) }
    }
    public var error: String?

    public init(id: String, environment: String, project: String, storage: String, key: String, format: BackupFormat = .odooZip,
                type: BackupType, status: BackupStatus, includeFilestore: Bool, createdAt: Date, completedAt: Date? = nil, size: Int64? = nil,
                sha256: String? = nil, tier: RetentionTier, expiresAt: Date?, pinned: Bool = false, verifiedAt: Date? = nil, jobID: Int64? = nil,
                databaseName: String, odooVersion: String? = nil, neutralized: Bool? = nil, restoreTest: String? = nil, error: String? = nil) {
        self.id = id
        self.environment = environment
        self.project = project
        self.storage = storage
        self.key = key
        self.format = format
        self.type = type
        self.status = status
        self.includeFilestore = includeFilestore
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.size = size
        self.sha256 = sha256
        self.tier = tier
        self.expiresAt = expiresAt
        self.pinned = pinned
        self.verifiedAt = verifiedAt
        self.jobID = jobID
        self.databaseName = databaseName
        self.odooVersion = odooVersion
        self.neutralized = neutralized
        self.restoreTest = restoreTest
        self.error = error
    }

    public var isVerified: Bool { verifiedAt != nil }
    /// Pinned backups are permanent whatever tier they were created with.
    public var isPermanent: Bool { pinned || tier == .permanent }

    /// Storage keys: the archive, and the manifest written after it (a backup exists only once
    /// its manifest does).
    public static func archiveKey(project: String, environment: String, id: String, prefix: String = "") -> String {
        (prefix.isEmpty ? "" : prefix + "/") + "backups/\(project)/\(environment)/\(id).zip"
    }

    /// An incremental backup's key: its file list (``BackupSnapshot``).
    public static func snapshotKey(project: String, environment: String, id: String, prefix: String = "") -> String {
        (prefix.isEmpty ? "" : prefix + "/") + "backups/\(project)/\(environment)/\(id).files"
    }

    public static func manifestKey(forArchive key: String) -> String {
        (key.hasSuffix(".files") ? String(key.dropLast(".files".count)) : String(key.dropLast(".zip".count))) + ".manifest.json"
    }

    /// A sortable, readable id: `YYYYMMDD-HHMMSS-xxxx` (UTC), unique enough per environment.
    public static func newID(at date: Date, random: String = String(UUID().uuidString.lowercased().prefix(6))) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date) + "-" + random
    }
}

/// What a restore test recorded on a backup: when, where, how long, whether it passed, the
/// restore job and what its verification checked.
public struct RestoreTestEvidence: Codable, Sendable, Equatable {
    public var at: String
    public var server: String
    public var seconds: Int
    public var ok: Bool
    public var job: Int64
    public var checks: [String: String]

    public init(at: String, server: String, seconds: Int, ok: Bool, job: Int64, checks: [String: String]) {
        self.at = at
        self.server = server
        self.seconds = seconds
        self.ok = ok
        self.job = job
        self.checks = checks
    }
}
