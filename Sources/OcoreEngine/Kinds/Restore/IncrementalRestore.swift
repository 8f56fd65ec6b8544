import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Restoring an incremental backup: its file list is read and checked against the checksum the
/// backup recorded, its dump's objects are fetched into a folder on this host (then loaded like
/// any `pg_dump` directory, checked the same way first), and its filestore's objects go straight
/// into the target's filestore while the database loads: written in parallel when the target is
/// this host (hard links from a local storage on the same file system), streamed as tar to the
/// target's server otherwise. Every object is checked against its content hash on the way.
enum IncrementalRestore {
    /// The file list, decrypted, beside the fetched dump.
    static let listName = "objects.files"

    static func readList(_ path: String) throws -> BackupSnapshot {
        try BackupSnapshot.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension RestoreRun {
    func fetchIncremental(_ backup: BackupRecord, from storage: StorageTarget, _ context: StepContext) throws {
        let objects = try ObjectStore(target: storage, storePath: context.store.path)
        let list = try objects.getDocument(backup.key)
        guard list.sha256 == backup.sha256 else {
            throw StepFailure.check("file list checksum", "\(backup.key): \(list.sha256.prefix(16))…, expected \(backup.sha256?.prefix(16) ?? "?")…: nothing on the target was touched")
        }
        let snapshot = try BackupSnapshot.decode(list.plain)
        let dir = (context.store.path as NSString).deletingLastPathComponent + "/tmp/restore-\(context.jobID)-\(backup.id)"
        try FileManager.default.createDirectory(atPath: dir + "/dump", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try record(context) { $0.archiveFile = dir }
        for entry in snapshot.dump + snapshot.filestore {
            // A list from storage is input like any archive: no path may leave its folder.
            let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !entry.path.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0.isEmpty }), !entry.path.contains("\0") else {
                throw StepFailure.check("file list", "refused path \(entry.path.debugDescription): nothing on the target was touched")
            }
        }
        let total = max(Double(snapshot.dump.reduce(0) { $0 + $1.size }), 1)
        do {
            try ObjectFetcher(store: objects, cancellation: context.cancellation).write(snapshot.dump, into: dir + "/dump") { n in
                context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) of the dump fetched")
            }
        } catch let error as ObjectStoreError {
            throw StepFailure.check("backup objects", "\(error): nothing on the target was touched")
        }
        try list.plain.write(to: URL(fileURLWithPath: dir + "/" + IncrementalRestore.listName))
        context.log(.info, "file list checked; dump fetched (\(snapshot.dump.count) files, \(formatBytes(Int64(total))), every object's hash checked); \(snapshot.filestore.count) filestore files to fetch while the database loads")
        try checkDump(context)
    }

    /// The filestore from its objects, into `dir` on the target's server.
    func restoreObjects(list: String, into dir: String, server: Server, context: StepContext, cancellation: CancellationFlag) throws -> String {
        guard let id = p.backupID else { throw StepFailure.check("backup", "no backup to fetch objects from") }
        let backup = try sourceBackup(id, context)
        let objects = try ObjectStore(target: try context.store.storage(named: backup.storage), storePath: context.store.path)
        let entries = try IncrementalRestore.readList(list).filestore
        let counter = filestoreBytes
        let fetcher = ObjectFetcher(store: objects, cancellation: cancellation)
        let total = entries.reduce(0) { $0 + $1.size }
        if case .local = server.connection {
            // A file shared with storage by a hard link must never be changed through the filestore:
            // Odoo never rewrites an attachment, but a chown to the filestore's owner would reach the object.
            let link = (try? target(context))?.environment.filestoreOwner == nil
            // Files the target already had (its filestore, set aside) are not fetched again.
            try fetcher.write(entries, into: dir, link: link, reuse: state(context).movedFilestore) { counter.set($0) }
        } else {
            let executor = Executors.forServer(server)
            let channel = ByteChannel(capacity: 16)
            let feeder = BackgroundWork<Void> {
                do { try fetcher.tar(entries, into: channel.sink) { counter.set($0) }; channel.finish() } catch { channel.abandon(); throw error }
            }
            let err = CollectingSink(limit: 64 << 10)
            let termination = try executor.execute(RemoteFileSystem.tarIn(dir), stdin: channel.source, stdout: DiscardingSink(), stderr: err, cancellation: cancellation)
            channel.abandon()
            try feeder.wait().get()
            let result = CommandResult(termination: termination, stderr: err.data)
            guard result.succeeded else { throw StepFailure.command("tar", result.summary) }
        }
        return "\(entries.count) files, \(formatBytes(total)) from their objects into \(dir)"
    }
}
