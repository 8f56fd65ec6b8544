import Foundation
import OcoreModel
import OcoreStorage
import OcoreStore

/// What one can do to a stored backup besides restoring it, shared by the CLI and the dashboard
/// so both refuse and record the same way.
public struct BackupActions: Sendable {
    public let store: SQLiteStateStore

    public init(store: SQLiteStateStore) {
        self.store = store
    }

    public typealias Refused = RequestRefusal

    /// Deletes the archive and its manifest from storage; the row stays, marked deleted (audit).
    /// It cannot be undone, so the id must be typed again (`--confirm ID`, or in the dialog).
    public func delete(_ id: String, confirmation: String?, by who: Requester) throws {
        guard confirmation == id else { throw Refused("deleting a backup cannot be undone: repeat its id with --confirm \(id)") }
        var b = try store.backup(id)
        guard b.status != .deleted && b.status != .expired else { throw Refused("backup \(id) is already \(b.status.rawValue)") }
        guard b.status != .running else { throw Refused("backup \(id) is still running; cancel its job first") }
        try BackupCopyJob.removeCopies(of: b, store: store)
        let provider = try StorageProviders.make(for: try store.storage(named: b.storage).location)
        try provider.delete(key: BackupRecord.manifestKey(forArchive: b.key))
        try provider.delete(key: b.key)
        b.status = .deleted
        b.verifiedAt = nil
        try store.updateBackup(b)
        try store.audit(user: who.user, from: who.from, action: "backup.rm", environment: b.environment, detail: id)
    }

    /// Pinned backups are never removed by retention.
    @discardableResult
    public func setPinned(_ id: String, _ pinned: Bool, by who: Requester) throws -> BackupRecord {
        var b = try store.backup(id)
        guard b.pinned != pinned else { return b }
        b.pinned = pinned
        try store.updateBackup(b)
        try store.audit(user: who.user, from: who.from, action: pinned ? "backup.pin" : "backup.unpin", environment: b.environment, detail: id)
        return b
    }

    /// Downloads a backup's archive to a new local file, checked against its SHA-256 before it
    /// takes its name (`.part` until then); `decrypt` gives the plain archive of an encrypted one.
    /// Returns the stored size and whether it was decrypted.
    public func export(_ id: String, to path: String, decrypt: Bool, fromStorage: String? = nil) throws -> (size: Int64, decrypted: Bool) {
        let original = try store.backup(id)
        let b = try fromStorage.map { try BackupCopyJob.source(original, on: $0, store: store) } ?? original
        guard b.status.isRestorable else { throw Refused("backup \(id) is \(b.status.rawValue): nothing to export") }
        guard !FileManager.default.fileExists(atPath: path) else { throw Refused("\(path) exists: choose a new file name") }
        let target = try store.storage(named: b.storage)
        if b.format == .incremental {
            // Always Odoo's plain ZIP, built from the objects (decrypted if the storage encrypts).
            let scratch = (store.path as NSString).deletingLastPathComponent + "/tmp"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let objects = try ObjectStore(target: target, storePath: store.path)
            let temp = path + ".part"
            do {
                let size = try IncrementalExport(objects: objects, backup: b, scratch: scratch).write(to: temp)
                guard rename(temp, path) == 0 else { throw Refused("cannot write \(path): \(String(cString: strerror(errno)))") }
                return (size, objects.key != nil)
            } catch {
                unlink(temp)
                throw error
            }
        }
        let provider = try StorageProviders.make(for: target.location)
        let key = decrypt ? try BackupVerifier.key(for: try BackupVerifier.storedManifest(b, provider: provider), target: target) : nil
        let temp = path + ".part"
        do {
            let got = try BackupVerifier.download(b, provider: provider, to: temp, key: key)
            guard got.sha256 == b.sha256 else { throw Refused("the downloaded archive does not match its checksum (\(got.sha256.prefix(16))…); nothing written") }
            guard rename(temp, path) == 0 else { throw Refused("cannot write \(path): \(String(cString: strerror(errno)))") }
            return (got.size, key != nil)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Keeps a backup longer: its expiry moved by `days` (audited); returns the new expiry.
    public func extendExpiry(_ id: String, days: Int, by who: Requester) throws -> Date {
        guard (1...RetentionPolicy.maxDays).contains(days) else { throw Refused("--days must be 1 to \(RetentionPolicy.maxDays) (at most 100 years)") }
        var b = try store.backup(id)
        guard let expires = b.expiresAt, !b.isPermanent,
              let later = Calendar(identifier: .gregorian).date(byAdding: .day, value: days, to: expires) else {
            throw Refused("backup \(id) never expires")
        }
        b.expiresAt = later
        try store.updateBackup(b)
        try store.audit(user: who.user, from: who.from, action: "retention.extend", environment: b.environment, detail: "\(id) +\(days) days")
        return later
    }
}
