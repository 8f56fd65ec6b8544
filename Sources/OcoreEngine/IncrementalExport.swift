import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage

/// An incremental backup as Odoo's own backup ZIP (`dump.sql`, `manifest.json`, `filestore/`),
/// importable by Odoo's database manager: the dump's objects are fetched into a scratch folder
/// and turned into plain SQL by `pg_restore -f -` (no owner, as Odoo dumps), streamed into the
/// ZIP, then the filestore's objects follow in order, fetched ahead in parallel. Every object is
/// checked against its hash on the way.
struct IncrementalExport {
    let objects: ObjectStore
    let backup: BackupRecord
    let scratch: String

    /// Writes the ZIP to `path` (created 0600). Returns its size.
    func write(to path: String) throws -> Int64 {
        let list = try objects.getDocument(backup.key)
        guard list.sha256 == backup.sha256 else {
            throw RequestRefusal("the backup's file list does not match its checksum (\(list.sha256.prefix(16))…): nothing written")
        }
        let snapshot = try BackupSnapshot.decode(list.plain)
        let sidecar = CollectingSink(limit: 256 << 20)
        try objects.provider.get(key: BackupRecord.manifestKey(forArchive: backup.key), into: sidecar)
        let manifest = try BackupManifest.decode(sidecar.data)
        let dir = scratch + "/export-\(backup.id)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir + "/dump", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fetcher = ObjectFetcher(store: objects, cancellation: CancellationFlag())
        try fetcher.write(snapshot.dump, into: dir + "/dump") { _ in }

        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RequestRefusal("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let counter = HashingCounter(next: FileDescriptorSink(fd))
        let zip = ZipStreamWriter(sink: counter)
        try zip.begin("dump.sql", method: .deflated(level: 1))
        let err = CollectingSink(limit: 64 << 10)
        let termination = try LocalExecutor().execute(Command(["pg_restore", "--no-owner", "-f", "-", "--", dir + "/dump"]), stdin: nil,
                                                      stdout: ZipMemberSink(zip: zip) { _ in }, stderr: err, cancellation: nil)
        let result = CommandResult(termination: termination, stderr: err.data)
        guard result.succeeded else { throw StepFailure.command("pg_restore", result.summary) }
        _ = try zip.end()
        try zip.add("manifest.json", data: try manifest.encoded(), method: .deflated(level: 6))
        if !snapshot.filestore.isEmpty {
            let zipper = FilestoreZipper(zip: zip)
            try fetcher.tar(snapshot.filestore, into: zipper) { _ in }
            guard zipper.isComplete else { throw RequestRefusal("the filestore did not stream whole into the archive") }
        }
        try zip.finish()
        return counter.count
    }
}
