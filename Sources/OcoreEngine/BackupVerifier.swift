import Crypto
import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Re-downloads a backup and checks every checksum: the whole archive against its stored
/// manifest, then each member (and the filestore as a tree) against the manifest inside it.
public struct BackupVerifier {
    public struct Report: Sendable {
        public var backupID: String
        public var checks: [(name: String, ok: Bool, detail: String)]
        /// A sanitized backup's attestation, from its stored manifest.
        public var attestation: SanitizationAttestation? = nil
        public var ok: Bool { checks.allSatisfy(\.ok) }
    }

    public let store: SQLiteStateStore

    public init(store: SQLiteStateStore) {
        self.store = store
    }

    /// Downloads the archive of `backup` to `path` (created 0600), hashing on the way. Returns
    /// the SHA-256 of what arrived.
    /// An encrypted backup is decrypted on the way (`key`); the checksum is the stored bytes'.
    public static func download(_ backup: BackupRecord, provider: any StorageProvider, to path: String, key: BackupKey? = nil,
                                progress: ((Int64) -> Void)? = nil) throws -> (size: Int64, sha256: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError.failed(target: path, operation: "create", reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let decryptor = key.map { DecryptingSink(next: FileDescriptorSink(fd), key: $0) }
        let counter = HashingCounter(next: decryptor ?? FileDescriptorSink(fd))
        counter.onProgress = progress
        try provider.get(key: backup.key, into: counter)
        try decryptor?.finish()
        return (counter.count, counter.digest)
    }

    /// The key an encrypted backup needs, checked against the id its manifest records (nil for a
    /// plain backup). A missing or different key is an error before anything is read or touched.
    public static func key(for manifest: BackupManifest, target: StorageTarget) throws -> BackupKey? {
        guard let id = manifest.ocore.encryptionKeyID else { return nil }
        guard let ref = target.encryption else {
            throw EncryptionError.badKey("backup \(manifest.ocore.backupID) is encrypted (key \(id)) but storage \(target.name) has no key configured")
        }
        let key = try BackupKey.load(ref)
        guard key.id == id else { throw EncryptionError.wrongKey(expected: id, got: key.id) }
        return key
    }

    /// SHA-256 and size of a file on this host.
    public static func hashFile(_ path: String, progress: ((Int64) -> Void)? = nil) throws -> (size: Int64, sha256: String) {
        let counter = HashingCounter(next: DiscardingSink())
        counter.onProgress = progress
        try LocalDirectoryStorage(root: (path as NSString).deletingLastPathComponent).get(key: (path as NSString).lastPathComponent, into: counter)
        return (counter.count, counter.digest)
    }

    /// The stored manifest of a backup (the object written last).
    public static func storedManifest(_ backup: BackupRecord, provider: any StorageProvider) throws -> BackupManifest {
        let sink = CollectingSink(limit: 256 << 20)
        try provider.get(key: BackupRecord.manifestKey(forArchive: backup.key), into: sink)
        return try BackupManifest.decode(sink.data)
    }

    /// `readData`: the share of an incremental backup's objects to read and hash (1 = all; nil
    /// checks their presence and sizes only). Other formats are always read whole.
    public func verify(_ id: String, scratch: String, readData: Double? = nil) throws -> Report {
        var backup = try store.backup(id)
        guard backup.status.isRestorable else { throw RequestRefusal("backup \(id) is \(backup.status.rawValue): nothing to verify") }
        let target = try store.storage(named: backup.storage)
        let provider = try StorageProviders.make(for: target.location)
        var report = Report(backupID: id, checks: [])
        func check(_ name: String, _ ok: Bool, _ detail: String) { report.checks.append((name, ok, detail)) }

        let manifest: BackupManifest
        do { manifest = try Self.storedManifest(backup, provider: provider) } catch {
            check("manifest", false, "stored manifest unreadable: \(error)")
            return try record(report, &backup)
        }
        check("manifest", true, "stored manifest present")
        if let attestation = manifest.ocore.sanitization {
            // What the archive says of its data must be what the backup recorded when it wrote it.
            report.attestation = attestation
            check("sanitization", attestation.verdict == backup.sanitized,
                  attestation.verdict == backup.sanitized ? "\(attestation.verdict): \(attestation.rowsSearched) row(s) searched, \(attestation.findings.count) finding(s)"
                                                          : "the manifest says \(attestation.verdict), the backup's record \(backup.sanitized ?? "not sanitized")")
        } else if let verdict = backup.sanitized {
            check("sanitization", false, "recorded as sanitized (\(verdict)) but the manifest has no attestation")
        }
        if backup.format == .incremental {
            let objects = try ObjectStore(target: target, storePath: store.path)
            report.checks += try IncrementalVerifier(objects: objects, backup: backup, scratch: scratch).checks(readData: readData)
            return try record(report, &backup)
        }
        let path = scratch + "/" + id + ".zip"
        defer { unlink(path) }
        let got = try Self.download(backup, provider: provider, to: path, key: try Self.key(for: manifest, target: target))
        let expected = manifest.ocore.archive
        check("archive", got.sha256 == expected?.sha256 && got.size == expected?.size && got.sha256 == backup.sha256,
              "\(formatBytes(got.size)), sha256 \(got.sha256.prefix(16))…" + (got.sha256 == expected?.sha256 ? "" : " (expected \(expected?.sha256.prefix(16) ?? "?")…)"))
        do {
            let zip = try ZipArchiveReader(path: path)
            var fileLines: [String] = []
            var bad = 0
            // One pass over the archive (a lookup by name scans the directory each time).
            var actual: [String: (size: Int64, sha256: String)] = [:]
            do {
                actual = try zip.memberDigests { manifest.ocore.members[$0] != nil }
            } catch {
                bad += 1
                check("members", false, "\(error)")
            }
            for (name, member) in manifest.ocore.members.sorted(by: { $0.key < $1.key }) {
                guard let got = actual[name] else {
                    bad += 1
                    check(name, false, "missing from the archive")
                    continue
                }
                if got.sha256 != member.sha256 || got.size != member.size {
                    bad += 1
                    check(name, false, "sha256 \(got.sha256.prefix(12))… ≠ manifest \(member.sha256.prefix(12))…")
                } else if name.hasPrefix("filestore/") {
                    fileLines.append("\(name.dropFirst("filestore/".count)) \(got.sha256)")
                } else {
                    check(name, true, "\(formatBytes(got.size)), sha256 matches")
                }
            }
            if let fs = manifest.ocore.filestore {
                let digest = FilestoreZipper.digest(lines: fileLines)
                check("filestore", digest == fs.sha256 && bad == 0, "\(fileLines.count) of \(fs.files) files verified" + (digest == fs.sha256 ? "" : ", tree checksum differs"))
                if !fs.unreadable.isEmpty { check("filestore complete", false, "\(fs.unreadable.count) file(s) were unreadable at backup time (partial)") }
            }
        } catch {
            check("members", false, "\(error)")
        }
        return try record(report, &backup)
    }

    private func record(_ report: Report, _ backup: inout BackupRecord) throws -> Report {
        // Files the backup could not read, or attachments the source itself had lost, are reported
        // without making the stored backup unverified: it holds what there was.
        let archiveOK = report.checks.filter { $0.name != "filestore complete" && $0.name != "attachment files" }.allSatisfy(\.ok)
        backup.verifiedAt = archiveOK ? Date() : nil
        backup.error = archiveOK ? nil : report.checks.first { !$0.ok }.map { "verify: \($0.name): \($0.detail)" }
        try store.updateBackup(backup)
        return report
    }
}
