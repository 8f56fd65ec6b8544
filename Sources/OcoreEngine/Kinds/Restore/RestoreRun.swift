import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

/// One run of a restore: its parameters, the target resolved once, the load role, and the
/// filestore extraction running beside the database load. A run after a crash (compensation in
/// another process) starts a new one and finds what was created in ``RestoreState``.
final class RestoreRun: @unchecked Sendable {
    let p: RestoreJob.Parameters
    var filestoreWork: BackgroundWork<String>?
    var filestoreStop: CancellationFlag?
    /// Bytes of the filestore extracted so far, and the total when the archive says it.
    let filestoreBytes = ByteCounter()
    var filestoreTotal: Int64?
    /// The role the dump is loaded as (never a superuser); chosen in the pre-checks.
    var loadRole: LoadRole?
    /// What the dump's check learnt to sanitize it as it loads (kept in memory only: it is
    /// derived from customers' data).
    var dumpFacts: DumpFacts? {
        get { lock.withLock { facts } }
        set { lock.withLock { facts = newValue } }
    }
    private var facts: DumpFacts?
    private let lock = NSLock()
    private var resolved: ResolvedEnvironment?
    init(_ p: RestoreJob.Parameters) { self.p = p }

    // MARK: Where things are

    /// The target environment (registered, or the new one as it will be), looked up on first use.
    func target(_ context: StepContext) throws -> ResolvedEnvironment {
        try lock.withLock {
            if let resolved { return resolved }
            let store = context.store
            let target: ResolvedEnvironment
            if let n = p.newEnvironment {
                let server = try store.server(named: n.server)
                let env = Environment(name: p.target, project: n.project, type: n.type, server: n.server, dbName: p.targetDatabase, postgres: PostgresSettings(),
                                      pgPasswordEnv: n.pgPasswordEnv, filestore: nil, addons: n.addons, url: n.url)
                target = ResolvedEnvironment(env, on: server)
            } else {
                target = try store.resolvedEnvironment(named: p.target)
            }
            resolved = target
            return target
        }
    }

    func state(_ context: StepContext) -> RestoreState { context.state(RestoreState.self) }

    func record(_ context: StepContext, _ change: (inout RestoreState) -> Void) throws {
        try context.record(RestoreState.self, change)
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

    /// Whether the personal-data options are applied to a plain dump's rows as they load (the
    /// clone's in-stream sanitization), rather than by `UPDATE`s after it.
    var sanitizesWhileLoading: Bool {
        p.preset != .none && !Set(p.options).isDisjoint(with: SanitizedCopyPlan.streamable)
    }

    func archiveFile(_ context: StepContext) -> String? { p.archivePath ?? state(context).archiveInPlace ?? state(context).archiveFile }

    func manifest(_ context: StepContext) -> BackupManifest? { state(context).manifest }

    /// The step running, for the restore point's record of where a failed restore stopped.
    func step(_ context: StepContext, _ name: String) { try? record(context) { $0.step = name } }
}
