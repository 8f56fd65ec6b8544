import Foundation

/// `manifest.json` of a backup: Odoo's own fields (what its database manager writes and
/// ignores on restore) plus ocore's, under `ocore`. The copy inside the archive is written
/// after `dump.sql`; the complete one (every member's checksum) ends the archive as
/// `ocore-manifest.json` and is stored beside it, last, as the mark that the backup exists.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var odooDump: String = "1"
    public var dbName: String
    public var version: String?
    public var versionInfo: [String]?
    public var majorVersion: String?
    public var pgVersion: String?
    public var modules: [String: String]
    public var ocore: Details

    public struct Member: Codable, Sendable, Equatable {
        public var size: Int64
        public var sha256: String

        public init(size: Int64, sha256: String) {
            self.size = size
            self.sha256 = sha256
        }
    }

    public struct Filestore: Codable, Sendable, Equatable {
        public var files: Int
        public var size: Int64
        /// SHA-256 over the sorted "path sha256" lines: one value for the whole tree.
        public var sha256: String
        /// Files the server could not read (the backup is then `partial`).
        public var unreadable: [String]

        public init(files: Int, size: Int64, sha256: String, unreadable: [String]) {
            self.files = files
            self.size = size
            self.sha256 = sha256
            self.unreadable = unreadable
        }
    }

    public struct Details: Codable, Sendable, Equatable {
        public var backupID: String
        public var project: String
        public var environment: String
        public var environmentType: String
        public var type: BackupType
        public var format: BackupFormat
        public var createdAt: String
        public var retentionTier: RetentionTier
        public var expiresAt: String?
        public var neutralized: Bool?
        public var includeFilestore: Bool
        public var members: [String: Member]
        public var filestore: Filestore?
        /// Size and SHA-256 of the whole archive (only in the copy stored beside it).
        public var archive: Member?
        /// Which key encrypted the stored object (an id, never the key).
        public var encryptionKeyID: String?
        /// Set for a sanitized backup: what was done to its data, and the proof.
        public var sanitization: SanitizationAttestation?

        public init(backupID: String, project: String, environment: String, environmentType: String, type: BackupType, format: BackupFormat,
                    createdAt: String, retentionTier: RetentionTier, expiresAt: String?, neutralized: Bool?, includeFilestore: Bool,
                    members: [String: Member], filestore: Filestore?, archive: Member?, encryptionKeyID: String?) {
            self.backupID = backupID
            self.project = project
            self.environment = environment
            self.environmentType = environmentType
            self.type = type
            self.format = format
            self.createdAt = createdAt
            self.retentionTier = retentionTier
            self.expiresAt = expiresAt
            self.neutralized = neutralized
            self.includeFilestore = includeFilestore
            self.members = members
            self.filestore = filestore
            self.archive = archive
            self.encryptionKeyID = encryptionKeyID
        }

        enum CodingKeys: String, CodingKey {
            case backupID = "backup_id", project, environment, environmentType = "environment_type", type, format, createdAt = "created_at"
            case retentionTier = "retention_tier", expiresAt = "expires_at", neutralized, includeFilestore = "include_filestore", members, filestore
            case archive, encryptionKeyID = "encryption_key_id", sanitization
        }
    }

    enum CodingKeys: String, CodingKey {
        case odooDump = "odoo_dump", dbName = "db_name", version, versionInfo = "version_info", majorVersion = "major_version"
        case pgVersion = "pg_version", modules, ocore
    }

    public init(dbName: String, version: String?, pgVersion: String?, modules: [String: String], ocore: Details) {
        self.dbName = dbName
        self.version = version
        self.versionInfo = version.map { $0.split(separator: ".").map(String.init) }
        self.majorVersion = version.map { $0.split(separator: ".").prefix(2).joined(separator: ".") }
        self.pgVersion = pgVersion
        self.modules = modules
        self.ocore = ocore
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> BackupManifest {
        try JSONDecoder().decode(BackupManifest.self, from: data)
    }

    /// The manifest without its list of members: what a job keeps in its state, which is read and
    /// written again at every step (the list is 3 MB for 20,000 files and is the archive's check,
    /// not the job's; kept whole, it made each step of a restore of the large demo take seconds).
    public var withoutMembers: BackupManifest {
        var summary = self
        summary.ocore.members = [:]
        return summary
    }
}
