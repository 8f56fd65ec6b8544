import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

/// An incremental backup: `pg_dump --format=directory` (one gzip file per table) staged on the
/// environment's server while the filestore's new and changed files are read; every file becomes
/// a content-addressed object, sent only if the storage lacks it. Then the file list (written
/// once every object it names is stored) and the manifest, last: only then does the backup exist.
///
/// What makes a second backup cheap: a filestore file whose path, size and modification time
/// match the previous backup's is not read at all (Odoo never rewrites a stored attachment), and
/// an unchanged table dumps to the same bytes (gzip level 1 by zlib, with no timestamp in its
/// header), so its object is already there.
final class IncrementalBackup: @unchecked Sendable {
    let p: BackupJob.Parameters
    private var env: ResolvedEnvironment!
    private var executor: (any Executor)!
    private var objects: ObjectStore!
    private var storageLock: StorageLock!
    private var record: BackupRecord!
    private var snapshot: OdooSnapshot!
    private var start: BackupStart!
    private var uploader: ObjectUploader!
    private var present: [String: Int64] = [:]
    private var previous: [String: BackupSnapshot.Entry] = [:]
    private var spool = ""
    private var dump: BackgroundWork<CommandResult>?
    private var dumpStop: CancellationFlag?
    private var staging: String?
    private var filestore: [BackupSnapshot.Entry] = []
    private var dumpEntries: [BackupSnapshot.Entry] = []
    private var unreadable: [String] = []
    private var unchangedFiles = 0
    private var reusedBytes: Int64 = 0
    private var logical: Int64 = 0
    /// The file list as written (verify compares what reads back against its checksum).
    private var written: BackupSnapshot!

    init(_ p: BackupJob.Parameters) { self.p = p }

    /// initialize 10 %, filestore 10–55 %, dump 55–80 %, last objects 80–88 %, list and manifest
    /// 88–92 %, verify 92–100 %.
    static let markers: [Double] = [10, 55, 80, 88, 92, 100]

