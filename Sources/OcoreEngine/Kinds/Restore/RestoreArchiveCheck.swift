import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension RestoreRun {
    func checkBackupAndTarget(_ context: StepContext) throws {
        step(context, "pre_checks")
        let who = (try? context.store.job(context.jobID).createdBy) ?? "?"
        _ = try context.store.beginRestorePoint(RestorePointRecord(jobID: context.jobID, backupID: p.backupID, sourceFile: p.archivePath,
                                                                   environment: p.target, mode: p.mode, status: "running", requestedBy: who,
                                                                   startedAt: Date()))
        var pgVersion: String?
        if let id = p.backupID {
            let backup = try sourceBackup(id, context)
            guard backup.status.isRestorable else { throw StepFailure.check("backup", "backup \(id) is \(backup.status.rawValue)") }
            let provider = try StorageProviders.make(for: try context.store.storage(named: backup.storage).location)
            let manifest = try BackupVerifier.storedManifest(backup, provider: provider)
            // An encrypted backup needs its key: a missing or wrong one stops here, before anything is touched.
            _ = try BackupVerifier.key(for: manifest, target: try context.store.storage(named: backup.storage))
            try record(context) { $0.manifest = manifest.withoutMembers }
            pgVersion = manifest.pgVersion
        } else if let path = p.archivePath {
            guard FileManager.default.isReadableFile(atPath: path) else { throw StepFailure.check("archive", "cannot read \(path)") }
            do { context.log(.info, "\(path): \(try RestoreSource.inspect(path).describe)") } catch { throw StepFailure.check("archive", "\(error)") }
        }
        let t = try target(context)
        let admin = admin(t)
        let serverVersion: String?
        do { serverVersion = try admin.scalar("SHOW server_version_num") } catch {
            throw StepFailure.check("target server reachable", "\(t.server.name): \(error)")
        }
        if let dumped = pgVersion.flatMap({ Int($0.split(separator: ".").first ?? "") }), let have = serverVersion.flatMap(Int.init).map({ $0 / 10_000 }),
           dumped > have {
            throw StepFailure.check("PostgreSQL version", "the backup was dumped from PostgreSQL \(dumped), newer than \(t.server.name)'s \(have): nothing was touched")
        }
        if p.includeFilestore { try FilestoreGuard.check(t.filestore, on: Executors.forServer(t.server), environment: p.target) }
        let role = try LoadRole.choose(admin: admin, job: context.jobID)
        do { try role.checkLogin(admin: admin) } catch { throw StepFailure.check("load role", "\(error): nothing was touched") }
        loadRole = role
        if p.newEnvironment != nil {
            if (try? context.store.environment(named: p.target)) != nil { throw StepFailure.check("target name", "an environment named \(p.target) already exists") }
            if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(t.environment.dbName))") == "1" {
                throw StepFailure.check("target name", "database \(t.environment.dbName) already exists on \(t.server.name)")
            }
        }
        context.log(.info, "restore \(p.backupID ?? p.archivePath ?? "?") into \(p.target) (\(p.mode.rawValue), database \(t.environment.dbName) on \(t.server.name))")
    }

    func takeSafetyBackup(_ context: StepContext) throws {
        step(context, "safety_backup")
        guard p.newEnvironment == nil, p.safetyBackup else {
            return context.log(.warning, p.newEnvironment == nil ? "no safety backup (--no-safety-backup)" : "new environment: nothing to back up first")
        }
        // Restoring from a second copy (the first storage down): the safety backup goes where the copy is.
        let storage = try p.safetyStorage ?? p.fromStorage ?? p.backupID.map { try context.store.backup($0).storage } ?? defaultStorage(context.store)
        try SafetyBackup.take(safetyParameters(storage: storage), context)
        try record(context) { $0.safetyBackupID = p.safetyBackupID }
        try context.store.updateRestorePoint(job: context.jobID, safetyBackupID: p.safetyBackupID)
    }

    /// The backup as the restore reads it: where it was made, or its second copy.
    func sourceBackup(_ id: String, _ context: StepContext) throws -> BackupRecord {
        let backup = try context.store.backup(id)
        guard let from = p.fromStorage, from != backup.storage else { return backup }
        return try BackupCopyJob.source(backup, on: from, store: context.store)
    }

    func safetyParameters(storage: String) -> BackupJob.Parameters {
        BackupJob.Parameters(backupID: p.safetyBackupID, environment: p.target, storage: storage, type: .preRestore,
                             includeFilestore: p.includeFilestore, tier: .daily)
    }

    func defaultStorage(_ store: SQLiteStateStore) throws -> String {
        guard let name = try SafetyBackup.defaultStorage(store) else {
            throw StepFailure.check("safety backup", "no default storage for the safety backup (give --safety-storage, or add one)")
        }
        return name
    }

    func fetchAndCheckArchive(_ context: StepContext) throws {
        step(context, "download")
        guard let id = p.backupID else {
            context.log(.info, "archive \(p.archivePath ?? "")")
            return try checkDump(context)
        }
        let backup = try sourceBackup(id, context)
        let storage = try context.store.storage(named: backup.storage)
        if backup.format == .incremental { return try fetchIncremental(backup, from: storage, context) }
        let location = storage.location
        let key = try manifest(context).flatMap { try BackupVerifier.key(for: $0, target: storage) }
        if case .directory(let root) = location, key == nil {
            // A backup on this host's disk is read where it is (checked first), never copied.
            let path = root + "/" + backup.key
            let total = max(Double(backup.size ?? 1), 1)
            // The checksum and the dump's scan each read the whole archive on one core: both at
            // once. The scan only reads; the checksum's verdict comes first.
            let scan = BackgroundWork { [self] in try checkDump(context, file: path, reportProgress: false) }
            let got = Result { try BackupVerifier.hashFile(path) { n in context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) checked") } }
            let scanned = scan.wait()
            let hashed = try got.get()
            guard hashed.sha256 == backup.sha256 else {
                throw StepFailure.check("archive checksum", "\(path): \(hashed.sha256.prefix(16))…, expected \(backup.sha256?.prefix(16) ?? "?")…: nothing on the target was touched")
            }
            try record(context) { $0.archiveInPlace = path }
            context.log(.info, "archive checked in place (\(formatBytes(hashed.size)), sha256 matches)")
            return try scanned.get()
        }
        let provider = try StorageProviders.make(for: location)
        let dir = context.store.path.replacingOccurrences(of: "/ocore.db", with: "") + "/tmp"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = "\(dir)/restore-\(context.jobID)-\(id).zip"
        try record(context) { $0.archiveFile = file }
        let total = max(Double(backup.size ?? 1), 1)
        let got = try BackupVerifier.download(backup, provider: provider, to: file, key: key) { n in
            context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) downloaded")
        }
        guard got.sha256 == backup.sha256 else {
            throw StepFailure.check("archive checksum", "downloaded \(got.sha256.prefix(16))…, expected \(backup.sha256?.prefix(16) ?? "?")…: nothing on the target was touched")
        }
        context.log(.info, "archive downloaded and checked (\(formatBytes(got.size)), sha256 matches)")
        try checkDump(context)
    }

    /// Reads the dump as untrusted input before anything is dropped: psql commands and statements
    /// that reach past the database refuse the restore with their line (plain SQL) or entry
    /// (pg_restore's table of contents). Whatever made the backup, it is checked the same way.
    func checkDump(_ context: StepContext, file: String? = nil, reportProgress: Bool = true) throws {
        guard let file = file ?? archiveFile(context) else { throw StepFailure.check("archive", "no archive to load") }
        let source: RestoreSource
        do { source = try RestoreSource.inspect(file) } catch { throw StepFailure.check("archive", "\(error)") }
        if let zip = source.zip { try checkArchive(zip, context) }
        if reportProgress { context.progress(0.99, message: "checking the dump", force: true) }
        let refusals: [DumpRefusal]
        let extensions: Set<String>
        let plain: (((Data) throws -> Void) throws -> Void)? = switch source.database {
        case .plainMember(let name): { chunk in try source.zip!.read(name, chunk: chunk) }
        case .plainFile(let path): { chunk in try readFile(path, chunk: chunk) }
        default: nil
        }
        switch plain {
        case let read?:
            // The check also learns what sanitizing the rows as they load needs (the same pass).
            let facts = sanitizesWhileLoading ? DumpFacts() : nil
            let scan = try PlainDumpGuard.scan(copyData: facts, read)
            dumpFacts = facts
            (refusals, extensions) = (scan.refusals, scan.extensions)
            if scan.refusalCount > scan.refusals.count { context.log(.error, "\(scan.refusalCount - scan.refusals.count) more refused lines") }
        case nil:
            let toc = try RestoreListGuard(listing: tableOfContents(source, context))
            (refusals, extensions) = (toc.refusals, toc.extensions)
        }
        for refusal in refusals { context.log(.error, "refused: \(refusal)") }
        if let first = refusals.first {
            throw StepFailure.check("dump", "the dump is refused (\(first)\(refusals.count > 1 ? "; \(refusals.count - 1) more in the log" : "")): nothing on the target was touched")
        }
        try record(context) { $0.dumpExtensions = extensions.sorted() }
        context.log(.info, "dump checked: no psql commands, nothing outside the database\(extensions.isEmpty ? "" : "; extensions \(extensions.sorted().joined(separator: ", "))")")
    }

    /// A ZIP is checked whole before anything is dropped: member names, expansion ratios, the
    /// sizes it declares against the target's free disk, and (for an archive from outside, which
    /// no checksum of ocore's vouches for) every member's CRC and length.
    func checkArchive(_ zip: ZipArchiveReader, _ context: StepContext) throws {
        let check: ZipArchiveReader.Check
        do { check = try zip.checkDirectory() } catch { throw StepFailure.check("archive", "\(error): nothing on the target was touched") }
        let t = try target(context)
        let fs = RemoteFileSystem(Executors.forServer(t.server))
        if p.includeFilestore, check.declaredFilestore > 0 {
            let parent = (t.filestore as NSString).deletingLastPathComponent
            if let free = try? fs.diskSpace(at: parent).free, free < check.declaredFilestore {
                throw StepFailure.check("free disk", "the filestore needs \(formatBytes(check.declaredFilestore)) and \(t.server.name) has \(formatBytes(free)) free at \(parent): nothing on the target was touched")
            }
        }
        let database = check.declared - check.declaredFilestore
        if let dataDir = try? admin(t).scalar("SELECT setting FROM pg_settings WHERE name = 'data_directory'"), !dataDir.isEmpty,
           let free = try? fs.diskSpace(at: dataDir).free, free < database {
            throw StepFailure.check("free disk", "the database dump alone is \(formatBytes(database)) and PostgreSQL on \(t.server.name) has \(formatBytes(free)) free: nothing on the target was touched")
        }
        guard p.archivePath != nil else { return }
        let total = max(Double(check.declared), 1)
        do {
            try zip.checkContents { n in context.progress(min(Double(n) / total, 0.98), message: "\(formatBytes(n)) of \(formatBytes(check.declared)) checked") }
        } catch {
            throw StepFailure.check("archive", "\(error): nothing on the target was touched")
        }
        context.log(.info, "archive checked: every member's CRC and size (\(formatBytes(check.declared)))")
    }

    /// `pg_restore -l` of a custom- or directory-format dump, read on this host.
    func tableOfContents(_ source: RestoreSource, _ context: StepContext) throws -> String {
        let local = LocalExecutor()
        let listing: CommandResult
        switch source.database {
        case .customFile(let path), .directory(let path):
            listing = try local.run(Command(["pg_restore", "-l", "--", path]), outputLimit: 64 << 20)
        case .customMember(let name):
            // The table of contents is at the start of a custom-format archive: read from a pipe.
            let channel = ByteChannel(capacity: 16)
            let feeder = Thread {
                do { try source.zip!.read(name) { chunk in try chunk.withUnsafeBytes { try channel.sink.write($0) } }; channel.finish() } catch { channel.abandon() }
            }
            feeder.start()
            let out = CollectingSink(limit: 64 << 20), err = CollectingSink(limit: 64 << 10)
            let termination = try local.execute(Command(["pg_restore", "-l"]), stdin: channel.source, stdout: out, stderr: err, cancellation: context.cancellation)
            channel.abandon()
            listing = CommandResult(termination: termination, stdout: out.data, stderr: err.data)
        case .directoryMembers(let prefix):
            let dir = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: NSTemporaryDirectory()), create: true).path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try source.zip!.data(prefix + "toc.dat").write(to: URL(fileURLWithPath: dir + "/toc.dat"))
            listing = try local.run(Command(["pg_restore", "-l", "--", dir]), outputLimit: 64 << 20)
        case .plainMember, .plainFile:
            preconditionFailure("plain dumps have no table of contents")
        }
        guard listing.succeeded else { throw StepFailure.check("dump", "pg_restore cannot read its table of contents: \(listing.summary)") }
        return listing.stdoutText
    }

}
