import Crypto
import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Takes a backup as one stream into storage: Odoo's own backup format, a ZIP of `manifest.json`,
/// the filestore read by `tar` on the environment's server as `filestore/…` members, and
/// `pg_dump`'s plain SQL as `dump.sql`. The dump and the filestore are read at once: the dump is
/// compressed into a sealed spool on this host (``SpooledMember``, about a fifth of its size)
/// while the filestore goes into the archive, then appended — Odoo's restore reads members by
/// name, so their order is free. Without a filestore, or without room on this host, the dump
/// streams first and nothing is staged. Every checksum is computed on the way through; the
/// complete manifest is stored beside the archive last, and only then does the backup exist. The
/// database is read with `pg_dump`'s snapshot, so production keeps running.
public struct BackupJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var backupID: String
        public var environment: String
        public var storage: String
        public var type: BackupType
        public var includeFilestore: Bool
        /// nil = auto (GFS by date), else the tier asked for.
        public var tier: RetentionTier?
        /// nil = Odoo's ZIP.
        public var format: BackupFormat?
        /// Set for a sanitized backup (an Odoo ZIP whose data went through the sanitizing streams).
        public var sanitization: BackupSanitization? = nil
    }

    public init() {}

    public var name: String { "backup" }

    /// A retry is a new backup: the failed attempt keeps its id and its failed record.
    public func retryParameters(_ parameters: String) throws -> String {
        var p = try JSONDecoder().decode(Parameters.self, from: Data(parameters.utf8))
        p.backupID = BackupRecord.newID(at: Date())
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(p), as: UTF8.self)
    }

    /// The seeds' stages: initialize 10 %, dump 10–50 %, filestore 50–70 %, manifest 70 %,
    /// package 70–80 %, upload 80–95 %, verify 95–100 %.
    public static let markers: [Double] = [10, 50, 70, 71, 80, 95, 100]

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.environment, kind: "environment")
        if p.format == .incremental { return IncrementalBackup(p).plan }
        let session = BackupSession(p)
        let abort: @Sendable (StepContext) throws -> Void = { _ in session.abortUpload() }
        let steps: [StepDefinition] = [
            StepDefinition(name: "initialize", title: "Initialize", run: { try session.initialize($0) },
                           compensate: { session.abortUpload(); try BackupSession.discard(p, $0) }),
            StepDefinition(name: "database_dump", title: "Database dump", run: { c in try session.feeding { try session.dumpDatabase(c) } }, compensate: abort),
            StepDefinition(name: "filestore", title: "Filestore", run: { c in try session.feeding { try session.addFilestore(c) } }, compensate: abort),
            StepDefinition(name: "manifest", title: "Manifest", run: { c in try session.feeding { try session.addManifest(c) } }, compensate: abort),
            StepDefinition(name: "package", title: "Package", run: { c in try session.feeding { try session.package(c) } }, compensate: abort),
            StepDefinition(name: "upload", title: "Upload", run: { try session.finishUpload($0) }, compensate: abort),
            StepDefinition(name: "verify", title: "Verify", run: { try session.verify($0) }),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }
}

/// The in-flight state of one backup, shared by its steps within the worker. Anything needed
/// after a crash (the backup id, the storage key) is also in the job state and the backup row.
final class BackupSession: @unchecked Sendable {
    let p: BackupJob.Parameters
    private var env: ResolvedEnvironment!
    private var executor: (any Executor)!
    private var provider: (any StorageProvider)!
    private var record: BackupRecord!
    private var snapshot: OdooSnapshot!
    private var start: BackupStart!
    private var zip: ZipStreamWriter!
    private var channel: ByteChannel!
    private var counter: HashingSource!
    private var upload: Thread?
    private let uploadDone = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var uploadResult: Result<StoredObject, Error>?
    private var uploaded: Int64 = 0
    private var uploadStarted = ContinuousClock.now
    private var dumpMember: ZipStreamWriter.Member?
    private var dumpFiles = 0
    private var filestoreStreamed = false
    private var filestore: BackupManifest.Filestore?
    private var manifest: BackupManifest!
    private var key: BackupKey?
    private var encryptor: EncryptingSink?
    private var attestation: SanitizationAttestation?

