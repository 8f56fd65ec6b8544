import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// How a clone copies its database, chosen once when the copy starts.
enum DatabaseCopyStrategy: Sendable {
    /// `CREATE DATABASE … TEMPLATE source`: already done when the target was created.
    case template
    /// `CREATE DATABASE … TEMPLATE golden`: the golden copy's files, already copied with the target.
    case goldenCopy
    /// Personal-data tables through sanitizing streams, beside a dump of the other tables.
    case sanitizingStreams(SanitizedCopyPlan)
    /// One server: a parallel directory-format dump, then a parallel restore of it.
    case parallelDump
    /// Across servers: schema and data in one `pg_dump | pg_restore` stream, then the indexes.
    case stream

    var summary: String {
        switch self {
        case .template: "copied by PostgreSQL from the source as a template"
        case .goldenCopy: "copied by PostgreSQL from the golden copy (sanitized when it was made)"
        case .sanitizingStreams(let plan): "\(plan.tables.count) table(s) through sanitizing streams, the others dumped beside them"
        case .parallelDump: "parallel dump and restore on one server"
        case .stream: "one stream between the servers, then indexes and constraints"
        }
    }
}

extension CloneRun {
    func copyAddons(_ context: StepContext) throws {
        let sides = try sides(context)
        guard !sides.source.environment.addons.isEmpty else { return context.log(.info, "no addons directories configured") }
        guard !sides.sameServer else { return context.log(.info, "same server: the new environment uses the same addons paths") }
        for dir in sides.source.environment.addons {
            if try RemoteFileSystem(sides.targetExecutor).stat(dir) != nil {
                context.log(.info, "\(dir) already exists on \(sides.targetServer.name): kept")
                continue
            }
            _ = try RemoteFileSystem.copyTree(from: RemoteFileSystem(sides.sourceExecutor), dir, to: RemoteFileSystem(sides.targetExecutor), dir,
                                              compress: p.compress == true, cancellation: context.cancellation)
        }
    }

    /// The strategy for this clone: a fast copy is a template; personal-data options applied in
    /// the copy need the sanitizing streams; otherwise it depends on the servers.
    func chooseStrategy(_ context: StepContext, _ sides: Sides) throws -> DatabaseCopyStrategy {
        if p.fromGolden != nil { return .goldenCopy }
        if p.replicaOf != nil { return sides.sameServer ? .parallelDump : .stream }
        if p.fastCopy == true { return .template }
        let source = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        let coverage = p.preset == .none ? nil : try scanCoverage(context, source)
        if let plan = SanitizedCopyPlan.make(options: p.sanitizeInCopy ?? true ? p.options : [],
                                             columns: SanitizedCopyPlan.columns(fromRows: try source.query(SanitizedCopyPlan.columnsQuery)),
                                             detected: coverage?.columns ?? [], secretParameters: coverage?.secretParameters ?? [],
                                             rules: p.sanitizeInCopy ?? true ? try checkRules(context, source) : [],
                                             sizes: SanitizedCopyPlan.sizes(fromRows: try source.query(SanitizedCopyPlan.sizesQuery))) {
            return .sanitizingStreams(plan)
        }
        return sides.sameServer ? .parallelDump : .stream
    }

    /// Starts the filestore copy (unless a fast copy already did), chooses the strategy and runs
    /// its first half: the data leaves the source (and, streamed, lands on the target).
    func copyDatabaseAndStartFilestore(_ context: StepContext) throws {
        if filestoreCopy.work == nil { try startFilestoreCopy(context) }
        let sides = try sides(context)
        let strategy = try chooseStrategy(context, sides)
        self.strategy = strategy
        context.log(.info, "database copy: \(strategy.summary)")
        let source = PostgresConnection(sides.source), target = targetDatabase(sides)
        switch strategy {
        case .template: return
        // What each copy of a golden copy needs of its own is done now, while its filestore is linked.
        case .goldenCopy: if let golden = p.fromGolden { try giveOwnIdentity(cloneOf: golden, context) }
        case .sanitizingStreams(let plan): try startSanitizedCopy(context, sides: sides, source: source, target: target, plan: plan)
        case .parallelDump: try parallelDump(context, sides: sides, source: source)
        case .stream: try streamSchemaAndData(context, sides: sides, source: source, target: target)
        }
    }

    /// The second half: what is still to load lands on the target, then its indexes and constraints are built.
    func finishDatabaseCopy(_ context: StepContext) throws {
        guard let strategy else { throw StepFailure.check("database copy", "the copy did not start in this run") }
        let sides = try sides(context)
        let source = PostgresConnection(sides.source), target = targetDatabase(sides)
        switch strategy {
        case .template, .goldenCopy: context.log(.info, "database already copied by CREATE DATABASE … TEMPLATE")
        case .sanitizingStreams(let plan): try finishSanitizedCopy(context, sides: sides, source: source, target: target, plan: plan)
        case .parallelDump: try parallelRestore(context, sides: sides, target: target)
        case .stream: try restorePostData(context, sides: sides, source: source, target: target)
        }
    }

