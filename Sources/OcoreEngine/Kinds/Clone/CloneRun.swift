import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// One run of a clone: its parameters, the two sides resolved once (source environment, target
/// server, their executors), the database copy strategy chosen once, and the work running beside
/// the steps (the filestore copy, the sanitizing streams). A run after a crash (compensation in
/// another process) starts a new one and finds what was created in ``CloneState``.
final class CloneRun: @unchecked Sendable {
    let p: CloneJob.Parameters
    let filestoreCopy = FilestoreOverlap()
    let sanitizedCopy = SanitizedCopy()
    /// Chosen when the database copy starts; read by the step that finishes it.
    var strategy: DatabaseCopyStrategy?
    /// Replace mode: the kept logins' password hashes, read from the target before it is dropped.
    /// Held in memory only (never in the job state): a run after a crash has none to put back.
    var keptPasswords: [(login: String, hash: String)] = []
    /// Every text column of the source classified (``CoverageScan``), read when the source is
    /// checked; a run after a crash scans again.
    var coverage: CoverageReport?
    /// The operator's rules checked against the source (``ColumnRuleCheck``), once per run.
    var columnRules: [ColumnRule]?
    private let lock = NSLock()
    private var resolved: Sides?

    init(_ p: CloneJob.Parameters) { self.p = p }

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

        /// The target server's maintenance database, as its administrator.
        var target: PostgresConnection { .maintenance(of: targetServer) }
    }

    /// The two sides, looked up in the store on first use.
    func sides(_ context: StepContext) throws -> Sides {
        try lock.withLock {
            if let resolved { return resolved }
            var source = try context.store.resolvedEnvironment(named: p.source)
            if let original = p.replicaOf { source = try replicaSource(source, original: original, context) }
            let server = try context.store.server(named: p.targetServer)
            let sourceExecutor = Executors.forServer(source.server)
            let sides = Sides(source: source, targetServer: server, sourceExecutor: sourceExecutor,
                              targetExecutor: server.name == source.server.name ? sourceExecutor : Executors.forServer(server))
            resolved = sides
            return sides
        }
    }

    /// The filestore the copy is made from: the source's, or a golden copy's.
    func sourceFilestore(_ sides: Sides) -> String { p.fromGolden?.filestore ?? sides.source.filestore }

    /// Where that filestore is: a golden copy's is on the target server.
    func filestoreExecutor(_ sides: Sides) -> any Executor { p.fromGolden != nil ? sides.targetExecutor : sides.sourceExecutor }

    func targetFilestore(_ sides: Sides) -> String {
        p.replaceFilestore ?? "\(sides.targetServer.effectiveDataDir)/filestore/\(p.targetDatabase)"
    }

    /// The new database, as the target server's administrator.
    func targetDatabase(_ sides: Sides) -> PostgresConnection {
        var target = sides.target
        target.database = p.targetDatabase
        return target
    }

    func state(_ context: StepContext) -> CloneState { context.state(CloneState.self) }

    func record(_ context: StepContext, _ change: (inout CloneState) -> Void) throws {
        try context.record(CloneState.self, change)
    }

    func parallelJobs(_ executor: any Executor) -> Int {
        p.jobs.map { min(max($0, 1), 16) } ?? min(max((try? RemoteFileSystem(executor).cpuCount()) ?? 1, 1), 4)
    }
}
