import Foundation

/// A backup's second copy on another storage (3-2-1: a primary and an offsite copy). The copy
/// has the same key and bytes as the original, so it restores, exports and verifies the same
/// way; it is listed only once it was read back and its checksum matched.
public struct BackupCopy: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Being copied and checked; not yet something to restore from.
        case copying
        /// Read back from its storage with the original's SHA-256.
        case completed
        case failed
        /// Removed with its backup by retention.
        case deleted
    }

    public var backupID: String
    public var storage: String
    public var status: Status
    public var createdAt: Date
    public var verifiedAt: Date?
    public var error: String?

    public init(backupID: String, storage: String, status: Status, createdAt: Date, verifiedAt: Date? = nil, error: String? = nil) {
        self.backupID = backupID
        self.storage = storage
        self.status = status
        self.createdAt = createdAt
        self.verifiedAt = verifiedAt
        self.error = error
    }
}

extension BackupRecord {
    /// The same backup as it lies on `copy`'s storage: what a restore, an export or a verification
    /// from that copy reads.
    public func on(_ copy: BackupCopy) -> BackupRecord {
        var b = self
        b.storage = copy.storage
        b.verifiedAt = copy.verifiedAt
        return b
    }
}
