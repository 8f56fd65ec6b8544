import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension RestoreRun {
    func prepareDatabase(_ context: StepContext) throws {
        step(context, "prepare_database")
        let t = try target(context)
        let db = SQL.identifier(t.environment.dbName)
        let admin = admin(t)
        let role = try role(context, t)
        let previousOwner = try admin.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = \(SQL.literal(t.environment.dbName))")
        let finalOwner = previousOwner.flatMap { $0.isEmpty || $0.hasPrefix("ocore_load_") ? nil : $0 } ?? admin.connection.user
        try record(context) { $0.finalOwner = finalOwner }
        if role.isTemporary {
            try record(context) { $0.loadRole = role.name }
            try role.create(admin: admin)
        }
        if p.newEnvironment == nil {
            try ServiceControl.stop(t, context)
            try record(context) { $0.targetDropped = true }
            try admin.execute("DROP DATABASE IF EXISTS \(db) WITH (FORCE);")
            context.log(.warning, "dropped \(t.environment.dbName) on \(t.server.name) (safety backup: \(state(context).safetyBackupID ?? "none"))")
        } else {
            try record(context) { $0.createdDatabase = t.environment.dbName }
        }
        try admin.execute("CREATE DATABASE \(db) OWNER \(SQL.identifier(role.name)) ENCODING 'UTF8' TEMPLATE template0;")
        // The dump's extensions are created here, as an administrator: the load role may not.
        let extensions = Set(state(context).dumpExtensions + ["pg_trgm"])
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
        guard let file = archiveFile(context) else { throw StepFailure.check("archive", "no archive to load") }
        let source: RestoreSource
        do { source = try RestoreSource.inspect(file) } catch { throw StepFailure.check("archive", "\(error)") }
        context.log(.info, "loading \(source.describe)")
        try startFilestore(context, source)
        let t = try target(context)
        let executor = Executors.forServer(t.server)
        let psql = try loadPSQL(context, t)
        // psql refuses every backslash command after `\restrict KEY`; the dump cannot know the key.
        let sanitizer = try sanitizerWhileLoading(source, context)
        let restrict = PlainDumpGuard(restrictKey: randomKey(), copyData: sanitizer)
        switch source.database {
        case .plainMember(let name):
            let zip = source.zip!
            let total = Double(max(zip.members.first { $0.name == name }?.size ?? 1, 1))
            let phases = LoadPhases()
            let result = try streamMember(of: zip, names: [name], filter: restrict, into: psql, on: executor, context: context) { chunk, sent in
                phases.scan(chunk)
                context.progress(min(Double(sent) / total, 0.99), message: "\(phases.tables) tables loaded, \(phases.indexes) indexes, \(phases.constraints) constraints")
            }
            guard result.succeeded else { throw StepFailure.command("psql", result.summary) }
            context.log(.info, "database loaded: \(phases.tables) tables, \(phases.indexes) indexes, \(phases.constraints) constraints")
        case .plainFile(let path):
            let total = Double(max((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil ?? 1, 1))
            let outcome = try Pipe.run(from: LocalExecutor(), Command(["cat", "--", path]), to: executor, psql, filter: restrict, progress: { sent in
                context.progress(min(Double(sent) / total, 0.99), message: "\(formatBytes(sent)) of SQL loaded")
            }, cancellation: context.cancellation)
            try context.checkCancelled()
            guard outcome.succeeded else { throw StepFailure.command("psql", (outcome.sink.succeeded ? outcome.source : outcome.sink).summary) }
            context.log(.info, "database loaded from \((path as NSString).lastPathComponent)")
        default:
            try loadWithPgRestore(source, target: t, context: context)
        }
        if let sanitizer { try recordSanitizedLoad(sanitizer, context) }
    }

    /// The rewriting of a plain dump's rows as they load, when the personal-data options apply:
    /// built from what the dump's check learnt (read again if this run did not check it).
    private func sanitizerWhileLoading(_ source: RestoreSource, _ context: StepContext) throws -> DumpSanitizer? {
        guard sanitizesWhileLoading else { return nil }
        switch source.database {
        case .plainMember, .plainFile: break
        default: return nil  // pg_restore's path has its own (see loadWithPgRestore)
        }
        if dumpFacts == nil { try checkDump(context, reportProgress: false) }
        guard let facts = dumpFacts, let sanitizer = DumpSanitizer(options: p.options, facts: facts) else {
            context.log(.info, Self.noPartnerRows)
            return nil
        }
        logSanitizing(sanitizer, context)
        return sanitizer
    }

    static let noPartnerRows = "the personal-data options run after the load: the dump has no res_partner rows with the columns they change"

    private func logSanitizing(_ sanitizer: DumpSanitizer, _ context: StepContext) {
        context.log(.info, "sanitizing while loading \(sanitizer.plan.tables.map(\.name).joined(separator: ", ")): "
                    + "\(sanitizer.emailCount) customer address(es), \(sanitizer.phoneCount) number(s) mapped; the real values never reach the target")
    }

    /// psql in the target database as the load role, reading a script (a dump) on its input.
    func loadPSQL(_ context: StepContext, _ t: ResolvedEnvironment) throws -> Command {
        let role = try role(context, t)
        let connection = role.connection(PostgresConnection(t))
        return Command(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + connection.clientArguments + ["-d", connection.database],
                       environment: role.clientEnvironment(PostgresConnection(t)))
    }

    /// The options done while loading: their results (the sanitize step does not run them again)
    /// and what the search of every row written found.
    func recordSanitizedLoad(_ sanitizer: DumpSanitizer, _ context: StepContext) throws {
        for t in sanitizer.tables {
            let changes = t.changed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            context.log(.info, "\(t.table): \(t.rows) row(s) rewritten as they loaded (\(Sanitizer.ms(t.filterTime)) ms)\(changes.isEmpty ? "" : ": " + changes)")
        }
        try record(context) {
            $0.copyResults = sanitizer.results
            $0.addressesCheckedInStream = sanitizer.addressCheck
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
            try record(context) { $0.restoreStaging = dir }
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
            guard outcome.succeeded else { throw StepFailure.command("copy of the dump", (outcome.sink.succeeded ? outcome.source : outcome.sink).summary) }
        case .directory(let path):
            dumpPath = try staging() + "/dump"
            context.progress(0, message: "copying the dump to \(t.server.name)", force: true)
            _ = try RemoteFileSystem.copyTree(from: RemoteFileSystem(LocalExecutor()), path, to: fs, dumpPath, cancellation: context.cancellation)
        case .customMember(let name):
            let dir = try staging()
            dumpPath = dir + "/" + name
            let result = try streamMember(of: source.zip!, names: [name], asTar: true, stripPrefix: "", into: RemoteFileSystem.tarIn(dir),
                                          on: executor, context: context) { _, _ in }
            guard result.succeeded else { throw StepFailure.command("tar", result.summary) }
        case .directoryMembers(let prefix):
            dumpPath = try staging() + "/dump"
            try fs.makeDirectory(dumpPath)
            let names = source.zip!.members.map(\.name).filter { $0.hasPrefix(prefix) }
            let result = try streamMember(of: source.zip!, names: names, asTar: true, stripPrefix: prefix, into: RemoteFileSystem.tarIn(dumpPath),
                                          on: executor, context: context) { _, _ in }
            guard result.succeeded else { throw StepFailure.command("tar", result.summary) }
        case .plainMember, .plainFile:
            preconditionFailure("plain dumps are loaded by psql")
        }
        try context.checkCancelled()
        let role = try role(context, t)
        let connection = role.connection(PostgresConnection(t))
        let listing = try executor.run(Command(["pg_restore", "-l", dumpPath]), outputLimit: 64 << 20)
        guard listing.succeeded else { throw StepFailure.command("pg_restore -l", listing.summary) }
        // What is loaded is the checked list: extensions (created beforehand) and anything refused left out.
        let toc = RestoreListGuard(listing: listing.stdoutText)
        if let refused = toc.refusals.first { throw StepFailure.check("dump", "refused: \(refused)") }
        let listDir = try state(context).restoreStaging ?? staging()
        let listFile = listDir + "/restore.list"
        try fs.writeFile(listFile, Data(toc.list.utf8))
        let jobs = max(2, min(4, (try? fs.cpuCount()) ?? 2))
        let progress = PgRestoreProgress(total: PgRestoreProgress.countEntries(listing: listing.stdoutText)) { p in
            context.progress(min(p.fraction, 0.99), message: p.summary)
        }
        var environment = role.clientEnvironment(PostgresConnection(t))
        environment["PGOPTIONS"] = PostgresConnection(t).indexBuildEnvironment(on: executor, jobs: jobs)["PGOPTIONS"]
        /// pg_restore of the checked list (or `list`), `section` only when given.
        func restore(_ section: String?, list: String = listFile) throws {
            let command = Command(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--verbose", "--jobs=\(jobs)", "-L", list]
                                  + (section.map { ["--section=" + $0] } ?? []) + connection.clientArguments + ["-d", connection.database, dumpPath],
                                  environment: environment)
            let termination = try executor.execute(command, stdin: nil, stdout: DiscardingSink(), stderr: progress, cancellation: context.cancellation)
            try context.checkCancelled()
            guard termination == .exited(0) else {
                throw StepFailure.command("pg_restore", progress.errors.isEmpty ? "\(termination)" : progress.errors.joined(separator: "; "))
            }
        }
        context.log(.info, "pg_restore --jobs=\(jobs) on \(t.server.name) as \(role.name)")
        if sanitizesWhileLoading {
            try restore("pre-data")
            if let sanitizer = try pgRestoreSanitizer(dumpPath: dumpPath, target: t, context: context) {
                // The other tables' data in parallel jobs; the sanitized tables' rows beside it,
                // through the same rewriting as a plain dump's; then indexes and constraints.
                let othersList = listDir + "/restore-others.list"
                try fs.writeFile(othersList, Data(Self.withoutData(of: Set(sanitizer.plan.tables.map(\.name)), in: toc.list).utf8))
                let streams = BackgroundWork { [self] in try streamSanitizedTables(sanitizer, dumpPath: dumpPath, target: t, context: context) }
                let others = Result { try restore("data", list: othersList) }
                try streams.wait().get()
                try others.get()
                try restore("post-data")
                try recordSanitizedLoad(sanitizer, context)
            } else {
                try restore("data")
                try restore("post-data")
            }
        } else {
            try restore(nil)
        }
        removeStaging(context)
        context.log(.info, "database loaded: \(progress.summary)")
    }

    /// A listing with the data entries of `tables` (in `public`) commented out.
    static func withoutData(of tables: Set<String>, in list: String) -> String {
        list.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard !line.hasPrefix(";"), let (type, rest) = RestoreListGuard.entry(line), type == "TABLE DATA" else { return String(line) }
            let words = rest.split(separator: " ")
            return words.count >= 2 && words[0] == "public" && tables.contains(String(words[1])) ? ";" + line : String(line)
        }.joined(separator: "\n")
    }

    /// For a custom- or directory-format dump whose schema is loaded: the columns from the target,
    /// the mapping's facts from the rows of `res_partner`, `res_users` and `res_company`
    /// (`pg_restore -a -t … -f -`, read in memory), and the sanitizer built from them.
    private func pgRestoreSanitizer(dumpPath: String, target t: ResolvedEnvironment, context: StepContext) throws -> DumpSanitizer? {
        let executor = Executors.forServer(t.server)
        let columns = SanitizedCopyPlan.columns(fromRows: try targetPSQL(context, t).query(SanitizedCopyPlan.columnsQuery))
        let facts = DumpFacts(columns: columns)
        let reader = PlainDumpGuard(emitting: false, copyData: facts)
        let err = CollectingSink(limit: 64 << 10)
        let read = Command(["pg_restore", "--data-only", "--schema=public", "--table=res_partner", "--table=res_users", "--table=res_company", "--file=-", dumpPath])
        let termination = try executor.execute(read, stdin: nil, stdout: FilteringSink(reader, into: DiscardingSink()), stderr: err, cancellation: context.cancellation)
        _ = try reader.finish()
        try context.checkCancelled()
        guard termination == .exited(0) else { throw StepFailure.command("pg_restore", CommandResult(termination: termination, stderr: err.data).summary) }
        if let refused = reader.refusals.first { throw StepFailure.check("dump", "refused: \(refused)") }
        guard let sanitizer = DumpSanitizer(options: p.options, facts: facts) else {
            context.log(.info, Self.noPartnerRows)
            return nil
        }
        logSanitizing(sanitizer, context)
        return sanitizer
    }

    /// The sanitized tables' rows, one table at a time: `pg_restore -a -t TABLE -f -` → the
    /// guard and its rewriting → psql as the load role.
    private func streamSanitizedTables(_ sanitizer: DumpSanitizer, dumpPath: String, target t: ResolvedEnvironment, context: StepContext) throws {
        let executor = Executors.forServer(t.server)
        let psql = try loadPSQL(context, t)
        for table in sanitizer.plan.tables {
            let guardian = PlainDumpGuard(restrictKey: randomKey(), copyData: sanitizer)
            let rows = Command(["pg_restore", "--data-only", "--schema=public", "--table=" + table.name, "--file=-", dumpPath])
            let outcome = try Pipe.run(from: executor, rows, to: executor, psql, filter: guardian, cancellation: context.cancellation)
            try context.checkCancelled()
            guard outcome.source.succeeded else { throw StepFailure.command("pg_restore", outcome.source.summary) }
            guard outcome.sink.succeeded else { throw StepFailure.command("psql", outcome.sink.summary) }
            if let refused = guardian.refusals.first { throw StepFailure.check("dump", "refused: \(refused)") }
        }
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

}

/// Counts what a plain SQL dump has loaded so far, from the text going by.
public final class LoadPhases: @unchecked Sendable {
    public private(set) var tables = 0
    public private(set) var indexes = 0
    public private(set) var constraints = 0
    private var tail = Data()

    public init() {}

    public func scan(_ chunk: Data) {
        // A marker split across chunks is found in the seam (the end of the previous chunk and
        // the start of this one); each is counted once: in the chunk, or across the seam.
        let seam = tail + chunk.prefix(Self.longest - 1), split = tail.count
        func both(_ needle: [UInt8]) -> Int {
            Self.count(needle, in: chunk) + Self.count(needle, in: seam) { $0 < split && $0 + needle.count > split }
        }
        tables += both(Self.copy)
        indexes += both(Self.index) + both(Self.uniqueIndex)
        constraints += both(Self.constraint)
        tail = chunk.count >= Self.longest - 1 ? Data(chunk.suffix(Self.longest - 1)) : Data((tail + chunk).suffix(Self.longest - 1))
    }

    static let copy = Array("\nCOPY ".utf8), index = Array("\nCREATE INDEX ".utf8), uniqueIndex = Array("\nCREATE UNIQUE INDEX ".utf8)
    static let constraint = Array(" ADD CONSTRAINT ".utf8)
    static let longest = uniqueIndex.count

    /// Matches of `needle` in `text` (with memchr and memcmp: Foundation's `Data.range(of:)` took a
    /// third of a restore's CPU here), those starting where `startingWhere` holds.
    static func count(_ needle: [UInt8], in text: Data, startingWhere wanted: (Int) -> Bool = { _ in true }) -> Int {
        text.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count >= needle.count else { return 0 }
            var found = 0, at = 0
            // memchr to each candidate first byte, memcmp for the rest.
            while at + needle.count <= buffer.count, let hit = memchr(base + at, Int32(needle[0]), buffer.count - needle.count + 1 - at) {
                let start = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(hit, needle, needle.count) == 0 {
                    if wanted(start) { found += 1 }
                    at = start + needle.count
                } else {
                    at = start + 1
                }
            }
            return found
        }
    }
}