    init(_ p: BackupJob.Parameters) { self.p = p }

    var format: BackupFormat { p.format ?? .odooZip }

    // MARK: Steps

    func initialize(_ context: StepContext) throws {
        let target = try context.store.storage(named: p.storage)
        provider = try StorageProviders.make(for: target.location)
        key = try target.encryption.map { try BackupKey.load($0) }
        start = try BackupStart.begin(p, format: format, storage: target.name, key: { BackupRecord.archiveKey(project: $0, environment: $1, id: $2) }, context)
        (env, executor, snapshot, record) = (start.env, start.executor, start.snapshot, start.record)
        try startUpload(context)
    }

    /// Runs a stage that writes into the upload. When storage failed first (a full disk, a lost
    /// connection), the stage only sees its reader gone: the storage's own error is the one that
    /// says what happened, and where.
    func feeding(_ stage: () throws -> Void) throws {
        do { try stage() } catch {
            if case .failure(let cause)? = lock.withLock({ uploadResult }) { throw cause }
            throw error
        }
    }

    private func startUpload(_ context: StepContext) throws {
        channel = ByteChannel(capacity: 32)
        // The archive's own SHA-256 is computed by the upload thread as it reads, so it costs the
        // thread writing the ZIP (parsing, CRC, member hashes, deflate) nothing.
        counter = HashingSource(channel.source)
        let sink = channel.sink
        encryptor = try key.map { try EncryptingSink(next: sink, key: $0) }
        zip = ZipStreamWriter(sink: encryptor ?? sink)
        let provider = provider!, objectKey = record.key, source = counter!, channel = channel!
        let thread = Thread { [self] in
            let result = Result { try provider.put(key: objectKey, from: source, progress: { n in self.lock.withLock { self.uploaded = n } }) }
            // The result first: a writer that finds the channel abandoned reports this error.
            lock.withLock { uploadResult = result }
            if case .failure = result { channel.abandon() }
            uploadDone.signal()
        }
        thread.stackSize = 1 << 20
        upload = thread
        uploadStarted = .now
        thread.start()
    }

    func dumpDatabase(_ context: StepContext) throws {
        if format == .folder { return try dumpFolder(context) }
        if let sanitization = p.sanitization { return try dumpSanitized(sanitization, context) }
        let dump = plainDumpCommand()
        if let spool = try besideFilestoreSpool(context) { return try dumpBesideFilestore(dump, into: spool, context) }
        try zip.begin("dump.sql", method: .deflated(level: 1))
        let expected = max(Double(snapshot.databaseSize) * 0.5, 1)
        let sink = ZipMemberSink(zip: zip) { bytes in
            context.progress(min(Double(bytes) / expected, 0.99), message: "\(formatBytes(bytes)) dumped")
        }
        let err = CollectingSink(limit: 64 << 10)
        let termination = try executor.execute(dump, stdin: nil, stdout: sink, stderr: err, cancellation: context.cancellation)
        try context.checkCancelled()
        let result = CommandResult(termination: termination, stderr: err.data)
        guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
        dumpMember = try zip.end()
        context.log(.info, "database dumped: dump.sql \(formatBytes(dumpMember!.size)) (\(formatBytes(dumpMember!.compressedSize)) compressed)")
    }

    /// Odoo's own dump_db: plain SQL, no owner (restorable as any role).
    private func plainDumpCommand() -> Command {
        let connection = PostgresConnection(env)
        return Command(["pg_dump", "--no-owner", "--format=plain"] + connection.clientArguments + ["-d", connection.database],
                       environment: connection.clientEnvironment)
    }

    /// A spool for the dump when the filestore goes into the archive meanwhile: only with a
    /// filestore to overlap, and only when this host's scratch directory has room for the
    /// compressed dump with a margin (the database's size bounds it: a dump is smaller than its
    /// database, then deflated). Otherwise the dump streams straight into the archive.
    private func besideFilestoreSpool(_ context: StepContext) throws -> SpooledMember? {
        guard p.includeFilestore, try RemoteFileSystem(executor).stat(env.filestore) != nil else { return nil }
        let scratch = (context.store.path as NSString).deletingLastPathComponent + "/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let needed = snapshot.databaseSize + (1 << 30)
        var fs = statvfs()
        guard statvfs(scratch, &fs) == 0, Int64(fs.f_bavail) * Int64(fs.f_frsize) >= needed else {
            context.log(.info, "\(scratch) has less than \(formatBytes(needed)) free: the dump streams into the archive first, the filestore after it")
            return nil
        }
        return try SpooledMember(directory: scratch)
    }

