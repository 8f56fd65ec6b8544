import Foundation
import OcoreModel
import OcoreRemote
import OcoreStore

/// Runs queued jobs. One worker per state store (an exclusive `flock` on `worker.lock`, which the
/// kernel releases even on kill -9); it heartbeats, watches for cancellation requests, recovers
/// jobs a dead worker left running, honours each server's concurrency limit, and — unless it is
/// the daemon — exits once there is nothing left to do.
public final class Worker: @unchecked Sendable {
    public struct Options: Sendable {
        public var exitWhenIdle: Bool
        public var idleGrace: Duration
        public var maxConcurrentJobs: Int

        public init(exitWhenIdle: Bool = true, idleGrace: Duration = .seconds(3), maxConcurrentJobs: Int = 4) {
            self.exitWhenIdle = exitWhenIdle
            self.idleGrace = idleGrace
            self.maxConcurrentJobs = maxConcurrentJobs
        }
    }

    public enum WorkerError: Error, CustomStringConvertible {
        case alreadyRunning(pid: Int?)
        case lockFailed(String)

        public var description: String {
            switch self {
            case .alreadyRunning(let pid): "a worker is already running for this state store\(pid.map { " (pid \($0))" } ?? "")"
            case .lockFailed(let reason): "cannot take the worker lock: \(reason)"
            }
        }
    }

    private let store: SQLiteStateStore
    private let home: StateHome
    private let kinds: JobKindRegistry
    private let options: Options
    private let notifier: Notifier?
    private let lock = NSLock()
    private var running: [Int64: CancellationFlag] = [:]
    private let pid = Int(getpid())

    public init(store: SQLiteStateStore, home: StateHome, kinds: JobKindRegistry, options: Options = Options(), notifier: Notifier? = nil) {
        self.store = store
        self.home = home
        self.kinds = kinds
        self.options = options
        self.notifier = notifier
    }

    public static func lockPath(_ home: StateHome) -> String { home.path + "/worker.lock" }

    /// True if some process holds the worker lock right now.
    public static func isRunning(home: StateHome) -> Bool {
        let fd = open(lockPath(home), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return true
    }

    /// Blocks until idle (or forever for the daemon).
    public func run() throws {
        let fd = open(Self.lockPath(home), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WorkerError.lockFailed(String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw WorkerError.alreadyRunning(pid: try? store.workerStatus()?.pid) }
        // A closed terminal or a dropped SSH session must not stop the jobs.
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        try store.workerHeartbeat(pid: pid, starting: true)
        defer { try? store.clearWorker(pid: pid) }

        for orphan in try store.orphanedJobs(currentWorkerPID: pid) {
            JobRunner.recover(orphan, store: store, kinds: kinds, notifier: notifier)
        }

        let heartbeat = Thread { [weak self] in self?.heartbeatLoop() }
        heartbeat.start()

        var idleSince: ContinuousClock.Instant?
        while true {
            let active = lock.withLock { running.count }
            var claimed: JobRecord?
            if active < options.maxConcurrentJobs {
                claimed = try store.claimNextJob(workerPID: pid) { [store] server in (try? store.server(named: server))?.maxConcurrentJobs ?? 2 }
            }
            if let job = claimed {
                idleSince = nil
                start(job)
                continue
            }
            if active == 0, try !store.hasActiveJobs() {
                if idleSince == nil { idleSince = ContinuousClock.now }
                if options.exitWhenIdle, let since = idleSince, ContinuousClock.now - since >= options.idleGrace { break }
            } else {
                idleSince = nil
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stopping = true
    }

    private var stopping = false

    private func start(_ job: JobRecord) {
        let flag = ProcessTracker.flag(job: job.id, store: store)
        lock.withLock { running[job.id] = flag }
        let runner = JobRunner(store: store, kinds: kinds, notifier: notifier)
        let thread = Thread { [weak self] in
            runner.run(job, cancellation: flag)
            self?.lock.withLock { _ = self?.running.removeValue(forKey: job.id) }
        }
        thread.name = "job-\(job.id)"
        thread.start()
    }

    /// Every half second: heartbeat, and pass cancellation requests to the running jobs.
    private func heartbeatLoop() {
        while !stopping {
            try? store.workerHeartbeat(pid: pid)
            let jobs = lock.withLock { running }
            for (id, flag) in jobs where !flag.isCancelled {
                if (try? store.isCancelRequested(id)) == true { flag.cancel() }
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}