    /// `pg_dump -Fc` on the source's server streamed into `pg_restore` on the target's: tables
    /// load without indexes (built afterwards, in parallel, by ``restorePostData``).
    func streamSchemaAndData(_ context: StepContext, sides: Sides, source: PostgresConnection, target: PostgresConnection) throws {
        let dump = Command(["pg_dump", "-Fc", p.wireCompression, "--no-owner", "--no-acl", "--section=pre-data", "--section=data"]
                           + source.clientArguments + ["-d", source.database], environment: source.clientEnvironment)
        let restore = Command(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error"] + target.clientArguments + ["-d", target.database],
                              environment: target.clientEnvironment)
        let expected = max(Double(state(context).databaseSize ?? 1), 1)
        let outcome = try Pipe.run(from: sides.sourceExecutor, dump, to: sides.targetExecutor, restore, progress: { bytes in
            context.progress(min(Double(bytes) / expected, 0.99), message: "\(formatBytes(bytes)) streamed")
        }, cancellation: context.cancellation)
        try context.checkCancelled()
        guard outcome.source.succeeded else { throw StepFailure.command("pg_dump", outcome.source.summary) }
        guard outcome.sink.succeeded else { throw StepFailure.command("pg_restore", outcome.sink.summary) }
        context.log(.info, "schema and data copied (\(formatBytes(outcome.bytes)) streamed)")
    }

    /// On one server a parallel directory-format dump and restore uses every core (measured
    /// faster than one stream on 2 cores); the dump lives on that server only while the clone runs.
    func parallelDump(_ context: StepContext, sides: Sides, source: PostgresConnection) throws {
        let dir = try sides.sourceExecutor.output(Command(["mktemp", "-d", "/tmp/ocore-clone-XXXXXXXX"])).trimmingCharacters(in: .whitespacesAndNewlines)
        try record(context) { $0.dumpDir = dir }
        let jobs = parallelJobs(sides.sourceExecutor)
        context.progress(0.05, message: "pg_dump with \(jobs) job(s) into \(dir)", force: true)
        let dump = Command(["pg_dump", "-Fd", "-j", String(jobs), "-Z0", "--no-owner", "--no-acl", "-f", dir + "/db"] + source.clientArguments
                           + ["-d", source.database], environment: source.clientEnvironment)
        let result = try sides.sourceExecutor.run(dump, cancellation: context.cancellation)
        try context.checkCancelled()
        guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
        let size = (try? RemoteFileSystem(sides.sourceExecutor).treeSize(dir)) ?? nil
        context.log(.info, "database dumped with \(jobs) parallel job(s) (\(size.map(formatBytes) ?? "?"))")
    }

    func parallelRestore(_ context: StepContext, sides: Sides, target: PostgresConnection) throws {
        guard let dir = state(context).dumpDir else { throw StepFailure.check("dump", "the dump directory is gone") }
        let jobs = parallelJobs(sides.targetExecutor)
        context.progress(0.05, message: "pg_restore with \(jobs) job(s)", force: true)
        let restore = Command(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-j", String(jobs)] + target.clientArguments
                              + ["-d", target.database, dir + "/db"], environment: target.indexBuildEnvironment(on: sides.targetExecutor, jobs: jobs))
        let result = try sides.targetExecutor.run(restore, cancellation: context.cancellation)
        try context.checkCancelled()
        guard result.succeeded else { throw StepFailure.command("pg_restore", result.summary) }
        try removeDump(context)
        context.log(.info, "database restored with \(jobs) parallel job(s)")
    }

    func removeDump(_ context: StepContext) throws {
        guard let dir = state(context).dumpDir, dir.hasPrefix("/tmp/ocore-clone-") else { return }
        let sides = try sides(context)
        _ = try sides.sourceExecutor.run(Command(["rm", "-rf", "--", dir]))
        try record(context) { $0.dumpDir = nil }
    }

    /// Index and constraint builds dominate a restore, and `pg_restore` runs them in parallel only
    /// from a file. The schema archive is tiny (definitions, no data), so it goes to a private
    /// temporary file on the target server, is restored with one job per core (at most 4), and
    /// is removed.
    func restorePostData(_ context: StepContext, sides: Sides, source: PostgresConnection, target: PostgresConnection, snapshot: String? = nil) throws {
        let dir = try sides.targetExecutor.output(Command(["mktemp", "-d", "/tmp/ocore-postdata-XXXXXXXX"])).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? sides.targetExecutor.run(Command(["rm", "-rf", "--", dir])) }
        let file = dir + "/post-data.dump"
        // Schema only (not post-data alone): pg_restore -j needs the tables in the TOC to order the keys.
        let dump = Command(["pg_dump", "-Fc", "--no-owner", "--no-acl", "--schema-only"] + (snapshot.map { ["--snapshot=" + $0] } ?? [])
                           + source.clientArguments + ["-d", source.database],
                           environment: source.clientEnvironment)
        let copied = try Pipe.run(from: sides.sourceExecutor, dump, to: sides.targetExecutor, Command(["dd", "of=\(file)", "bs=1M", "status=none"]),
                                  cancellation: context.cancellation)
        guard copied.source.succeeded else { throw StepFailure.command("pg_dump", copied.source.summary) }
        guard copied.sink.succeeded else { throw StepFailure.command("dd", copied.sink.summary) }
        try PostDataBuild.run(archive: file, executor: sides.targetExecutor, target: target, jobs: parallelJobs(sides.targetExecutor), context: context)
    }
}