    /// The dump and the filestore at once, because they use different resources (PostgreSQL and
    /// the deflate; the filestore's disk): `pg_dump` is deflated into a sealed spool on this host
    /// while the filestore streams into the archive, then the spool is appended as `dump.sql`.
    /// The filestore is read once `pg_dump` has its snapshot (its first bytes), as Odoo's own
    /// backup reads it after the dump starts: attachments the dump lists were written before.
    private func dumpBesideFilestore(_ dump: Command, into spool: SpooledMember, _ context: StepContext) throws {
        let stop = context.cancellation.derived()
        // Set when pg_dump fails on its own: the filestore stops too (not hours later).
        let dumpFailed = CancellationFlag()
        let dumper = Executors.forServer(env.server)
        let firstBytes = DispatchSemaphore(value: 0)
        let work = BackgroundWork { () throws -> CommandResult in
            do {
                let err = CollectingSink(limit: 64 << 10)
                let sink = FirstBytesSink(next: spool) { firstBytes.signal() }
                let result = CommandResult(termination: try dumper.execute(dump, stdin: nil, stdout: sink, stderr: err, cancellation: stop),
                                           stderr: err.data)
                if result.succeeded { try spool.finish() } else if !stop.isCancelled { dumpFailed.cancel() }
                return result
            } catch {
                if !stop.isCancelled { dumpFailed.cancel() }
                throw error
            }
        }
        context.log(.info, "pg_dump deflating into a sealed spool on this host, the filestore streaming into the archive meanwhile")
        do {
            while firstBytes.wait(timeout: .now() + .milliseconds(100)) == .timedOut, !work.isDone {
                try context.checkCancelled()
            }
            if dumpFailed.isCancelled { throw DumpEndedFirst() }
            manifest = makeManifest()
            try zip.add("manifest.json", data: try manifest.encoded(), method: .deflated(level: 6))
            // Progress by bytes of both (the dump's size guessed as half the database's).
            let expectedDump = max(snapshot.databaseSize / 2, 1)
            var filestoreSize: Int64 = 0
            func fraction(_ files: Int64) -> Double {
                min(Double(min(spool.bytesIn, expectedDump) + files) / Double(expectedDump + max(filestoreSize, files)), 0.99)
            }
            try streamFilestore(context, until: dumpFailed) { read, size in
                filestoreSize = size
                context.progress(fraction(read), message: "\(formatBytes(spool.bytesIn)) dumped · \(formatBytes(read)) of filestore")
            }
            while !work.isDone {
                try context.checkCancelled()
                context.progress(fraction(filestoreSize), message: "filestore done; \(formatBytes(spool.bytesIn)) dumped")
                Thread.sleep(forTimeInterval: 0.1)
            }
            let result = try work.wait().get()
            try context.checkCancelled()
            guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
        } catch {
            stop.cancel()
            let dumped = work.wait()
            // pg_dump's own failure is the one that says what happened, not the filestore it stopped.
            if dumpFailed.isCancelled {
                if case .failure(let cause) = dumped { throw cause }
                if case .success(let result) = dumped { throw StepFailure.command("pg_dump", result.summary) }
            }
            throw error
        }
        dumpMember = try zip.add("dump.sql", spooled: spool)
        filestoreStreamed = true
        context.log(.info, "database dumped: dump.sql \(formatBytes(dumpMember!.size)) (\(formatBytes(dumpMember!.compressedSize)) compressed, appended after the filestore)")
    }

