import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// Copies an environment into a new one with sanitization, as the seeds' ten steps (their
/// percentages kept as the visible progress). Production stays online: the database is streamed
/// `pg_dump | pg_restore` (data first, then indexes and constraints), the filestore is
/// hard-linked on the same server or streamed as tar across servers, and the source is only ever
/// read. Every step that creates something on the target records it in the job state, and its
/// compensation removes exactly that.
public struct CloneJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var source: String
        public var target: String
        public var targetType: EnvironmentType
        public var targetServer: String
        public var targetURL: String?
        public var preset: String
        public var options: [String]
        /// Odoo hash of the reset password (the password itself is never stored).
        public var passwordHash: String?
        public var includeFilestore: Bool
        /// Replace mode: the existing target's database and filestore (nil for a new environment).
        public var replaceDatabase: String?
        public var replaceFilestore: String?
        public var safetyBackupID: String?
        public var safetyStorage: String?
        /// A disaster-recovery replica keeps database.uuid/secret (only with preset none).
        public var keepIdentity: Bool?
        /// `CREATE DATABASE … TEMPLATE source` (same server; disconnects the source's sessions).
        public var fastCopy: Bool?
        /// Apply the personal-data options in the copy (default) rather than with UPDATEs after it.
        public var sanitizeInCopy: Bool?
        /// Parallel jobs for dump, restore and index builds, and sanitizing streams (nil: one per core, at most 4).
        public var jobs: Int?
        /// Compress what crosses the network between servers (`pg_dump -Z1`, gzip'd filestore tar).
        public var compress: Bool?

        public init(source: String, target: String, targetType: EnvironmentType, targetServer: String, targetURL: String?, preset: String,
                    options: [String], passwordHash: String?, includeFilestore: Bool) {
            self.source = source
            self.target = target
            self.targetType = targetType
            self.targetServer = targetServer
            self.targetURL = targetURL
            self.preset = preset
            self.options = options
            self.passwordHash = passwordHash
            self.includeFilestore = includeFilestore
        }

        /// The target database name: the environment name made into an Odoo database name.
        public var targetDatabase: String { replaceDatabase ?? target.replacingOccurrences(of: ".", with: "_") }
        public var isReplace: Bool { replaceDatabase != nil }
        /// pg_dump's compression for a stream to another server.
        var wireCompression: String { compress == true ? "-Z1" : "-Z0" }
    }

    /// What the clone reports when it ends (stored as the job result).
    /// What a clone (and a restore) records as its result.
    public typealias Outcome = JobOutcome

    public init() {}

    public var name: String { "clone" }

    /// The seeds' cumulative percentages for the ten steps.
    public static let markers: [Double] = [2, 5, 10, 25, 40, 55, 70, 85, 95, 100]

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.target, kind: "environment")
        try Names.validateDatabaseName(p.targetDatabase)
        let overlap = FilestoreOverlap()
        let copy = SanitizedCopy()
        let steps: [StepDefinition] = [
            StepDefinition(name: "pre_checks", title: "Pre-checks", run: { try Self.preChecks(p, $0) }),
            StepDefinition(name: "validating", title: "Validating source", run: { try Self.validateSource(p, $0) }),
            // A fast copy is made by PostgreSQL in this step: the filestore copy starts beside it.
            StepDefinition(name: "creating_target", title: "Creating target",
                           run: { try Self.createTarget(p, $0, overlap) },
                           compensate: { overlap.stopAndWait(); try Self.removeFilestore(p, $0); try Self.dropTarget(p, $0) }),
            StepDefinition(name: "copying_addons", title: "Copying addons", run: { try Self.copyAddons(p, $0) }),
            // The filestore copy starts with the database copy and runs beside it (disk against
            // PostgreSQL's CPU); its own step waits for it.
            StepDefinition(name: "backing_up_database", title: "Database dump",
                           run: { if overlap.work == nil { try Self.startFilestore(p, $0, overlap) }; try Self.copyDatabase(p, $0, post: false, copy) },
                           compensate: { copy.stopAndWait(); overlap.stopAndWait(); try Self.removeFilestore(p, $0); try Self.removeDump(p, $0); try Self.dropTarget(p, $0) }),
            StepDefinition(name: "backing_up_filestore", title: "Filestore", run: { try Self.finishFilestore(p, $0, overlap) },
                           compensate: { overlap.stopAndWait(); try Self.removeFilestore(p, $0) }),
            StepDefinition(name: "restoring_database", title: "Database restore", run: { try Self.copyDatabase(p, $0, post: true, copy) },
                           compensate: { copy.stopAndWait(); try Self.removeDump(p, $0); try Self.dropTarget(p, $0) }),
            StepDefinition(name: "restoring_filestore", title: "Filestore restore (check)", run: { try Self.checkFilestore(p, $0) }),
            StepDefinition(name: "sanitizing", title: "Sanitizing", run: { try Self.sanitize(p, $0) }),
            StepDefinition(name: "verifying", title: "Verifying", run: { try Self.verify(p, $0) },
                           compensate: { try Self.unregister(p, $0) }),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: Self.markers))
    }

    // MARK: Environments and executors

    struct Sides {
        let source: ResolvedEnvironment
        let targetServer: Server
        let sourceExecutor: any Executor
        let targetExecutor: any Executor
        var sameServer: Bool { source.server.name == targetServer.name }

        /// Executors of their own for work that runs beside other commands (an SSH executor runs
        /// one command at a time), distinct on each side even on one server (a stream runs both ends at once).
        func fresh() -> Sides {
            Sides(source: source, targetServer: targetServer, sourceExecutor: Executors.forServer(source.server),
                  targetExecutor: Executors.forServer(targetServer))
        }

        var target: PostgresConnection {
            let pg = targetServer.postgres.applying(defaults: .builtInDefaults)
            return PostgresConnection(host: pg.host, port: pg.port ?? 5432, user: pg.user ?? "odoo", database: "postgres")
        }
    }

    static func sides(_ p: Parameters, _ context: StepContext) throws -> Sides {
        let source = try context.store.resolvedEnvironment(named: p.source)
        let server = try context.store.server(named: p.targetServer)
        let sourceExecutor = Executors.forServer(source.server)
        return Sides(source: source, targetServer: server, sourceExecutor: sourceExecutor,
                     targetExecutor: server.name == source.server.name ? sourceExecutor : Executors.forServer(server))
    }

    static func targetFilestore(_ p: Parameters, _ sides: Sides) -> String {
        p.replaceFilestore ?? "\(sides.targetServer.effectiveDataDir)/filestore/\(p.targetDatabase)"
    }

    // MARK: Steps

    static func preChecks(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        if p.isReplace {
            guard p.target != p.source, (try? context.store.environment(named: p.target)) != nil else {
                throw CloneError.check("target", "replace needs an existing environment other than the source")
            }
        } else if (try? context.store.environment(named: p.target)) != nil {
            throw CloneError.check("target name", "an environment named \(p.target) already exists")
        }
        let sourcePSQL = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        do { _ = try sourcePSQL.scalar("SELECT 1") } catch { throw CloneError.check("source reachable", "\(error)") }
        let targetAdmin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        do {
            if !p.isReplace, try targetAdmin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(p.targetDatabase))") == "1" {
                throw CloneError.check("target name", "database \(p.targetDatabase) already exists on \(sides.targetServer.name)")
            }
        } catch let error as CloneError { throw error } catch {
            throw CloneError.check("target server reachable", "\(error)")
        }
        let databaseSize = Int64(try sourcePSQL.scalar("SELECT pg_database_size(current_database())") ?? "") ?? 0
        let filestoreSize = p.includeFilestore ? (try RemoteFileSystem(sides.sourceExecutor).treeSize(sides.source.filestore) ?? 0) : 0
        // Hard links cost no space on the same server, but the parallel dump is kept there while it restores.
        let needed = Double(databaseSize + (sides.sameServer ? databaseSize : filestoreSize)) * 1.2
        let free = try RemoteFileSystem(sides.targetExecutor).diskSpace(at: sides.targetServer.effectiveDataDir).free
        guard Double(free) >= needed else {
            throw CloneError.check("free disk", "\(formatBytes(free)) free on \(sides.targetServer.name), \(formatBytes(Int64(needed))) needed (database + filestore + 20 %)")
        }
        try context.setState("database_size", String(databaseSize))
        try context.setState("filestore_size", String(filestoreSize))
        context.log(.info, "source \(formatBytes(databaseSize)) database, \(formatBytes(filestoreSize)) filestore; \(formatBytes(free)) free on \(sides.targetServer.name)")
    }

    static func validateSource(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        let psql = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        let present = try psql.query("SELECT to_regclass('res_users') IS NOT NULL, to_regclass('ir_module_module') IS NOT NULL").first ?? []
        guard present == ["t", "t"] else {
            throw CloneError.check("source is an Odoo database", "res_users or ir_module_module missing in \(sides.source.environment.dbName)")
        }
    }

    static func createTarget(_ p: Parameters, _ context: StepContext, _ overlap: FilestoreOverlap) throws {
        let sides = try sides(p, context)
        if p.isReplace { try clearReplacedTarget(p, context, sides: sides) }
        if p.fastCopy == true { try startFilestore(p, context, overlap) }
        try context.setState("created_database", p.targetDatabase)
        let admin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        if p.fastCopy == true {
            guard sides.sameServer else { throw CloneError.check("fast copy", "--fast-copy works on one server only") }
            // PostgreSQL copies a database file by file, but only while nobody is connected to it.
            let source = SQL.literal(sides.source.environment.dbName)
            let ended = try admin.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = \(source) AND pid <> pg_backend_pid()") ?? "0"
            context.log(.warning, "fast copy: disconnected \(ended) session(s) of \(sides.source.environment.dbName)")
            try admin.execute("CREATE DATABASE \(SQL.identifier(p.targetDatabase)) TEMPLATE \(SQL.identifier(sides.source.environment.dbName));")
            context.log(.info, "copied \(sides.source.environment.dbName) into \(p.targetDatabase) with CREATE DATABASE … TEMPLATE")
            return
        }
        try admin.execute("CREATE DATABASE \(SQL.identifier(p.targetDatabase)) ENCODING 'UTF8' TEMPLATE template0;")
        context.log(.info, "created database \(p.targetDatabase) on \(sides.targetServer.name)")
    }

    static func copyAddons(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        guard !sides.source.environment.addons.isEmpty else { return context.log(.info, "no addons directories configured") }
        guard !sides.sameServer else { return context.log(.info, "same server: the new environment uses the same addons paths") }
        for dir in sides.source.environment.addons {
            if try RemoteFileSystem(sides.targetExecutor).stat(dir) != nil {
                context.log(.info, "\(dir) already exists on \(sides.targetServer.name): kept")
                continue
            }
            _ = try RemoteFileSystem.copyTree(from: RemoteFileSystem(sides.sourceExecutor), dir, to: RemoteFileSystem(sides.targetExecutor), dir, compress: p.compress == true,
                                              cancellation: context.cancellation)
        }
    }

    /// `pg_dump -Fc -Z0` on the source server streamed into `pg_restore` on the target's, data
    /// first (tables load without indexes), then post-data (indexes, constraints) in its own step.
    static func copyDatabase(_ p: Parameters, _ context: StepContext, post: Bool, _ copy: SanitizedCopy) throws {
        if p.fastCopy == true { return context.log(.info, "database already copied by CREATE DATABASE … TEMPLATE") }
        let sides = try sides(p, context)
        let source = PostgresConnection(sides.source)
        var target = sides.target
        target.database = p.targetDatabase
        if !post, let plan = try sanitizedCopyPlan(p, PSQL(executor: sides.sourceExecutor, connection: source)) {
            copy.plan = plan
            return try startSanitizedCopy(p, context, sides: sides, source: source, target: target, plan: plan, copy: copy)
        }
        if post, let plan = copy.plan {
            return try finishSanitizedCopy(p, context, sides: sides, source: source, target: target, plan: plan, copy: copy)
        }
        if sides.sameServer {
            // On one server a parallel directory-format dump and restore uses every core (measured
            // faster than one stream on 2 cores); the dump lives on that server only while the clone runs.
            return post ? try parallelRestore(p, context, sides: sides, target: target) : try parallelDump(p, context, sides: sides, source: source)
        }
        if post { return try restorePostData(p, context, sides: sides, source: source, target: target) }
        let sections = ["--section=pre-data", "--section=data"]
        let dump = Command(["pg_dump", "-Fc", p.wireCompression, "--no-owner", "--no-acl"] + sections + source.clientArguments + ["-d", source.database],
                           environment: source.clientEnvironment)
        let restore = Command(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error"] + target.clientArguments + ["-d", target.database],
                              environment: target.clientEnvironment)
        let expected = max(Double(context.state["database_size"] ?? "") ?? 1, 1)
        let outcome = try Pipe.run(from: sides.sourceExecutor, dump, to: sides.targetExecutor, restore, progress: { bytes in
            context.progress(min(Double(bytes) / expected, 0.99), message: "\(formatBytes(bytes)) streamed")
        }, cancellation: context.cancellation)
        try context.checkCancelled()
        guard outcome.source.succeeded else { throw CloneError.command("pg_dump", outcome.source.summary) }
        guard outcome.sink.succeeded else { throw CloneError.command("pg_restore", outcome.sink.summary) }
        context.log(.info, "\(post ? "indexes and constraints" : "schema and data") copied (\(formatBytes(outcome.bytes)) streamed)")
    }

    static func parallelJobs(_ executor: any Executor, _ p: Parameters) -> Int {
        p.jobs.map { min(max($0, 1), 16) } ?? min(max((try? RemoteFileSystem(executor).cpuCount()) ?? 1, 1), 4)
    }

    static func parallelDump(_ p: Parameters, _ context: StepContext, sides: Sides, source: PostgresConnection) throws {
        let dir = try sides.sourceExecutor.output(Command(["mktemp", "-d", "/tmp/ocore-clone-XXXXXXXX"])).trimmingCharacters(in: .whitespacesAndNewlines)
        try context.setState("dump_dir", dir)
        let jobs = parallelJobs(sides.sourceExecutor, p)
        context.progress(0.05, message: "pg_dump with \(jobs) job(s) into \(dir)", force: true)
        let dump = Command(["pg_dump", "-Fd", "-j", String(jobs), "-Z0", "--no-owner", "--no-acl", "-f", dir + "/db"] + source.clientArguments
                           + ["-d", source.database], environment: source.clientEnvironment)
        let result = try sides.sourceExecutor.run(dump, cancellation: context.cancellation)
        try context.checkCancelled()
        guard result.succeeded else { throw CloneError.command("pg_dump", result.summary) }
        let size = (try? RemoteFileSystem(sides.sourceExecutor).treeSize(dir)) ?? nil
        context.log(.info, "database dumped with \(jobs) parallel job(s) (\(size.map(formatBytes) ?? "?"))")
    }

    static func parallelRestore(_ p: Parameters, _ context: StepContext, sides: Sides, target: PostgresConnection) throws {
        guard let dir = context.state["dump_dir"] else { throw CloneError.check("dump", "the dump directory is gone") }
        let jobs = parallelJobs(sides.targetExecutor, p)
        context.progress(0.05, message: "pg_restore with \(jobs) job(s)", force: true)
        let restore = Command(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-j", String(jobs)] + target.clientArguments
                              + ["-d", target.database, dir + "/db"], environment: target.indexBuildEnvironment(on: sides.targetExecutor, jobs: jobs))
        let result = try sides.targetExecutor.run(restore, cancellation: context.cancellation)
        try context.checkCancelled()
        guard result.succeeded else { throw CloneError.command("pg_restore", result.summary) }
        try removeDump(p, context)
        context.log(.info, "database restored with \(jobs) parallel job(s)")
    }

    static func removeDump(_ p: Parameters, _ context: StepContext) throws {
        guard let dir = context.state["dump_dir"], dir.hasPrefix("/tmp/ocore-clone-") else { return }
        let sides = try sides(p, context)
        _ = try sides.sourceExecutor.run(Command(["rm", "-rf", "--", dir]))
        try context.setState("dump_dir", nil)
    }

    /// Index and constraint builds dominate a restore, and `pg_restore` runs them in parallel only
    /// from a file. The post-data archive is tiny (definitions, no data), so it goes to a private
    /// temporary file on the target server, is restored with one job per core (at most 4), and
    /// is removed.
    static func restorePostData(_ p: Parameters, _ context: StepContext, sides: Sides, source: PostgresConnection, target: PostgresConnection,
                                snapshot: String? = nil) throws {
        let dir = try sides.targetExecutor.output(Command(["mktemp", "-d", "/tmp/ocore-postdata-XXXXXXXX"])).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? sides.targetExecutor.run(Command(["rm", "-rf", "--", dir])) }
        let file = dir + "/post-data.dump"
        // Schema only (not post-data alone): pg_restore -j needs the tables in the TOC to order the keys.
        let dump = Command(["pg_dump", "-Fc", "--no-owner", "--no-acl", "--schema-only"] + (snapshot.map { ["--snapshot=" + $0] } ?? [])
                           + source.clientArguments + ["-d", source.database],
                           environment: source.clientEnvironment)
        let copied = try Pipe.run(from: sides.sourceExecutor, dump, to: sides.targetExecutor, Command(["dd", "of=\(file)", "bs=1M", "status=none"]),
                                  cancellation: context.cancellation)
        guard copied.source.succeeded else { throw CloneError.command("pg_dump", copied.source.summary) }
        guard copied.sink.succeeded else { throw CloneError.command("dd", copied.sink.summary) }
        try buildPostData(archive: file, executor: sides.targetExecutor, target: target, jobs: parallelJobs(sides.targetExecutor, p), context: context)
    }

    /// Starts the filestore copy on its own thread, after the same checks as a copy in place.
    static func startFilestore(_ p: Parameters, _ context: StepContext, _ overlap: FilestoreOverlap) throws {
        guard p.includeFilestore else { return }
        let sides = try sides(p, context)
        let target = targetFilestore(p, sides)
        guard try RemoteFileSystem(sides.sourceExecutor).stat(sides.source.filestore) != nil else { return }
        if try RemoteFileSystem(sides.targetExecutor).stat(target) != nil {
            throw CloneError.check("target filestore", "\(target) already exists on \(sides.targetServer.name)")
        }
        let bytes = overlap.bytes, stop = overlap.stop
        overlap.work = BackgroundWork { try copyFilestore(p, context, progress: { bytes.set($0) }, cancellation: stop) }
        context.log(.info, "filestore copy started beside the database copy")
    }

    /// Waits for the filestore copy started with the database (or copies it now if it was not).
    static func finishFilestore(_ p: Parameters, _ context: StepContext, _ overlap: FilestoreOverlap) throws {
        guard let work = overlap.work else { return try copyFilestore(p, context, progress: nil, cancellation: context.cancellation) }
        let expected = max(Double(context.state["filestore_size"] ?? "") ?? 1, 1)
        while !work.isDone {
            if context.cancellation.isCancelled { overlap.stop.cancel() }
            let done = overlap.bytes.value
            context.progress(done > 0 ? min(Double(done) / expected, 0.99) : 0.5,
                             message: done > 0 ? "\(formatBytes(done)) streamed" : "copying (started with the database)")
            Thread.sleep(forTimeInterval: 0.1)
        }
        try context.checkCancelled()
        try work.wait().get()
    }

    static func copyFilestore(_ p: Parameters, _ context: StepContext, progress: (@Sendable (Int64) -> Void)?, cancellation: CancellationFlag) throws {
        guard p.includeFilestore else { return context.log(.info, "filestore not copied (--no-filestore)") }
        let sides = try sides(p, context)
        let source = sides.source.filestore
        let target = targetFilestore(p, sides)
        let sourceFS = RemoteFileSystem(sides.sourceExecutor), targetFS = RemoteFileSystem(sides.targetExecutor)
        guard try sourceFS.stat(source) != nil else { return context.log(.warning, "the source has no filestore at \(source)") }
        if try targetFS.stat(target) != nil { throw CloneError.check("target filestore", "\(target) already exists on \(sides.targetServer.name)") }
        try context.setState("created_filestore", target)
        try targetFS.makeDirectory((target as NSString).deletingLastPathComponent)
        if sides.sameServer {
            // Odoo never rewrites a stored file, so hard links are a safe, instant copy.
            let result = try sides.targetExecutor.run(Command(["cp", "-al", "--", source, target]), cancellation: cancellation)
            if !result.succeeded {
                context.log(.warning, "hard links failed (\(result.summary)); copying instead")
                try? targetFS.removeTree(target)
                _ = try sides.targetExecutor.output(Command(["cp", "-a", "--", source, target]))
            }
            context.log(.info, "filestore hard-linked into \(target)")
        } else {
            let bytes = try RemoteFileSystem.copyTree(from: sourceFS, source, to: targetFS, target, compress: p.compress == true, progress: progress,
                                                      cancellation: cancellation)
            context.log(.info, "filestore streamed to \(sides.targetServer.name) (\(formatBytes(bytes)))")
        }
    }

    static func checkFilestore(_ p: Parameters, _ context: StepContext) throws {
        guard p.includeFilestore else { return }
        let sides = try sides(p, context)
        let target = targetFilestore(p, sides)
        let size = try RemoteFileSystem(sides.targetExecutor).treeSize(target)
        context.log(.info, "filestore at \(target): \(size.map(formatBytes) ?? "absent")")
    }

    static func sanitize(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        var target = sides.target
        target.database = p.targetDatabase
        let outcome = try SanitizationRun(
            target: PSQL(executor: sides.targetExecutor, connection: target), addons: sides.source.environment.addons, preset: p.preset,
            options: p.options, targetURL: p.targetURL, passwordHash: p.passwordHash,
            proofSource: PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source)),
            resetIdentity: !(p.keepIdentity ?? false),
            appliedInCopy: (try? JSONDecoder().decode([Sanitizer.Result].self, from: Data((context.state["copy_results"] ?? "[]").utf8))) ?? []).apply(context)
        try context.setState("outcome", String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
    }

    static func verify(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        var target = sides.target
        target.database = p.targetDatabase
        let psql = PSQL(executor: sides.targetExecutor, connection: target)
        let row = try psql.query("""
            SELECT to_regclass('res_users') IS NOT NULL AND to_regclass('ir_module_module') IS NOT NULL,
                   (SELECT count(*) FROM res_users WHERE active)
            """).first ?? []
        guard row.first == "t" else { throw CloneError.check("verification", "key tables missing in \(p.targetDatabase)") }
        var verification = ["key_tables": "present", "active_users": row.count > 1 ? row[1] : "?"]
        if p.includeFilestore {
            let names = Set(try psql.query("SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL").map { $0[0] })
            let listing = try sides.targetExecutor.run(Command(["find", targetFilestore(p, sides), "-type", "f", "-printf", "%P\\n"]), outputLimit: 256 << 20)
            let files = Set(listing.stdoutText.split(separator: "\n").map(String.init))
            let missing = names.subtracting(files).count
            verification["attachments"] = String(names.count)
            verification["missing_files"] = String(missing)
            if missing > 0 { context.log(.warning, "\(missing) attachment file(s) missing in the target filestore") }
        }
        if let url = p.targetURL {
            // The seeds' step 10: the target's URL answers when Odoo runs there; a fresh copy usually
            // has no service yet, so silence is a warning, not a failure.
            let health = HTTPHealth.check(url, waitUpTo: 0, cancellation: context.cancellation)
            verification["http"] = health.summary
            context.log(health.ok ? .info : .warning, health.ok ? "\(url) answers: \(health.summary)"
                                                               : "\(url) does not answer yet (\(health.summary)): start Odoo for \(p.target) there")
        }
        let env = Environment(name: p.target, project: sides.source.environment.project, type: p.targetType, server: p.targetServer,
                              dbName: p.targetDatabase, postgres: PostgresSettings(), pgPasswordEnv: sides.source.environment.pgPasswordEnv,
                              filestore: nil, addons: sides.source.environment.addons, url: p.targetURL)
        if p.isReplace {
            if let old = context.state["replaced_filestore"] { try? RemoteFileSystem(sides.targetExecutor).removeTree(old) }
            try context.setState("replaced_filestore", nil)
        } else {
            try context.setState("registered", p.target)
            _ = try context.store.addEnvironment(env)
        }
        var outcome = (try? JSONDecoder().decode(Outcome.self, from: Data((context.state["outcome"] ?? "{}").utf8)))
            ?? Outcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        outcome.verification = verification
        try context.store.setJobResult(context.jobID, String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        context.log(.info, "environment \(p.target) registered (\(verification["active_users"] ?? "?") active users)")
    }

    /// Replace mode: a verified safety backup of the target first, then its database dropped and
    /// its filestore moved aside (removed once the clone is verified, put back if it fails).
    static func clearReplacedTarget(_ p: Parameters, _ context: StepContext, sides: Sides) throws {
        guard let safetyID = p.safetyBackupID else { throw CloneError.check("safety backup", "replace needs a safety backup id") }
        if context.state["safety_backup_id"] == nil {
            guard let storage = try p.safetyStorage ?? BackupSession.defaultStorage(context.store) else {
                throw CloneError.check("safety backup", "no default storage for the safety backup of \(p.target) (add one, or give --safety-storage)")
            }
            try BackupSession.safetyBackup(BackupJob.Parameters(backupID: safetyID, environment: p.target, storage: storage, type: .preReplace,
                                                                includeFilestore: true, tier: .daily), context)
            try context.setState("safety_backup_id", safetyID)
        }
        let admin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        try FilestoreGuard.check(targetFilestore(p, sides), on: sides.targetExecutor, environment: p.target)
        try context.setState("target_dropped", "1")
        try admin.execute("DROP DATABASE IF EXISTS \(SQL.identifier(p.targetDatabase)) WITH (FORCE);")
        let fs = RemoteFileSystem(sides.targetExecutor)
        let dir = targetFilestore(p, sides)
        if try fs.stat(dir) != nil {
            let aside = dir + ".ocore-replaced-\(context.jobID)"
            try context.setState("replaced_filestore", aside)
            try fs.rename(dir, to: aside)
        }
        context.log(.warning, "dropped \(p.targetDatabase) and set its filestore aside (safety backup \(safetyID))")
    }

    // MARK: Compensation (target only)

    static func dropTarget(_ p: Parameters, _ context: StepContext) throws {
        if p.isReplace, context.state["target_dropped"] != nil, let safety = context.state["safety_backup_id"] {
            context.log(.error, "\(p.target) was replaced and the clone failed: it is BROKEN; its verified safety backup is \(safety): `ocore restore \(safety) --to \(p.target) --no-safety-backup --confirm \(p.target)`")
        }
        guard let db = context.state["created_database"] else { return }
        let sides = try sides(p, context)
        try PSQL(executor: sides.targetExecutor, connection: sides.target).execute("DROP DATABASE IF EXISTS \(SQL.identifier(db)) WITH (FORCE);")
        try context.setState("created_database", nil)
        context.log(.info, "dropped target database \(db)")
    }

    static func removeFilestore(_ p: Parameters, _ context: StepContext) throws {
        let sides = try sides(p, context)
        defer {
            // Replace mode: the target's own filestore goes back where it was.
            if let old = context.state["replaced_filestore"] {
                try? RemoteFileSystem(sides.targetExecutor).removeTree(targetFilestore(p, sides))
                try? RemoteFileSystem(sides.targetExecutor).rename(old, to: targetFilestore(p, sides))
                try? context.setState("replaced_filestore", nil)
            }
        }
        guard let dir = context.state["created_filestore"] else { return }
        guard dir != sides.source.filestore else { return }  // never the source's
        try RemoteFileSystem(sides.targetExecutor).removeTree(dir)
        try context.setState("created_filestore", nil)
        context.log(.info, "removed target filestore \(dir)")
    }

    static func unregister(_ p: Parameters, _ context: StepContext) throws {
        guard context.state["registered"] != nil else { return }
        try? context.store.removeEnvironment(named: p.target)
    }
}

public enum CloneError: Error, CustomStringConvertible {
    case check(String, String)
    case command(String, String)

    public var description: String {
        switch self {
        case let .check(name, detail): "check \"\(name)\" failed: \(detail)"
        case let .command(program, detail): "\(program) failed: \(detail)"
        }
    }
}

/// A filestore copy running beside the database copy: its thread, a way to stop it, its bytes.
final class FilestoreOverlap: @unchecked Sendable {
    var work: BackgroundWork<Void>?
    let stop = CancellationFlag()
    let bytes = ByteCounter()

    /// Stops a copy still running and waits for it, so what it wrote can be removed.
    func stopAndWait() {
        guard let work else { return }
        stop.cancel()
        _ = work.wait()
    }
}
