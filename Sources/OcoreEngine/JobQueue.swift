import Foundation
import OcoreModel
import OcoreRemote
import OcoreStore

/// The one way the CLI and the TUI start long work: validate, queue, make sure a worker runs.
/// Neither runs jobs itself, so closing either never stops a job.
public struct JobQueue: Sendable {
    public let store: SQLiteStateStore
    public let home: StateHome
    /// The `ocore` executable to start workers with.
    public let executable: String

    public init(store: SQLiteStateStore, home: StateHome, executable: String = JobQueue.currentExecutable) {
        self.store = store
        self.home = home
        self.executable = executable
    }

    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Who asked: the OS user, and where from (SSH_CLIENT's address, else the local terminal).
    public static func requester(environment: [String: String] = ProcessInfo.processInfo.environment) -> (user: String, from: String?) {
        let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
        let from = environment["SSH_CLIENT"].flatMap { $0.split(separator: " ").first.map(String.init) }
        return (user, from ?? "local")
    }

    /// Plans the job (validating its parameters), queues it, and starts a worker if none runs.
    public func submit<P: Encodable>(_ kind: any JobKind, parameters: P, environment: String?, server: String?,
                                     locks: [String], retryOf: Int64? = nil) throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        return try submit(kind, json: json, environment: environment, server: server, locks: locks, retryOf: retryOf)
    }

    /// `locks`: environment names (exclusive) or shared ones (``JobLock/encoded``); each is widened
    /// to every environment sharing its database or filestore.
    func submit(_ kind: any JobKind, json: String, environment: String?, server: String?, locks requested: [String], retryOf: Int64?) throws -> Int64 {
        let parsed = requested.map(JobLock.init(encoded:))
        let locks = try store.locks(exclusive: parsed.filter { !$0.isShared }.map(\.environment), shared: parsed.filter(\.isShared).map(\.environment))
        if let gap = JobSecrets.missing(locks: locks, store: store, whose: "this shell") { throw MissingSecret(description: gap + ": export it, then try again") }
        if Worker.isRunning(home: home), let pid = try? store.workerStatus()?.pid,
           let gap = JobSecrets.mismatch(locks: locks, store: store, workerPID: pid) {
            throw MissingSecret(description: gap)
        }
        let plan = try kind.plan(parameters: json)
        let spans = plan.resolvedSpans
        let who = Self.requester()
        let id = try enqueueBehindSweeps(NewJob(
            kind: kind.name, environment: environment, server: server, lockedEnvironments: locks, parameters: json,
            steps: zip(plan.steps, spans).map { (name: $0.name, title: $0.title, start: $1.0, end: $1.1) },
            createdBy: who.user, createdFrom: who.from, retryOf: retryOf))
        try ensureWorker()
        return id
    }

    /// How long a job waits for a retention sweep holding its environment before it is refused.
    static let sweepWait: TimeInterval = 30

    /// Every backup queues its environment's retention sweep, which holds the environment a
    /// moment: a restore asked for right after the backup waits for it (a sweep takes about a
    /// second) instead of being refused. Any other job in the way refuses at once, as before.
    private func enqueueBehindSweeps(_ job: NewJob) throws -> Int64 {
        let deadline = Date().addingTimeInterval(Self.sweepWait)
        while true {
            do {
                return try store.enqueue(job)
            } catch JobStoreError.environmentLocked(_, _, let kind) where kind == JobRecord.retentionSweepKind && Date() < deadline {
                try ensureWorker()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Queues a failed, cancelled or interrupted job again with the same parameters.
    public func retry(_ id: Int64, kinds: JobKindRegistry) throws -> Int64 {
        let job = try store.job(id)
        guard [.failed, .cancelled, .interrupted].contains(job.status) else { throw JobStoreError.notRetryable(id, job.status) }
        guard let kind = kinds.kind(named: job.kind) else { throw JobStoreError.noSuchJob(id) }
        return try submit(kind, json: try kind.retryParameters(job.parameters), environment: job.environment, server: job.server,
                          locks: job.lockedEnvironments, retryOf: id)
    }

    /// A worker that died (kill -9, the OOM killer, a reboot of the ops host) leaves its jobs
    /// "running" with half-made targets on disk. Whoever reads jobs calls this: when a job runs
    /// but no worker holds the lock, a new worker is started at once, which marks those jobs
    /// interrupted and undoes their work. Returns the ids of the jobs whose worker is gone.
    @discardableResult
    public func noticeDeadWorker() -> [Int64] {
        guard !Worker.isRunning(home: home) else { return [] }
        let orphans = ((try? store.jobs(includeFinished: false)) ?? []).filter { $0.status == .running }.map(\.id)
        if !orphans.isEmpty { try? ensureWorker() }
        return orphans
    }

    /// Starts a detached worker (new session, survives the terminal) unless one holds the lock.
    public func ensureWorker() throws {
        guard !Worker.isRunning(home: home) else { return }
        _ = try BackgroundProcess.spawn([executable, "worker", "--home", home.path], logPath: home.path + "/worker.log", newSession: true)
    }
}