    /// `dump.sql` written by the sanitizing streams (``SanitizedDump``); its attestation goes into the manifest.
    private func dumpSanitized(_ sanitization: BackupSanitization, _ context: StepContext) throws {
        try zip.begin("dump.sql", method: .deflated(level: 1))
        let expected = max(Double(snapshot.databaseSize) * 0.5, 1)
        let sink = ZipMemberSink(zip: zip) { bytes in
            context.progress(min(Double(bytes) / expected, 0.99), message: "\(formatBytes(bytes)) dumped and sanitized")
        }
        let dump = SanitizedDump(sanitization: sanitization, server: env.server, executor: executor, connection: PostgresConnection(env),
                                 addons: env.environment.addons, sourceVersion: snapshot.version, includeFilestore: p.includeFilestore)
        let attested = try dump.write(into: sink, context)
        attestation = attested
        record.sanitized = attested.verdict
        record.neutralized = true
        dumpMember = try zip.end()
        context.log(.info, "database dumped, sanitized: dump.sql \(formatBytes(dumpMember!.size)) (\(formatBytes(dumpMember!.compressedSize)) compressed), \(attested.verdict)")
    }

    func addFilestore(_ context: StepContext) throws {
        if format == .folder || filestoreStreamed {
            return context.log(.info, "filestore: already in the archive (streamed while the database was dumped)")
        }
        manifest = makeManifest()
        try zip.add("manifest.json", data: try manifest.encoded(), method: .deflated(level: 6))
        try streamFilestore(context) { read, size in
            context.progress(min(Double(read) / Double(size), 0.99), message: "\(formatBytes(read)) of filestore")
        }
    }

    /// The folder layout: `pg_dump --format=directory --jobs=N` writes one compressed file per
    /// table into a staging directory on the environment's server (the directory format cannot
    /// go to a pipe) while the filestore streams into the archive; then the dump follows as
    /// `dump/…` members, stored as they are (pg_dump compressed them), and the staging directory
    /// is removed. The two run side by side because they use different resources: PostgreSQL's
    /// CPU and the filestore's disk.
    private func dumpFolder(_ context: StepContext) throws {
        let fs = RemoteFileSystem(executor)
        let staging = try fs.makeTemporaryDirectory(prefix: "ocore-dump")
        try context.record(BackupState.self) { $0.dumpStaging = staging }
        let (dump, jobs) = start.stagedDumpCommand(into: staging)
        let stop = context.cancellation.derived()
        let dumper = Executors.forServer(env.server)
        let work = BackgroundWork { try dumper.run(dump, outputLimit: 1 << 20, cancellation: stop) }
        context.log(.info, "pg_dump --format=directory --jobs=\(jobs) into \(staging) on \(env.server.name), the filestore streaming meanwhile")
        do {
            manifest = makeManifest()
            try zip.add("manifest.json", data: try manifest.encoded(), method: .deflated(level: 6))
            try streamFilestore(context) { read, size in
                context.progress(0.8 * min(Double(read) / Double(size), 0.99), message: "\(formatBytes(read)) of filestore")
            }
            while !work.isDone {
                try context.checkCancelled()
                let dumped = (try? fs.treeSize(staging)) ?? nil ?? 0
                context.progress(0.8, message: "filestore done; \(formatBytes(dumped)) dumped so far", force: true)
                Thread.sleep(forTimeInterval: 0.25)
            }
            let result = try work.wait().get()
            try context.checkCancelled()
            guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
            let size = (try? fs.treeSize(staging + "/dump")) ?? nil ?? 1
            let zipper = FilestoreZipper(zip: zip, prefix: "dump/") { bytes in
                context.progress(0.8 + 0.2 * min(Double(bytes) / Double(max(size, 1)), 0.99), message: "\(formatBytes(bytes)) of the dump packed")
            }
            try start.readStagedDump(staging + "/dump", into: zipper, complete: { zipper.isComplete }, context)
            dumpFiles = zipper.files
            context.log(.info, "database dumped: dump/ \(zipper.files) files, \(formatBytes(zipper.bytes)) (compressed by pg_dump, stored as-is)")
        } catch {
            stop.cancel()
            _ = work.wait()
            throw error
        }
        try fs.removeTree(staging)
        try context.record(BackupState.self) { $0.dumpStaging = nil }
    }

