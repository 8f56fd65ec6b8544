import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

/// Restores a backup (or imports an Odoo-format archive) into an environment: a verified safety
/// backup of the target first, the archive checked against its checksum, then the database
/// dropped and loaded (`dump.sql` streamed out of the ZIP into `psql` on the target's server),
/// the filestore streamed as tar into place, sanitization when production data lands outside
/// production, and the same verification as a clone. Nothing on the target is touched before
/// the safety backup is complete and verified.
public struct RestoreJob: JobKind {
    public struct NewEnvironment: Codable, Sendable {
        public var project: String
        public var type: EnvironmentType
        public var server: String
        public var url: String?
        public var addons: [String]
        public var pgPasswordEnv: String?

        public init(project: String, type: EnvironmentType, server: String, url: String?, addons: [String], pgPasswordEnv: String?) {
            self.project = project
            self.type = type
            self.server = server
            self.url = url
            self.addons = addons
            self.pgPasswordEnv = pgPasswordEnv
        }
    }

    public struct Parameters: Codable, Sendable {
        public var backupID: String?
        /// An archive on this host that ocore did not make (`restore import`).
        public var archivePath: String?
        public var target: String
        public var newEnvironment: NewEnvironment?
        public var mode: RestoreMode
        public var includeFilestore: Bool
        public var safetyBackup: Bool
        public var safetyBackupID: String
        public var safetyStorage: String?
        public var asMoved: Bool
        public var preset: String
        public var options: [String]
        public var passwordHash: String?

        public init(backupID: String?, archivePath: String?, target: String, newEnvironment: NewEnvironment?, mode: RestoreMode,
                    includeFilestore: Bool, safetyBackup: Bool, safetyStorage: String?, asMoved: Bool, preset: String, options: [String],
                    passwordHash: String?) {
            self.backupID = backupID
            self.archivePath = archivePath
            self.target = target
            self.newEnvironment = newEnvironment
            self.mode = mode
            self.includeFilestore = includeFilestore
            self.safetyBackup = safetyBackup
            self.safetyBackupID = BackupRecord.newID(at: Date())
            self.safetyStorage = safetyStorage
            self.asMoved = asMoved
            self.preset = preset
            self.options = options
            self.passwordHash = passwordHash
        }

        public var targetDatabase: String { target.replacingOccurrences(of: ".", with: "_") }
    }

    public init() {}

    public var name: String { "restore" }

    public static let markers: [Double] = [5, 25, 35, 40, 75, 88, 95, 100]

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.target, kind: "environment")
        let r = RestoreSession(p)
        let steps: [StepDefinition] = [
            StepDefinition(name: "pre_checks", title: "Pre-checks", run: { try r.preChecks($0) }, compensate: { try r.recordFailure($0) }),
            StepDefinition(name: "safety_backup", title: "Safety backup", run: { try r.safetyBackup($0) }, compensate: { try r.discardSafety($0) }),
            StepDefinition(name: "download", title: "Download and check", run: { try r.download($0) }, compensate: { r.removeDownload($0) }),
            StepDefinition(name: "prepare_database", title: "Prepare database", run: { try r.prepareDatabase($0) }, compensate: { try r.dropCreated($0) }),
            // The filestore starts extracting during the load, so a failed load undoes it too.
            StepDefinition(name: "load_database", title: "Load database", run: { try r.loadDatabase($0) }, compensate: { try r.undoFilestore($0) }),
            StepDefinition(name: "restore_filestore", title: "Restore filestore", run: { try r.restoreFilestore($0) }, compensate: { try r.undoFilestore($0) }),
            StepDefinition(name: "sanitize", title: "Sanitize", run: { try r.sanitize($0) }),
            StepDefinition(name: "verify", title: "Verify", run: { try r.verify($0) }, compensate: { try r.unregister($0) }),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }
}

final class RestoreSession: @unchecked Sendable {
    let p: RestoreJob.Parameters
    private var filestoreWork: BackgroundWork<String>?
    private var filestoreStop: CancellationFlag?
    /// Bytes of the filestore extracted so far, and the total when the archive says it.
    private let filestoreBytes = ByteCounter()
    private var filestoreTotal: Int64?
    /// The role the dump is loaded as (never a superuser); chosen in the pre-checks.
    private var loadRole: LoadRole?
    init(_ p: RestoreJob.Parameters) { self.p = p }

    // MARK: Where things are

    func target(_ store: SQLiteStateStore) throws -> ResolvedEnvironment {
        guard let n = p.newEnvironment else { return try store.resolvedEnvironment(named: p.target) }
        let server = try store.server(named: n.server)
        let env = Environment(name: p.target, project: n.project, type: n.type, server: n.server, dbName: p.targetDatabase, postgres: PostgresSettings(),
                              pgPasswordEnv: n.pgPasswordEnv, filestore: nil, addons: n.addons, url: n.url)
        return ResolvedEnvironment(env, on: server)
    }

    func admin(_ t: ResolvedEnvironment) -> PSQL {
        PSQL(executor: Executors.forServer(t.server), connection: PostgresConnection(t).database("postgres"))
    }

    /// The load role, or (in a run that did not choose it) a new one of the same name.
    func role(_ context: StepContext, _ t: ResolvedEnvironment) throws -> LoadRole {
        if let loadRole { return loadRole }
        let chosen = try LoadRole.choose(admin: admin(t), job: context.jobID)
        loadRole = chosen
        return chosen
    }