    var plan: JobPlan {
        let stop: @Sendable (StepContext) throws -> Void = { [self] context in try undo(context) }
        let steps: [StepDefinition] = [
            StepDefinition(name: "initialize", title: "Initialize", run: { [self] in try initialize($0) }, compensate: stop),
            StepDefinition(name: "filestore", title: "Filestore (the database dumping alongside)", run: { [self] in try storeFilestore($0) }, compensate: stop),
            StepDefinition(name: "database_dump", title: "Database dump", run: { [self] in try storeDump($0) }, compensate: stop),
            StepDefinition(name: "upload", title: "Storing the last objects", run: { [self] in try finishObjects($0) }, compensate: stop),
            StepDefinition(name: "manifest", title: "File list and manifest", run: { [self] in try writeManifest($0) }, compensate: stop),
            StepDefinition(name: "verify", title: "Verify", run: { [self] in try verify($0) }),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }

    // MARK: Steps

    func initialize(_ context: StepContext) throws {
        let target = try context.store.storage(named: p.storage)
        objects = try ObjectStore(target: target, storePath: context.store.path)
        start = try BackupStart.begin(p, format: .incremental, storage: target.name, key: { BackupRecord.snapshotKey(project: $0, environment: $1, id: $2) }, context)
        (env, executor, snapshot, record) = (start.env, start.executor, start.snapshot, start.record)
        let earlier = start.earlier

        // The dump first: it is the long part, and needs nothing of the storage.
        spool = (context.store.path as NSString).deletingLastPathComponent + "/tmp/spool-\(context.jobID)"
        try startDump(context)
        storageLock = StorageLock(provider: objects.provider, kind: .writer, id: p.backupID)
        try storageLock.acquire()
        try storageLock.waitForSweeps { context.log(.info, $0) }
        present = try objects.loadIndex()
        if let last = earlier.filter({ $0.format == .incremental && $0.storage == p.storage && $0.status.isRestorable && $0.id != p.backupID })
            .max(by: { $0.createdAt < $1.createdAt }) {
            do {
                previous = Dictionary(try objects.snapshot(at: last.key).filestore.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            } catch {
                context.log(.warning, "the previous backup's file list (\(last.id)) is unreadable: every filestore file is read again (\(error))")
            }
        }
        context.log(.info, "\(target.name) holds \(present.count) objects by its index\(previous.isEmpty ? "" : "; comparing the filestore with backup of \(previous.count) files")")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        uploader = try ObjectUploader(store: objects, segmentPrefix: p.backupID, workers: { if case .directory = target.location { 2 } else { 4 } }())
    }

    /// `pg_dump -Fd` cannot write to a pipe: it writes one file per table into a directory on the
    /// environment's server, in parallel, while the filestore is read.
    private func startDump(_ context: StepContext) throws {
        let fs = RemoteFileSystem(executor)
        let dir = try fs.makeTemporaryDirectory(prefix: "ocore-dump")
        staging = dir
        try context.record(BackupState.self) { $0.dumpStaging = dir }
        let (command, jobs) = start.stagedDumpCommand(into: dir)
        let stop = context.cancellation.derived()
        dumpStop = stop
        let dumper = Executors.forServer(env.server)
        dump = BackgroundWork { try dumper.run(command, outputLimit: 1 << 20, cancellation: stop) }
        context.log(.info, "pg_dump --format=directory --jobs=\(jobs) --compress=1 into \(dir) on \(env.server.name)")
    }

    func storeFilestore(_ context: StepContext) throws {
        guard p.includeFilestore else { return context.log(.info, "filestore not included (--no-filestore)") }
        let dir = env.filestore
        let fs = RemoteFileSystem(executor)
        guard try fs.stat(dir) != nil else {
            return context.log(.warning, "no filestore at \(dir) on \(env.server.name): the backup holds the database only")
        }
        // One listing (path, size, modification time) decides what must be read at all.
        let listing = try executor.run(Command(["find", "-L", dir, "-type", "f", "-printf", "%P\\0%s\\0%T@\\0"]), outputLimit: 1 << 30,
                                       cancellation: context.cancellation)
        try context.checkCancelled()
        let fields = listing.stdout.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var toRead: [String] = []
        var toReadBytes: Int64 = 0
        var i = 0
        while i + 2 < fields.count {
            let path = fields[i], size = Int64(fields[i + 1]) ?? -1, mtime = Double(fields[i + 2]) ?? 0
            i += 3
            if let before = previous[path], before.size == size, Int64(before.mtime ?? -1) == Int64(mtime), present[before.objectName] == before.storedSize {
                filestore.append(before)
                unchangedFiles += 1
                reusedBytes += size
            } else {
                toRead.append(path)
                toReadBytes += max(size, 0)
            }
        }
        context.log(.info, "filestore: \(filestore.count + toRead.count) files; \(unchangedFiles) unchanged since the last backup, \(toRead.count) to read (\(formatBytes(toReadBytes)))")
        if !listing.succeeded && !listing.stderrText.isEmpty { context.log(.warning, "listing the filestore: \(listing.stderrText.prefix(300))") }
        guard !toRead.isEmpty else { return }
        let expected = Double(max(toReadBytes, 1))
        let ingest = ObjectIngest(store: objects, uploader: uploader, present: present, spool: spool) { bytes in
            context.progress(min(Double(bytes) / expected, 0.99), message: "\(formatBytes(bytes)) of \(formatBytes(toReadBytes)) read")
        }
        var names = Data()
        for path in toRead { names.append(contentsOf: path.utf8); names.append(0) }
        let tar = Command(["tar", "-c", "-f", "-", "--dereference", "-C", dir, "--null", "--no-recursion", "-T", "-"])
        let err = CollectingSink(limit: 1 << 20)
        let termination = try executor.execute(tar, stdin: DataSource(names), stdout: ingest, stderr: err, cancellation: context.cancellation)
        try context.checkCancelled()
        let result = CommandResult(termination: termination, stderr: err.data)
        if !result.succeeded {
            // A file removed or unreadable since the listing: GNU tar goes on and exits 1 or 2.
            var others: [String] = []
            for line in result.stderrText.split(separator: "\n").map(String.init) {
                let parts = line.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 3, parts[0] == "tar", parts[2].contains("Cannot") || parts[2].contains("removed before we read") { unreadable.append(parts[1]) }
                else if parts.count == 3, parts[0] == "tar", parts[2].contains("changed as we read") { context.log(.warning, "filestore file changed while read: \(parts[1])") }
                else if !line.contains("Exiting with failure status") { others.append(line) }
            }
            guard case .exited(let code) = termination, code == 1 || code == 2, others.isEmpty, ingest.isComplete else {
                throw StepFailure.command("tar", result.summary)
            }
            for file in unreadable.prefix(20) { context.log(.error, "filestore file not readable: \(file)") }
        }
        present = ingest.known
        filestore += ingest.entries
        reusedBytes += ingest.reusedBytes
        filestore.sort { $0.path < $1.path }
        let added = uploader.added
        context.log(.info, "filestore: \(ingest.entries.count) files read (\(formatBytes(ingest.bytes))), \(ingest.reused) already in storage; \(added.objects) objects queued or stored so far")
    }

    func storeDump(_ context: StepContext) throws {
        guard let work = dump, let staging else { throw StepFailure.check("dump", "the database dump did not start") }
        let fs = RemoteFileSystem(executor)
        while !work.isDone {
            if context.cancellation.isCancelled { dumpStop?.cancel() }
            let dumped = (try? fs.treeSize(staging)) ?? nil ?? 0
            context.progress(min(Double(dumped) / Double(max(snapshot.databaseSize / 4, 1)), 0.5), message: "\(formatBytes(dumped)) dumped so far", force: true)
            Thread.sleep(forTimeInterval: 0.25)
        }
        let result = try work.wait().get()
        try context.checkCancelled()
        guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
        if executor is LocalExecutor { return try storeLocalDump(staging + "/dump", context) }
        let size = Double(max((try? fs.treeSize(staging + "/dump")) ?? nil ?? 1, 1))
        let ingest = ObjectIngest(store: objects, uploader: uploader, present: present, spool: spool) { bytes in
            context.progress(0.5 + 0.5 * min(Double(bytes) / size, 0.99), message: "\(formatBytes(bytes)) of the dump stored")
        }
        try start.readStagedDump(staging + "/dump", into: ingest, complete: { ingest.isComplete }, context)
        present = ingest.known
        dumpEntries = ingest.entries
        reusedBytes += ingest.reusedBytes
        try fs.removeTree(staging)
        self.staging = nil
        try context.record(BackupState.self) { $0.dumpStaging = nil }
        context.log(.info, "database dumped: \(ingest.entries.count) files, \(formatBytes(ingest.bytes)); \(ingest.reused) unchanged (already in storage)")
    }

    /// The dump on this host's disk: each file hashed where it lies, and handed to the uploader
    /// as the file itself when the storage lacks it (the staging folder goes once it is stored):
    /// nothing is copied through a pipe or a spool file.
    private func storeLocalDump(_ dir: String, _ context: StepContext) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        var entries: [BackupSnapshot.Entry] = []
        var reused = 0
        var bytes: Int64 = 0
        for name in names {
            try context.checkCancelled()
            let (size, sha) = try BackupVerifier.hashFile(dir + "/" + name)
            let modified = ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + name))?[.modificationDate] as? Date)?.timeIntervalSince1970
            let object = objects.name(contentSHA256: sha), stored = objects.storedSize(plain: size)
            entries.append(BackupSnapshot.Entry(path: name, size: size, sha256: sha, object: object == sha ? nil : object,
                                                stored: stored == size ? nil : stored, mtime: modified))
            bytes += size
            if present[object] == stored {
                reused += 1
                reusedBytes += size
            } else {
                present[object] = stored
                try uploader.add(name: object, content: .file(path: dir + "/" + name, size: size))
            }
            context.progress(0.5 + 0.5 * Double(entries.count) / Double(max(names.count, 1)), message: "\(formatBytes(bytes)) of the dump hashed")
        }
        dumpEntries = entries
        context.log(.info, "database dumped: \(entries.count) files, \(formatBytes(bytes)); \(reused) unchanged (already in storage)")
    }

    func finishObjects(_ context: StepContext) throws {
        let finishing = BackgroundWork { [uploader] in try uploader!.finish() }
        while !finishing.isDone {
            if context.cancellation.isCancelled { uploader.abandon(CancellationError()) }
            let added = uploader.added
            context.progress(0.5, message: "\(added.objects) objects stored (\(formatBytes(added.bytes)))", force: true)
            Thread.sleep(forTimeInterval: 0.1)
        }
        try finishing.wait().get()
        try context.checkCancelled()
        try? FileManager.default.removeItem(atPath: spool)
        if let staging {
            // A dump read where it lies (this host) stays until its files are stored.
            try RemoteFileSystem(executor).removeTree(staging)
            self.staging = nil
            try context.record(BackupState.self) { $0.dumpStaging = nil }
        }
        let added = uploader.added
        logical = (filestore + dumpEntries).reduce(0) { $0 + $1.size }
        context.log(.info, "objects: \(added.objects) added (\(formatBytes(added.bytes))); \(formatBytes(reusedBytes)) of \(formatBytes(logical)) not sent, already in storage")
    }

    func writeManifest(_ context: StepContext) throws {
        let list = BackupSnapshot(backupID: p.backupID, dump: dumpEntries, filestore: filestore, unreadable: unreadable)
        written = list
        let stored = try objects.putDocument(try list.encoded(), key: record.key)
        let tree = FilestoreZipper.digest(lines: filestore.map { "\($0.path) \($0.sha256)" })
        let manifest = start.manifest(p, members: [:],
                                      filestore: p.includeFilestore ? BackupManifest.Filestore(files: filestore.count, size: filestore.reduce(0) { $0 + $1.size }, sha256: tree, unreadable: unreadable) : nil,
                                      archive: BackupManifest.Member(size: stored.size, sha256: stored.sha256), keyID: objects.key?.id)
        let sidecar = try objects.provider.put(key: BackupRecord.manifestKey(forArchive: record.key), from: DataSource(try manifest.encoded()), progress: nil)
        // The file list now protects every object it names: a sweep may run.
        storageLock.release()
        record.status = unreadable.isEmpty ? .completed : .partial
        record.size = logical
        record.sha256 = stored.sha256
        record.addedBytes = uploader.added.bytes + stored.size + sidecar.size
        record.completedAt = Date()
        try context.store.updateBackup(record)
        try context.record(BackupState.self) { $0.stored = true }
        context.log(.info, "stored the file list \(record.key) (\(filestore.count + dumpEntries.count) files) and its manifest: \(formatBytes(logical)) backed up, \(formatBytes(record.addedBytes!)) added to \(p.storage)")
    }

    /// Every object the backup names is in storage with its size (one listing), and the file
    /// list reads back as written. `backup verify --read-data` reads the objects themselves.
    func verify(_ context: StepContext) throws {
        let listed = try objects.listObjects()
        let list = try objects.getDocument(record.key)
        guard list.sha256 == record.sha256 else {
            throw StorageError.failed(target: objects.provider.description, operation: "verify", reason: "the file list reads back differently (sha256 \(list.sha256.prefix(16))…)")
        }
        // The list read back is byte for byte the one written (same SHA-256): its objects are ours.
        let needed = written.objects
        let missing = needed.filter { listed[$0.key]?.size != $0.value }
        guard missing.isEmpty else {
            try BackupSession.failVerification(&record, "\(missing.count) of \(needed.count) objects missing or of the wrong size in storage",
                                               storage: objects.provider, context)
        }
        try BackupSession.passVerification(&record, unreadable: unreadable.count,
                                           "all \(needed.count) objects present with their sizes, file list matches", type: p.type, context)
    }

    // MARK: Failure

    /// Stops what is running and removes what the failed backup began, except its objects: those
    /// stay in storage and in its index, for the next backup to reuse.
    func undo(_ context: StepContext) throws {
        uploader?.abandon(CancellationError())
        dumpStop?.cancel()
        _ = dump?.wait()
        if !spool.isEmpty { try? FileManager.default.removeItem(atPath: spool) }
        try? uploader?.checkpoint(force: true)
        storageLock?.release()
        try BackupSession.discard(p, context)
    }
}