    /// `progress` gets the bytes read so far and the filestore's size; once `until` is set, the
    /// read stops (``StoppingSink``).
    private func streamFilestore(_ context: StepContext, until stop: CancellationFlag? = nil,
                                 progress: @escaping (_ read: Int64, _ size: Int64) -> Void) throws {
        guard p.includeFilestore else {
            return context.log(.info, p.sanitization == nil ? "filestore not included (--no-filestore)"
                                                            : "filestore not included: its attachments are production documents no sanitization reads (--with-filestore includes them as they are)")
        }
        let dir = env.filestore
        guard try RemoteFileSystem(executor).stat(dir) != nil else {
            context.log(.warning, "no filestore at \(dir) on \(env.server.name): the backup holds the database only")
            filestore = BackupManifest.Filestore(files: 0, size: 0, sha256: FilestoreZipper(zip: zip).treeDigest, unreadable: [])
            return
        }
        let expected = max((try? RemoteFileSystem(executor).treeSize(dir)) ?? nil ?? 1, 1)
        let zipper = FilestoreZipper(zip: zip) { bytes in progress(bytes, expected) }
        // --dereference: a linked file is backed up as its content; a dangling link is reported.
        let tar = Command(["tar", "-c", "-f", "-", "--dereference", "--sort=name", "-C", dir, "."])
        let err = CollectingSink(limit: 1 << 20)
        let out: ByteSink = stop.map { StoppingSink(next: zipper, stop: $0) } ?? zipper
        let termination = try executor.execute(tar, stdin: nil, stdout: out, stderr: err, cancellation: context.cancellation)
        try context.checkCancelled()
        let result = CommandResult(termination: termination, stderr: err.data)
        var unreadable: [String] = []
        if !result.succeeded {
            // GNU tar goes on past files it cannot read and exits 1 or 2 ("Cannot open", "File
            // removed before we read it"); those files are missing from the backup.
            var others: [String] = []
            for line in result.stderrText.split(separator: "\n").map(String.init) {
                let parts = line.split(separator: ":", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 3, parts[0] == "tar" else { others.append(line); continue }
                let path = parts[1].hasPrefix("./") ? String(parts[1].dropFirst(2)) : parts[1]
                if parts[2].contains("Cannot") || parts[2].contains("removed before we read") { unreadable.append(path) }
                else if parts[2].contains("changed as we read") { context.log(.warning, "filestore file changed while read: \(path)") }
                else { others.append(line) }
            }
            guard case .exited(let code) = termination, code == 1 || code == 2, others.isEmpty, zipper.isComplete else {
                throw StepFailure.command("tar", result.summary)
            }
            for file in unreadable.prefix(20) { context.log(.error, "filestore file not readable: \(file)") }
        }
        filestore = BackupManifest.Filestore(files: zipper.files, size: zipper.bytes, sha256: zipper.treeDigest, unreadable: unreadable)
        context.log(.info, "filestore: \(zipper.files) files, \(formatBytes(zipper.bytes)) (\(zipper.storedAsIs) already compressed, stored as-is)")
    }

    func addManifest(_ context: StepContext) throws {
        var complete = manifest!
        complete.ocore.members = Dictionary(uniqueKeysWithValues: zip.members.map { ($0.name, BackupManifest.Member(size: $0.size, sha256: $0.sha256)) })
        complete.ocore.filestore = filestore
        manifest = complete
        try zip.add("ocore-manifest.json", data: try complete.encoded(), method: .deflated(level: 6))
    }

    func package(_ context: StepContext) throws {
        try zip.finish()
        try encryptor?.finish()
        channel.finish()
        context.log(.info, "archive closed: \(zip.members.count) members, \(formatBytes(Int64(zip.offset)))")
    }

    func finishUpload(_ context: StepContext) throws {
        let total = max(Double(zip.offset), 1)
        while uploadDone.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            if context.cancellation.isCancelled { channel.fail() }
            let done = lock.withLock { uploaded }
            let elapsed = ContinuousClock.now - uploadStarted
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(done) / seconds : 0
            let eta = rate > 0 ? " · \(Int(((total - Double(done)) / rate).rounded(.up))) s left" : ""
            context.progress(min(Double(done) / total, 0.99),
                             message: "\(formatBytes(done)) of \(formatBytes(Int64(total))) stored · \(formatBytes(Int64(rate)))/s\(eta)")
        }
        uploadDone.signal()  // let abortUpload() pass later
        try context.checkCancelled()
        let stored = try lock.withLock { uploadResult! }.get()
        guard stored.size == counter.count else {
            throw StorageError.failed(target: provider.description, operation: "upload", reason: "stored \(stored.size) bytes of \(counter.count)")
        }
        var sidecar = manifest!
        sidecar.ocore.archive = BackupManifest.Member(size: stored.size, sha256: counter.digest)
        _ = try provider.put(key: BackupRecord.manifestKey(forArchive: record.key), from: DataSource(try sidecar.encoded()), progress: nil)
        record.status = (filestore?.unreadable.isEmpty ?? true) ? .completed : .partial
        record.size = stored.size
        record.sha256 = counter.digest
        record.completedAt = Date()
        try context.store.updateBackup(record)
        try context.record(BackupState.self) { $0.stored = true }
        context.log(.info, "stored \(key.map { "encrypted (key \($0.id)) " } ?? "")\(record.key) (\(formatBytes(stored.size)), sha256 \(counter.digest.prefix(16))…) and its manifest")
    }