    /// psql in the restored database, as the load role: everything ocore does inside a database
    /// that came from a dump (sanitizing, verifying) runs without superuser rights, so the dump's
    /// triggers and functions cannot gain them.
    func targetPSQL(_ context: StepContext, _ t: ResolvedEnvironment) throws -> PSQL {
        try role(context, t).psql(executor: Executors.forServer(t.server), base: PostgresConnection(t))
    }

    func archiveFile(_ context: StepContext) -> String? { p.archivePath ?? context.state["archive_in_place"] ?? context.state["archive_file"] }

    func manifest(_ context: StepContext) -> BackupManifest? {
        context.state["manifest"].flatMap { try? BackupManifest.decode(Data($0.utf8)) }
    }

    func step(_ context: StepContext, _ name: String) { try? context.setState("step", name) }

    // MARK: Steps

    func preChecks(_ context: StepContext) throws {
        step(context, "pre_checks")
        let who = (try? context.store.job(context.jobID).createdBy) ?? "?"
        _ = try context.store.beginRestorePoint(RestorePointRecord(jobID: context.jobID, backupID: p.backupID, sourceFile: p.archivePath,
                                                                   environment: p.target, mode: p.mode, status: "running", requestedBy: who,
                                                                   startedAt: Date()))
        var pgVersion: String?
        if let id = p.backupID {
            let backup = try context.store.backup(id)
            guard backup.status.isRestorable else { throw CloneError.check("backup", "backup \(id) is \(backup.status.rawValue)") }
            let provider = try StorageProviders.make(for: try context.store.storage(named: backup.storage).location)
            let manifest = try BackupVerifier.storedManifest(backup, provider: provider)
            // An encrypted backup needs its key: a missing or wrong one stops here, before anything is touched.
            _ = try BackupVerifier.key(for: manifest, target: try context.store.storage(named: backup.storage))
            try context.setState("manifest", String(decoding: try manifest.encoded(), as: UTF8.self))
            pgVersion = manifest.pgVersion
        } else if let path = p.archivePath {
            guard FileManager.default.isReadableFile(atPath: path) else { throw CloneError.check("archive", "cannot read \(path)") }
            do { context.log(.info, "\(path): \(try RestoreSource.inspect(path).describe)") } catch { throw CloneError.check("archive", "\(error)") }
        }
        let t = try target(context.store)
        let admin = admin(t)
        let serverVersion: String?
        do { serverVersion = try admin.scalar("SHOW server_version_num") } catch {
            throw CloneError.check("target server reachable", "\(t.server.name): \(error)")
        }
        if let dumped = pgVersion.flatMap({ Int($0.split(separator: ".").first ?? "") }), let have = serverVersion.flatMap(Int.init).map({ $0 / 10_000 }),
           dumped > have {
            throw CloneError.check("PostgreSQL version", "the backup was dumped from PostgreSQL \(dumped), newer than \(t.server.name)'s \(have): nothing was touched")
        }
        if p.includeFilestore { try FilestoreGuard.check(t.filestore, on: Executors.forServer(t.server), environment: p.target) }
        let role = try LoadRole.choose(admin: admin, job: context.jobID)
        do { try role.checkLogin(admin: admin) } catch { throw CloneError.check("load role", "\(error): nothing was touched") }
        loadRole = role
        if p.newEnvironment != nil {
            if (try? context.store.environment(named: p.target)) != nil { throw CloneError.check("target name", "an environment named \(p.target) already exists") }
            if try admin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(t.environment.dbName))") == "1" {
                throw CloneError.check("target name", "database \(t.environment.dbName) already exists on \(t.server.name)")
            }
        }
        context.log(.info, "restore \(p.backupID ?? p.archivePath ?? "?") into \(p.target) (\(p.mode.rawValue), database \(t.environment.dbName) on \(t.server.name))")
    }

    func safetyBackup(_ context: StepContext) throws {
        step(context, "safety_backup")
        guard p.newEnvironment == nil, p.safetyBackup else {
            return context.log(.warning, p.newEnvironment == nil ? "no safety backup (--no-safety-backup)" : "new environment: nothing to back up first")
        }
        let storage = try p.safetyStorage ?? p.backupID.map { try context.store.backup($0).storage } ?? defaultStorage(context.store)
        try BackupSession.safetyBackup(safetyParameters(storage: storage), context)
        try context.setState("safety_backup_id", p.safetyBackupID)
        try context.store.updateRestorePoint(job: context.jobID, safetyBackupID: p.safetyBackupID)
    }

    func safetyParameters(storage: String) -> BackupJob.Parameters {
        BackupJob.Parameters(backupID: p.safetyBackupID, environment: p.target, storage: storage, type: .preRestore,
                             includeFilestore: p.includeFilestore, tier: .daily)
    }

    func defaultStorage(_ store: SQLiteStateStore) throws -> String {
        guard let name = try BackupSession.defaultStorage(store) else {
            throw CloneError.check("safety backup", "no default storage for the safety backup (give --safety-storage, or add one)")
        }
        return name
    }

    func download(_ context: StepContext) throws {
        step(context, "download")
        guard let id = p.backupID else {
            context.log(.info, "archive \(p.archivePath ?? "")")
            return try checkDump(context)
        }
        let backup = try context.store.backup(id)
        let storage = try context.store.storage(named: backup.storage)
        let location = storage.location
        let key = try manifest(context).flatMap { try BackupVerifier.key(for: $0, target: storage) }
        if case .directory(let root) = location, key == nil {
            // A backup on this host's disk is read where it is (checked first), never copied.
            let path = root + "/" + backup.key
            let total = max(Double(backup.size ?? 1), 1)
            let got = try BackupVerifier.hashFile(path) { n in context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) checked") }
            guard got.sha256 == backup.sha256 else {
                throw CloneError.check("archive checksum", "\(path): \(got.sha256.prefix(16))…, expected \(backup.sha256?.prefix(16) ?? "?")…: nothing on the target was touched")
            }
            try context.setState("archive_in_place", path)
            context.log(.info, "archive checked in place (\(formatBytes(got.size)), sha256 matches)")
            return try checkDump(context)
        }
        let provider = try StorageProviders.make(for: location)
        let dir = context.store.path.replacingOccurrences(of: "/ocore.db", with: "") + "/tmp"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = "\(dir)/restore-\(context.jobID)-\(id).zip"
        try context.setState("archive_file", file)
        let total = max(Double(backup.size ?? 1), 1)
        let got = try BackupVerifier.download(backup, provider: provider, to: file, key: key) { n in
            context.progress(min(Double(n) / total, 0.99), message: "\(formatBytes(n)) downloaded")
        }
        guard got.sha256 == backup.sha256 else {
            throw CloneError.check("archive checksum", "downloaded \(got.sha256.prefix(16))…, expected \(backup.sha256?.prefix(16) ?? "?")…: nothing on the target was touched")
        }
        context.log(.info, "archive downloaded and checked (\(formatBytes(got.size)), sha256 matches)")
        try checkDump(context)
    }

    /// Reads the dump as untrusted input before anything is dropped: psql commands and statements
    /// that reach past the database refuse the restore with their line (plain SQL) or entry
    /// (pg_restore's table of contents). Whatever made the backup, it is checked the same way.
    func checkDump(_ context: StepContext) throws {
        guard let file = archiveFile(context) else { throw CloneError.check("archive", "no archive to load") }
        let source: RestoreSource
        do { source = try RestoreSource.inspect(file) } catch { throw CloneError.check("archive", "\(error)") }
        if let zip = source.zip { try checkArchive(zip, context) }
        context.progress(0.99, message: "checking the dump", force: true)
        let refusals: [DumpRefusal]
        let extensions: Set<String>
        let plain: (((Data) throws -> Void) throws -> Void)? = switch source.database {
        case .plainMember(let name): { chunk in try source.zip!.read(name, chunk: chunk) }
        case .plainFile(let path): { chunk in try readFile(path, chunk: chunk) }
        default: nil
        }
        switch plain {
        case let read?:
            let scan = try PlainDumpGuard.scan(read)
            (refusals, extensions) = (scan.refusals, scan.extensions)
            if scan.refusalCount > scan.refusals.count { context.log(.error, "\(scan.refusalCount - scan.refusals.count) more refused lines") }
        case nil:
            let toc = try RestoreListGuard(listing: tableOfContents(source, context))
            (refusals, extensions) = (toc.refusals, toc.extensions)
        }
        for refusal in refusals { context.log(.error, "refused: \(refusal)") }
        if let first = refusals.first {
            throw CloneError.check("dump", "the dump is refused (\(first)\(refusals.count > 1 ? "; \(refusals.count - 1) more in the log" : "")): nothing on the target was touched")
        }
        try context.setState("dump_extensions", extensions.sorted().joined(separator: ","))
        context.log(.info, "dump checked: no psql commands, nothing outside the database\(extensions.isEmpty ? "" : "; extensions \(extensions.sorted().joined(separator: ", "))")")
    }

    /// A ZIP is checked whole before anything is dropped: member names, expansion ratios, the
    /// sizes it declares against the target's free disk, and (for an archive from outside, which
    /// no checksum of ocore's vouches for) every member's CRC and length.
    func checkArchive(_ zip: ZipArchiveReader, _ context: StepContext) throws {
        let check: ZipArchiveReader.Check
        do { check = try zip.checkDirectory() } catch { throw CloneError.check("archive", "\(error): nothing on the target was touched") }
        let t = try target(context.store)
        let fs = RemoteFileSystem(Executors.forServer(t.server))
        if p.includeFilestore, check.declaredFilestore > 0 {
            let parent = (t.filestore as NSString).deletingLastPathComponent
            if let free = try? fs.diskSpace(at: parent).free, free < check.declaredFilestore {
                throw CloneError.check("free disk", "the filestore needs \(formatBytes(check.declaredFilestore)) and \(t.server.name) has \(formatBytes(free)) free at \(parent): nothing on the target was touched")
            }
        }
        let database = check.declared - check.declaredFilestore
        if let dataDir = try? admin(t).scalar("SELECT setting FROM pg_settings WHERE name = 'data_directory'"), !dataDir.isEmpty,
           let free = try? fs.diskSpace(at: dataDir).free, free < database {
            throw CloneError.check("free disk", "the database dump alone is \(formatBytes(database)) and PostgreSQL on \(t.server.name) has \(formatBytes(free)) free: nothing on the target was touched")
        }
        guard p.archivePath != nil else { return }
        let total = max(Double(check.declared), 1)
        do {
            try zip.checkContents { n in context.progress(min(Double(n) / total, 0.98), message: "\(formatBytes(n)) of \(formatBytes(check.declared)) checked") }
        } catch {
            throw CloneError.check("archive", "\(error): nothing on the target was touched")
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
        guard listing.succeeded else { throw CloneError.check("dump", "pg_restore cannot read its table of contents: \(listing.summary)") }
        return listing.stdoutText
    }

    func prepareDatabase(_ context: StepContext) throws {
        step(context, "prepare_database")
        let t = try target(context.store)
        let db = SQL.identifier(t.environment.dbName)
        let admin = admin(t)
        let role = try role(context, t)
        let previousOwner = try admin.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = \(SQL.literal(t.environment.dbName))")
        try context.setState("final_owner", previousOwner.flatMap { $0.isEmpty || $0.hasPrefix("ocore_load_") ? nil : $0 } ?? admin.connection.user)
        if role.isTemporary {
            try context.setState("load_role", role.name)
            try role.create(admin: admin)
        }
        if p.newEnvironment == nil {
            try stopService(t, context)
            try context.setState("target_dropped", "1")
            try admin.execute("DROP DATABASE IF EXISTS \(db) WITH (FORCE);")
            context.log(.warning, "dropped \(t.environment.dbName) on \(t.server.name) (safety backup: \(context.state["safety_backup_id"] ?? "none"))")
        } else {
            try context.setState("created_database", t.environment.dbName)
        }
        try admin.execute("CREATE DATABASE \(db) OWNER \(SQL.identifier(role.name)) ENCODING 'UTF8' TEMPLATE template0;")
        // The dump's extensions are created here, as an administrator: the load role may not.
        let extensions = Set((context.state["dump_extensions"] ?? "").split(separator: ",").map(String.init) + ["pg_trgm"])
        let inDatabase = PSQL(executor: Executors.forServer(t.server), connection: PostgresConnection(t))
        for name in extensions.sorted() where DumpPolicy.extensions.contains(name) {
            do { try inDatabase.execute("CREATE EXTENSION IF NOT EXISTS \(SQL.identifier(name));") } catch {
                context.log(.warning, "extension \(name) could not be created on \(t.server.name): \(error)")
            }
        }
        context.log(.info, "\(t.environment.dbName) created, owned by \(role.name)\(role.isTemporary ? " (a temporary role without superuser rights, for the load)" : "")")
    }

    func loadDatabase(_ context: StepContext) throws {
        step(context, "load_database")
        guard let file = archiveFile(context) else { throw CloneError.check("archive", "no archive to load") }
        let source: RestoreSource
        do { source = try RestoreSource.inspect(file) } catch { throw CloneError.check("archive", "\(error)") }
        context.log(.info, "loading \(source.describe)")
        try startFilestore(context, source)
        let t = try target(context.store)
        let executor = Executors.forServer(t.server)
        let role = try role(context, t)
        let connection = role.connection(PostgresConnection(t))
        let psql = Command(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + connection.clientArguments + ["-d", connection.database],
                           environment: role.clientEnvironment(PostgresConnection(t)))
        // psql refuses every backslash command after `\restrict KEY`; the dump cannot know the key.
        let restrict = PlainDumpGuard(restrictKey: randomKey())
        switch source.database {
        case .plainMember(let name):
            let zip = source.zip!
            let total = Double(max(zip.members.first { $0.name == name }?.size ?? 1, 1))
            let phases = LoadPhases()
            let result = try streamMember(of: zip, names: [name], filter: restrict, into: psql, on: executor, context: context) { chunk, sent in
                phases.scan(chunk)
                context.progress(min(Double(sent) / total, 0.99), message: "\(phases.tables) tables loaded, \(phases.indexes) indexes, \(phases.constraints) constraints")
            }
            guard result.succeeded else { throw CloneError.command("psql", result.summary) }
            context.log(.info, "database loaded: \(phases.tables) tables, \(phases.indexes) indexes, \(phases.constraints) constraints")
        case .plainFile(let path):
            let total = Double(max((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil ?? 1, 1))
            let outcome = try Pipe.run(from: LocalExecutor(), Command(["cat", "--", path]), to: executor, psql, filter: restrict, progress: { sent in
                context.progress(min(Double(sent) / total, 0.99), message: "\(formatBytes(sent)) of SQL loaded")
            }, cancellation: context.cancellation)
            try context.checkCancelled()
            guard outcome.succeeded else { throw CloneError.command("psql", (outcome.sink.succeeded ? outcome.source : outcome.sink).summary) }
            context.log(.info, "database loaded from \((path as NSString).lastPathComponent)")
        default:
            try loadWithPgRestore(source, target: t, context: context)
        }
    }

    /// A custom- or directory-format dump is loaded by `pg_restore` with parallel jobs, which needs
    /// it as a file or folder on the target's server: used where it is when that server is this
    /// host, otherwise (and for ZIP members) unpacked into a staging directory there first.
    private func loadWithPgRestore(_ source: RestoreSource, target t: ResolvedEnvironment, context: StepContext) throws {
        let executor = Executors.forServer(t.server)
        let fs = RemoteFileSystem(executor)
        let local: Bool = { if case .local = t.server.connection { true } else { false } }()
        func staging() throws -> String {
            let dir = try fs.makeTemporaryDirectory(prefix: "ocore-restore")
            try context.setState("restore_staging", dir)
            return dir
        }
        let dumpPath: String
        switch source.database {
        case .customFile(let path) where local, .directory(let path) where local:
            dumpPath = path
        case .customFile(let path):
            dumpPath = try staging() + "/db.dump"
            context.progress(0, message: "copying the dump to \(t.server.name)", force: true)
            let outcome = try Pipe.run(from: LocalExecutor(), Command(["cat", "--", path]), to: executor,
                                       Command(["dd", "of=\(dumpPath)", "bs=1M", "status=none"]), cancellation: context.cancellation)
            guard outcome.succeeded else { throw CloneError.command("copy of the dump", (outcome.sink.succeeded ? outcome.source : outcome.sink).summary) }
        case .directory(let path):
            dumpPath = try staging() + "/dump"
            context.progress(0, message: "copying the dump to \(t.server.name)", force: true)
            _ = try RemoteFileSystem.copyTree(from: RemoteFileSystem(LocalExecutor()), path, to: fs, dumpPath, cancellation: context.cancellation)
        case .customMember(let name):
            let dir = try staging()
            dumpPath = dir + "/" + name
            let result = try streamMember(of: source.zip!, names: [name], asTar: true, stripPrefix: "", into: RemoteFileSystem.tarIn(dir),
                                          on: executor, context: context) { _, _ in }
            guard result.succeeded else { throw CloneError.command("tar", result.summary) }
        case .directoryMembers(let prefix):
            dumpPath = try staging() + "/dump"
            try fs.makeDirectory(dumpPath)
            let names = source.zip!.members.map(\.name).filter { $0.hasPrefix(prefix) }
            let result = try streamMember(of: source.zip!, names: names, asTar: true, stripPrefix: prefix, into: RemoteFileSystem.tarIn(dumpPath),
                                          on: executor, context: context) { _, _ in }
            guard result.succeeded else { throw CloneError.command("tar", result.summary) }
        case .plainMember, .plainFile:
            preconditionFailure("plain dumps are loaded by psql")
        }
        try context.checkCancelled()
        let role = try role(context, t)
        let connection = role.connection(PostgresConnection(t))
        let listing = try executor.run(Command(["pg_restore", "-l", dumpPath]), outputLimit: 64 << 20)
        guard listing.succeeded else { throw CloneError.command("pg_restore -l", listing.summary) }
        // What is loaded is the checked list: extensions (created beforehand) and anything refused left out.
        let toc = RestoreListGuard(listing: listing.stdoutText)
        if let refused = toc.refusals.first { throw CloneError.check("dump", "refused: \(refused)") }
        let listDir = try context.state["restore_staging"] ?? staging()
        let listFile = listDir + "/restore.list"
        try fs.writeFile(listFile, Data(toc.list.utf8))
        let jobs = max(2, min(4, (try? fs.cpuCount()) ?? 2))
        let progress = PgRestoreProgress(total: PgRestoreProgress.countEntries(listing: listing.stdoutText)) { p in
            context.progress(min(p.fraction, 0.99), message: p.summary)
        }
        var environment = role.clientEnvironment(PostgresConnection(t))
        environment["PGOPTIONS"] = PostgresConnection(t).indexBuildEnvironment(on: executor, jobs: jobs)["PGOPTIONS"]
        let restore = Command(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--verbose", "--jobs=\(jobs)", "-L", listFile]
                              + connection.clientArguments + ["-d", connection.database, dumpPath], environment: environment)
        context.log(.info, "pg_restore --jobs=\(jobs) on \(t.server.name) as \(role.name)")
        let termination = try executor.execute(restore, stdin: nil, stdout: DiscardingSink(), stderr: progress, cancellation: context.cancellation)
        try context.checkCancelled()
        guard termination == .exited(0) else {
            throw CloneError.command("pg_restore", progress.errors.isEmpty ? "\(termination)" : progress.errors.joined(separator: "; "))
        }
        removeStaging(context)
        context.log(.info, "database loaded: \(progress.summary)")
    }

    /// Streams ZIP members (as they are, or as a tar of them) into a command on a server.
    func streamMember(of zip: ZipArchiveReader, names: [String], asTar: Bool = false, stripPrefix: String = "filestore/",
                      filter: (any StreamFilter)? = nil, into command: Command, on executor: any Executor,
                      context: StepContext, cancellation: CancellationFlag? = nil,
                      progress: @escaping @Sendable (Data, Int64) -> Void) throws -> CommandResult {
        let cancellation = cancellation ?? context.cancellation
        let channel = ByteChannel(capacity: 16)
        nonisolated(unsafe) let filter = filter  // used by the feeder thread alone
        let feeder = Thread {
            do {
                var sent: Int64 = 0
                let tar = asTar ? TarStreamWriter(sink: channel.sink) : nil
                let wanted = Set(names)
                try zip.readAll(where: { wanted.contains($0) }, begin: { name, size in
                    try tar?.begin(path: String(name.dropFirst(stripPrefix.count)), size: size)
                }, chunk: { chunk in
                    if let tar { try chunk.withUnsafeBytes { try tar.write($0) } }
                    else if let filter {
                        let out = try chunk.withUnsafeBytes { try filter.filter($0) }
                        try out.withUnsafeBytes { try channel.sink.write($0) }
                    } else { try chunk.withUnsafeBytes { try channel.sink.write($0) } }
                    sent += Int64(chunk.count)
                    progress(chunk, sent)
                })
                if let rest = try filter?.finish(), !rest.isEmpty { try rest.withUnsafeBytes { try channel.sink.write($0) } }
                try tar?.finish()
                channel.finish()
            } catch is ReceiverGone {
                channel.fail()  // the command stopped first: its own error says why (a full disk, …)
            } catch {
                context.log(.error, "reading the archive failed: \(error)")
                channel.fail()
            }
        }
        feeder.start()
        let err = CollectingSink(limit: 64 << 10)
        let termination: CommandResult.Termination
        do {
            termination = try executor.execute(command, stdin: channel.source, stdout: DiscardingSink(), stderr: err, cancellation: cancellation)
        } catch {
            channel.abandon()
            throw error
        }
        channel.abandon()
        try context.checkCancelled()
        return CommandResult(termination: termination, stderr: err.data)
    }

    /// The filestore is extracted while the database loads (they use different resources: the
    /// load is PostgreSQL's CPU, the extraction is disk): started here, awaited in its own step.
    func startFilestore(_ context: StepContext, _ source: RestoreSource) throws {
        guard p.includeFilestore else { return }
        if source.filestore == .none { return context.log(.warning, "the backup holds no filestore: \(p.target)'s filestore is left as it is") }
        let t = try target(context.store)
        let executor = Executors.forServer(t.server)
        let fs = RemoteFileSystem(executor)
        let dir = t.filestore
        try FilestoreGuard.check(dir, on: executor, environment: p.target)
        if try fs.stat(dir) != nil {
            let aside = dir + ".ocore-pre-restore-\(context.jobID)"
            try context.setState("moved_filestore", aside)
            try fs.rename(dir, to: aside)
        } else if p.newEnvironment != nil {
            try context.setState("created_filestore", dir)
        }
        try fs.makeDirectory(dir)
        let stop = CancellationFlag()
        filestoreStop = stop
        // The ZIP reader serves one thread at a time: the extraction has its own.
        let zip = try source.zip.map { try ZipArchiveReader(path: $0.path) }
        if case .members(let prefix) = source.filestore {
            filestoreTotal = zip?.members.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.size }
        }
        filestoreWork = BackgroundWork { [self] in
            switch source.filestore {
            case .members(let prefix):
                let files = zip!.members.filter { $0.name.hasPrefix(prefix) && !$0.name.hasSuffix("/") }
                let counter = filestoreBytes
                let result = try streamMember(of: zip!, names: files.map(\.name), asTar: true, stripPrefix: prefix, into: RemoteFileSystem.tarIn(dir),
                                              on: executor, context: context, cancellation: stop) { _, sent in counter.set(sent) }
                guard result.succeeded else { throw CloneError.command("tar", result.summary) }
                return "\(files.count) files, \(formatBytes(files.reduce(0) { $0 + $1.size })) into \(dir)"
            case .tarGzMember(let name):
                let result = try streamMember(of: zip!, names: [name], into: Command(["tar", "-x", "-z", "-f", "-", "-C", dir]),
                                              on: executor, context: context, cancellation: stop) { _, _ in }
                guard result.succeeded else { throw CloneError.command("tar", result.summary) }
                return "\(name) extracted into \(dir)"
            case .directory(let path):
                let bytes = try RemoteFileSystem.copyTree(from: RemoteFileSystem(LocalExecutor()), path, to: fs, dir, cancellation: stop)
                return "\(formatBytes(bytes)) copied from \(path) into \(dir)"
            case .none:
                return "nothing"
            }
        }
    }

    func restoreFilestore(_ context: StepContext) throws {
        step(context, "restore_filestore")
        guard p.includeFilestore else { return context.log(.info, "filestore left as it is (--no-filestore)") }
        if filestoreWork == nil, let file = archiveFile(context) { try startFilestore(context, try RestoreSource.inspect(file)) }
        guard let work = filestoreWork else { return }
        while !work.isDone {
            if context.cancellation.isCancelled { filestoreStop?.cancel() }
            let done = filestoreBytes.value
            if let total = filestoreTotal, total > 0 {
                context.progress(min(Double(done) / Double(total), 0.99), message: "\(formatBytes(done)) of \(formatBytes(total)) extracted")
            } else {
                context.progress(0.5, message: "extracting (started with the database load)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let summary = try work.wait().get()
        try context.checkCancelled()
        let t = try target(context.store)
        if let owner = t.environment.filestoreOwner {
            let chown = try Executors.forServer(t.server).run(Command(["chown", "-R", "--", owner, t.filestore]), cancellation: context.cancellation)
            guard chown.succeeded else { throw CloneError.command("chown \(owner)", chown.summary) }
            context.log(.info, "filestore files now belong to \(owner)")
        }
        if let aside = context.state["moved_filestore"] {
            try RemoteFileSystem(Executors.forServer(t.server)).removeTree(aside)
            try context.setState("moved_filestore", nil)
        }
        context.log(.info, "filestore restored: \(summary)")
    }

    func sanitize(_ context: StepContext) throws {
        step(context, "sanitize")
        let t = try target(context.store)
        let psql = try targetPSQL(context, t)
        let copy = !p.asMoved && p.mode != .original
        var outcome = CloneJob.Outcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        if p.preset != "none" {
            let source = manifest(context).flatMap { m in try? context.store.resolvedEnvironment(named: m.ocore.environment) }
            if source == nil {
                // The counts could not be shown beforehand (an import, or a source that is gone):
                // counted here, on the loaded copy, before anything is changed or released.
                let impacts = (try? ImpactPreview(psql: psql).run(keys: p.options)) ?? []
                for impact in impacts { context.log(.info, "will \(impact.key): \(impact.text)") }
            }
            outcome = try SanitizationRun(target: psql, addons: t.environment.addons, preset: p.preset, options: p.options, targetURL: t.environment.url,
                                          passwordHash: p.passwordHash,
                                          proofSource: source.map { PSQL(executor: Executors.forServer($0.server), connection: PostgresConnection($0)) },
                                          resetIdentity: copy).apply(context)
        } else if copy {
            try OdooTarget(psql: psql).resetIdentity(markNeutralized: false)
            context.log(.info, "new database.uuid and database.secret (a copy, not a move)")
        } else {
            context.log(.info, p.asMoved ? "identity kept (--as-moved)" : "identity kept (restored in place)")
        }
        try context.setState("outcome", String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
    }

    func verify(_ context: StepContext) throws {
        step(context, "verify")
        let t = try target(context.store)
        let restarted = try startService(t, context)
        let executor = Executors.forServer(t.server)
        let psql = try targetPSQL(context, t)
        let row = try psql.query("""
            SELECT to_regclass('res_users') IS NOT NULL AND to_regclass('ir_module_module') IS NOT NULL,
                   (SELECT count(*) FROM res_users), (SELECT count(*) FROM ir_module_module WHERE state = 'installed')
            """).first ?? []
        guard row.first == "t" else { throw CloneError.check("verification", "key tables missing in \(t.environment.dbName)") }
        var verification = ["key_tables": "present", "users": row[1], "modules": row[2]]
        if p.includeFilestore {
            let names = Set(try psql.query("SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL").map { $0[0] })
            let listing = try executor.run(Command(["find", t.filestore, "-type", "f", "-printf", "%P\\n"]), outputLimit: 256 << 20)
            let missing = names.subtracting(listing.stdoutText.split(separator: "\n").map(String.init)).count
            verification["attachments"] = String(names.count)
            verification["missing_files"] = String(missing)
            if missing > 0 { context.log(.warning, "\(missing) attachment file(s) missing from the restored filestore") }
        }
        if let url = t.environment.url {
            // Only a service ocore restarted must answer; otherwise Odoo may simply not run there.
            let health = HTTPHealth.check(url, waitUpTo: restarted ? 60 : 0, cancellation: context.cancellation)
            verification["http"] = health.summary
            if !health.ok {
                if restarted { throw CloneError.check("HTTP health", "\(url) after the restart: \(health.summary)") }
                context.log(.warning, "\(url) does not answer (\(health.summary)): start the Odoo service of \(p.target) if it should run")
            } else {
                context.log(.info, "\(url) answers: \(health.summary)")
            }
        }
        try handOver(context, t)
        if p.newEnvironment != nil {
            try context.setState("registered", p.target)
            _ = try context.store.addEnvironment(t.environment)
        }
        var outcome = (try? JSONDecoder().decode(CloneJob.Outcome.self, from: Data((context.state["outcome"] ?? "{}").utf8)))
            ?? CloneJob.Outcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        outcome.verification = verification
        try context.store.setJobResult(context.jobID, String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        try context.store.updateRestorePoint(job: context.jobID, status: "completed", targetState: "restored", ended: true)
        removeDownload(context)
        context.log(.info, "verified: \(verification["users"] ?? "?") users, \(verification["modules"] ?? "?") modules, \(verification["missing_files"] ?? "0") missing files")
    }

    /// The restored database goes to its owner (the one it had, or the environment's role) and
    /// the temporary load role is removed.
    func handOver(_ context: StepContext, _ t: ResolvedEnvironment) throws {
        guard let name = context.state["load_role"] else { return }
        let owner = context.state["final_owner"] ?? admin(t).connection.user
        try LoadRole.handOver(name: name, database: t.environment.dbName, to: owner, admin: admin(t))
        try context.setState("load_role", nil)
        context.log(.info, "\(t.environment.dbName) now belongs to \(owner); the temporary role \(name) is removed")
    }

    // MARK: Failure

    func recordFailure(_ context: StepContext) throws {
        if let t = try? target(context.store) {
            do { try handOver(context, t) } catch { context.log(.error, "the temporary role \(context.state["load_role"] ?? "") could not be removed: \(error)") }
        }
        let inPlace = p.newEnvironment == nil
        let failedStep = context.state["step"], error = context.state["error"]
        let safety = context.state["safety_backup_id"]
        var broken = inPlace && context.state["target_dropped"] != nil
        var putBack = false
        if broken, let safety {
            do {
                try putBackSafetyBackup(safety, context)
                putBack = true
                broken = false
            } catch {
                context.log(.error, "putting \(p.target) back from its safety backup \(safety) failed: \(error)")
            }
        }
        if let t = try? target(context.store) {
            do { try startService(t, context) } catch { context.log(.error, "the Odoo service of \(p.target) did not start again: \(error)") }
        }
        let state = !inPlace ? "removed" : putBack ? "put back" : broken ? "broken" : "untouched"
        try context.store.updateRestorePoint(job: context.jobID, status: "failed", failedStep: failedStep,
                                             error: error ?? "the restore did not complete", targetState: state, ended: true)
        if putBack {
            context.log(.warning, "\(p.target) was put back as it was before this restore, from its verified safety backup \(safety ?? "")")
        } else if broken {
            context.log(.error, "\(p.target) is left BROKEN; its verified safety backup is \(safety ?? "missing"): restore it with `ocore restore \(safety ?? "ID") --to \(p.target) --no-safety-backup --confirm \(p.target)`")
        } else {
            context.log(.info, inPlace ? "\(p.target) was not touched" : "everything created for \(p.target) was removed")
        }
        removeDownload(context)
    }

    /// A failed in-place restore puts the target's database back from the verified safety backup
    /// taken at its start (its filestore was already put back by the filestore step's undo): the
    /// same download, checks and load, as the same kind of role, without sanitizing (it is the
    /// target's own data) and without another safety backup.
    func putBackSafetyBackup(_ id: String, _ context: StepContext) throws {
        context.log(.info, "putting \(p.target) back from its safety backup \(id)…")
        removeDownload(context)
        try context.setState("archive_in_place", nil)
        let back = RestoreSession(RestoreJob.Parameters(
            backupID: id, archivePath: nil, target: p.target, newEnvironment: nil, mode: .original, includeFilestore: false,
            safetyBackup: false, safetyStorage: nil, asMoved: true, preset: SanitizationCatalog.Preset.none.rawValue, options: [], passwordHash: nil))
        let t = try target(context.store)
        defer { back.removeDownload(context) }
        try back.download(context)
        try back.prepareDatabase(context)
        try back.loadDatabase(context)
        let tables = try back.targetPSQL(context, t).scalar("SELECT to_regclass('res_users') IS NOT NULL AND to_regclass('ir_module_module') IS NOT NULL")
        try back.handOver(context, t)
        guard tables == "t" else { throw CloneError.check("put back", "key tables missing after loading \(id)") }
    }

    /// Stops the environment's Odoo service (when a stop command is configured) so nothing writes
    /// to the database while it is replaced.
    func stopService(_ t: ResolvedEnvironment, _ context: StepContext) throws {
        guard let stop = t.environment.serviceStop else { return }
        let result = try Executors.forServer(t.server).run(Command(stop, timeout: .seconds(300)), outputLimit: 64 << 10, cancellation: context.cancellation)
        guard result.succeeded else { throw CloneError.command("stop command (\(stop.joined(separator: " ")))", result.summary) }
        try context.setState("service_stopped", "1")
        context.log(.info, "Odoo service of \(p.target) stopped: \(stop.joined(separator: " "))")
    }

    /// Starts the service again if this restore stopped it; returns whether it did.
    @discardableResult
    func startService(_ t: ResolvedEnvironment, _ context: StepContext) throws -> Bool {
        guard context.state["service_stopped"] != nil, let start = t.environment.serviceStart else { return false }
        let result = try Executors.forServer(t.server).run(Command(start, timeout: .seconds(300)), outputLimit: 64 << 10)
        guard result.succeeded else { throw CloneError.command("start command (\(start.joined(separator: " ")))", result.summary) }
        try context.setState("service_stopped", nil)
        context.log(.info, "Odoo service of \(p.target) started: \(start.joined(separator: " "))")
        return true
    }

    func discardSafety(_ context: StepContext) throws {
        guard context.state["safety_backup_id"] == nil, p.newEnvironment == nil, p.safetyBackup else { return }
        try BackupSession.discard(safetyParameters(storage: ""), context)
    }

    /// Removes a dump unpacked on the target's server for `pg_restore`.
    func removeStaging(_ context: StepContext) {
        guard let dir = context.state["restore_staging"], let t = try? target(context.store) else { return }
        try? RemoteFileSystem(Executors.forServer(t.server)).removeTree(dir)
        try? context.setState("restore_staging", nil)
    }

    func removeDownload(_ context: StepContext) {
        removeStaging(context)
        guard let file = context.state["archive_file"] else { return }
        unlink(file)
        try? context.setState("archive_file", nil)
    }

    func dropCreated(_ context: StepContext) throws {
        guard let db = context.state["created_database"] else { return }
        let t = try target(context.store)
        try admin(t).execute("DROP DATABASE IF EXISTS \(SQL.identifier(db)) WITH (FORCE);")
        try context.setState("created_database", nil)
        context.log(.info, "dropped \(db)")
    }

    func undoFilestore(_ context: StepContext) throws {
        // An extraction still running (the load failed first) is stopped before anything moves.
        filestoreStop?.cancel()
        _ = filestoreWork?.wait()
        let t = try target(context.store)
        let fs = RemoteFileSystem(Executors.forServer(t.server))
        if let aside = context.state["moved_filestore"] {
            try? fs.removeTree(t.filestore)
            try fs.rename(aside, to: t.filestore)
            try context.setState("moved_filestore", nil)
            context.log(.info, "previous filestore put back")
        } else if let created = context.state["created_filestore"] {
            try fs.removeTree(created)
            try context.setState("created_filestore", nil)
        }
    }

    func unregister(_ context: StepContext) throws {
        guard context.state["registered"] != nil else { return }
        try? context.store.removeEnvironment(named: p.target)
    }
}

/// Counts what a plain SQL dump has loaded so far, from the text going by.
final class LoadPhases: @unchecked Sendable {
    private(set) var tables = 0
    private(set) var indexes = 0
    private(set) var constraints = 0
    private var tail = Data()

    func scan(_ chunk: Data) {
        // The end of the previous chunk is scanned again so a marker split across chunks is seen;
        // only matches that reach into the new chunk count.
        let text = tail + chunk
        let fresh = tail.count
        tables += text.occurrences(of: "\nCOPY ", endingAfter: fresh)
        indexes += text.occurrences(of: "\nCREATE INDEX ", endingAfter: fresh) + text.occurrences(of: "\nCREATE UNIQUE INDEX ", endingAfter: fresh)
        constraints += text.occurrences(of: " ADD CONSTRAINT ", endingAfter: fresh)
        tail = Data(text.suffix(24))
    }
}

extension Data {
    func occurrences(of needle: String, endingAfter offset: Int) -> Int {
        let n = Data(needle.utf8)
        var count = 0
        var start = startIndex
        while let r = self.range(of: n, in: start..<endIndex) {
            if r.upperBound - startIndex > offset { count += 1 }
            start = r.upperBound
        }
        return count
    }
}

/// A byte count written by one thread and read by another.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    func set(_ n: Int64) { lock.withLock { bytes = n } }
    func add(_ n: Int64) { lock.withLock { bytes += n } }
    var value: Int64 { lock.withLock { bytes } }
}

/// Work on its own thread whose result is awaited later.
final class BackgroundWork<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<T, Error>?

    init(_ work: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            let r = Result { try work() }
            lock.withLock { result = r }
            done.signal()
        }
    }

    var isDone: Bool { lock.withLock { result != nil } }

    func wait() -> Result<T, Error> {
        done.wait()
        done.signal()
        return lock.withLock { result! }
    }
}


/// A random key for psql's `\\restrict` (letters and digits, as pg_dump makes them).
func randomKey() -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return String((0..<48).map { _ in letters.randomElement()! })
}

/// Reads a file on this host in chunks.
func readFile(_ path: String, chunk: (Data) throws -> Void) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw CloneError.check("archive", "cannot read \(path)") }
    defer { try? handle.close() }
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { try chunk(data) }
}
