import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Makes an archive ocore did not take (an Odoo or Odoo.sh export, the seeds' zip) one of an
/// environment's backups: every member checksummed, the archive uploaded to storage, the
/// manifest written beside it last, read back and re-hashed. It is kept until removed
/// (permanent tier): retention has no reason to expire a backup someone brought in by hand.
public struct ArchiveRegistration: Sendable {
    public let store: SQLiteStateStore

    public init(store: SQLiteStateStore) {
        self.store = store
    }

    public typealias Refused = RequestRefusal

    /// Refuses, before anything happens, what cannot be registered.
    public static func check(path: String) throws {
        let source: RestoreSource
        do { source = try RestoreSource.inspect(path) } catch { throw Refused("\(error)") }
        guard source.zip != nil else { throw Refused("only a ZIP archive can be registered as a backup; \(path) holds \(source.describe)") }
    }

    public func register(path: String, environment: String, storage: String?) throws -> BackupRecord {
        let source: RestoreSource
        do { source = try RestoreSource.inspect(path) } catch { throw Refused("\(error)") }
        guard let zip = source.zip else {
            throw Refused("only a ZIP archive can be registered as a backup; \(path) holds \(source.describe)")
        }
        let env = try store.resolvedEnvironment(named: environment)
        guard let storageName = try storage ?? SafetyBackup.defaultStorage(store) else { throw Refused("no default storage: give --storage NAME (see `ocore storage list`)") }
        let target = try store.storage(named: storageName)
        guard target.encryption == nil else {
            throw Refused("storage \(storageName) encrypts what ocore writes; register the archive on a storage without encryption")
        }
        let provider = try StorageProviders.make(for: target.location)

        // Odoo's fields from the archive's own manifest, when it has one.
        let odoo = (try? zip.data("manifest.json", limit: 16 << 20)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        let members = try zip.memberDigests().mapValues { BackupManifest.Member(size: $0.size, sha256: $0.sha256) }

        let now = Date()
        let id = BackupRecord.newID(at: now)
        let format: BackupFormat = if case .directoryMembers = source.database { .folder } else { .odooZip }
        var record = BackupRecord(id: id, environment: environment, project: env.environment.project, storage: storageName,
                                  key: BackupRecord.archiveKey(project: env.environment.project, environment: environment, id: id),
                                  format: format, type: .manual, status: .running, includeFilestore: source.filestore != .none, createdAt: now,
                                  tier: .permanent, expiresAt: nil, databaseName: odoo["db_name"] as? String ?? env.environment.dbName,
                                  odooVersion: odoo["version"] as? String)
        try store.insertBackup(record)
        do {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw Refused("cannot read \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let hashing = HashingSource(FileDescriptorSource(fd))
            let stored = try provider.put(key: record.key, from: hashing, progress: nil)
            let iso = ISO8601DateFormatter()
            let manifest = BackupManifest(
                dbName: record.databaseName, version: record.odooVersion, pgVersion: odoo["pg_version"] as? String,
                modules: odoo["modules"] as? [String: String] ?? [:],
                ocore: BackupManifest.Details(backupID: id, project: record.project, environment: environment, environmentType: env.environment.type.rawValue,
                                              type: .manual, format: format, createdAt: iso.string(from: now), retentionTier: .permanent, expiresAt: nil,
                                              neutralized: nil, includeFilestore: record.includeFilestore, members: members, filestore: nil,
                                              archive: BackupManifest.Member(size: stored.size, sha256: hashing.digest), encryptionKeyID: nil))
            _ = try provider.put(key: BackupRecord.manifestKey(forArchive: record.key), from: DataSource(try manifest.encoded()), progress: nil)
            record.size = stored.size
            record.sha256 = hashing.digest
            record.completedAt = Date()
            record.status = .completed
            try store.updateBackup(record)
            // Read back and re-hash, as after any backup.
            let check = HashingCounter(next: DiscardingSink())
            try provider.get(key: record.key, into: check)
            guard check.count == stored.size, check.digest == hashing.digest else {
                throw Refused("the stored copy reads back differently (\(check.digest.prefix(16))…)")
            }
            record.verifiedAt = Date()
            try store.updateBackup(record)
            return record
        } catch {
            try? provider.delete(key: BackupRecord.manifestKey(forArchive: record.key))
            try? provider.delete(key: record.key)
            record.status = .failed
            record.error = "\(error)"
            try? store.updateBackup(record)
            throw error
        }
    }
}