    /// Reads the stored archive back and re-hashes it.
    func verify(_ context: StepContext) throws {
        let check = HashingCounter(next: DiscardingSink())
        let total = max(Double(record.size ?? 1), 1)
        check.onProgress = { n in context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) read back") }
        try provider.get(key: record.key, into: check)
        guard check.count == record.size, check.digest == record.sha256 else {
            try Self.failVerification(&record, "read-back differs: \(check.count) bytes, sha256 \(check.digest.prefix(16))…", storage: provider, context)
        }
        try Self.passVerification(&record, unreadable: filestore?.unreadable.count ?? 0,
                                  "read back \(formatBytes(check.count)), checksum matches", type: p.type, context)
    }

    /// A read-back that does not match: the reason stays on the backup's record and the step fails.
    static func failVerification(_ record: inout BackupRecord, _ reason: String, storage: StorageProvider, _ context: StepContext) throws -> Never {
        record.error = reason
        try context.store.updateBackup(record)
        throw StorageError.failed(target: storage.description, operation: "verify", reason: reason)
    }

    /// A read-back that matches: the backup is verified (a PARTIAL one says what it lacks), and
    /// what follows a backup is queued.
    static func passVerification(_ record: inout BackupRecord, unreadable: Int, _ checked: String, type: BackupType, _ context: StepContext) throws {
        record.verifiedAt = Date()
        try context.store.updateBackup(record)
        context.log(record.status == .partial ? .warning : .info,
                    record.status == .partial ? "verified, but PARTIAL: \(unreadable) filestore file(s) were not readable" : "verified: \(checked)")
        queueFollowUps(of: record, type: type, context)
    }

    /// Retention runs per environment, only after one of its backups succeeded, and as a job of
    /// its own: nothing it does can fail or remove this backup. Not after a restore's or a
    /// replace's safety backup, whose backup being restored may itself be expired.
    static func queueFollowUps(of record: BackupRecord, type: BackupType, _ context: StepContext) {
        guard record.status == .completed && type != .preRestore && type != .preReplace else { return }
        // The second copy first: the sweep that follows must not run before it is queued.
        if let copyTo = try? context.store.backupPolicy(environment: record.environment)?.copyTo, copyTo != record.storage {
            do {
                let copy = try BackupCopyJob.queue(after: context, backup: record, to: copyTo)
                context.log(.info, "second copy to \(copyTo) queued as job \(copy)")
            } catch {
                context.log(.warning, "second copy to \(copyTo) not queued: \(error)")
            }
        }
        do {
            let sweep = try RetentionSweepJob.queue(after: context, environment: record.environment)
            context.log(.info, "retention sweep of \(record.environment) queued as job \(sweep)")
        } catch {
            context.log(.warning, "retention sweep of \(record.environment) not queued: \(error)")
        }
    }

    /// Takes a whole backup inside another job's step (a restore's or a replace's safety backup):
    /// every stage in order; on failure the upload is aborted and what reached storage removed.
    /// Returns only once the backup is stored and verified.
    // MARK: Failure

    /// Stops an upload in flight so storage aborts it (temporary file removed, multipart aborted).
    func abortUpload() {
        guard let channel, upload != nil else { return }
        channel.fail()
        uploadDone.wait()
        uploadDone.signal()
    }

    /// Removes whatever a failed backup left in storage and marks its row failed. Runs after a
    /// crash too (from the job state and the row alone).
    static func discard(_ p: BackupJob.Parameters, _ context: StepContext) throws {
        let done = context.state(BackupState.self)
        if let staging = done.dumpStaging, let env = try? context.store.resolvedEnvironment(named: p.environment) {
            try? RemoteFileSystem(Executors.forServer(env.server)).removeTree(staging)
            try? context.record(BackupState.self) { $0.dumpStaging = nil }
        }
        guard done.backupID != nil, var record = try? context.store.backup(p.backupID) else { return }
        guard record.status == .running || done.stored else { return }
        if let target = try? context.store.storage(named: record.storage), let provider = try? StorageProviders.make(for: target.location) {
            try? provider.delete(key: BackupRecord.manifestKey(forArchive: record.key))
            try? provider.delete(key: record.key)
            _ = try? provider.removeIncomplete(key: record.key)
            // An incremental backup's objects stay: the next backup finds them in the index and
            // does not send them again; a sweep removes them once no backup needs them.
            StorageLock(provider: provider, kind: .writer, id: record.id).release()
        }
        record.status = .failed
        record.verifiedAt = nil
        if record.error == nil { record.error = context.state(JobRunState.self).error ?? "the backup did not complete" }
        try context.store.updateBackup(record)
        context.log(.info, "removed the incomplete backup \(record.id) from storage")
    }

    private func makeManifest() -> BackupManifest {
        var manifest = start.manifest(p, members: dumpMember.map { ["dump.sql": BackupManifest.Member(size: $0.size, sha256: $0.sha256)] } ?? [:],
                                      filestore: nil, archive: nil, keyID: key?.id)
        if let attestation {
            manifest.ocore.sanitization = attestation
            manifest.ocore.neutralized = true
        }
        return manifest
    }

    static func day(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.string(from: date)
    }
}

/// Passes a command's output into the current ZIP member, counting it.
final class ZipMemberSink: ByteSink {
    let zip: ZipStreamWriter
    let progress: (Int64) -> Void
    var bytes: Int64 = 0
    init(zip: ZipStreamWriter, progress: @escaping (Int64) -> Void) { self.zip = zip; self.progress = progress }
    func write(_ b: UnsafeRawBufferPointer) throws {
        try zip.write(b)
        bytes += Int64(b.count)
        progress(bytes)
    }
}

/// Passes bytes on until a flag is set; then a write fails, which stops the command writing.
final class StoppingSink: ByteSink {
    let next: ByteSink
    let stop: CancellationFlag
    init(next: ByteSink, stop: CancellationFlag) { self.next = next; self.stop = stop }
    func write(_ b: UnsafeRawBufferPointer) throws {
        if stop.isCancelled { throw DumpEndedFirst() }
        try next.write(b)
    }
}

/// The dump beside the filestore failed: what stops the filestore's read (the dump's own error is reported).
struct DumpEndedFirst: Error {}

/// Passes bytes on, saying once when the first ones arrive.
final class FirstBytesSink: ByteSink {
    let next: ByteSink
    private var arrived: (() -> Void)?
    init(next: ByteSink, arrived: @escaping () -> Void) { self.next = next; self.arrived = arrived }
    func write(_ b: UnsafeRawBufferPointer) throws {
        if let arrived, b.count > 0 { self.arrived = nil; arrived() }
        try next.write(b)
    }
}

/// SHA-256-hashes bytes as a consumer reads them from a source.
final class HashingSource: ByteSource, @unchecked Sendable {
    private var hasher = SHA256()
    private let source: ByteSource
    private(set) var count: Int64 = 0
    init(_ source: ByteSource) { self.source = source }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        count += Int64(n)
        return n
    }
    var digest: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}

/// Counts and SHA-256-hashes bytes on their way to the next sink.
final class HashingCounter: ByteSink {
    private var hasher = SHA256()
    private let next: ByteSink
    private(set) var count: Int64 = 0
    var onProgress: ((Int64) -> Void)?
    init(next: ByteSink) { self.next = next }
    func write(_ b: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: b)
        count += Int64(b.count)
        try next.write(b)
        onProgress?(count)
    }
    var digest: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}
