import Foundation
import OcoreModel
import OcoreRemote
import OcoreStore

/// Runs one claimed job through its steps, recording each transition; on failure, cancellation
/// or (at recovery) interruption, runs compensation newest-first and records how the job ended.
struct JobRunner {
    let store: SQLiteStateStore
    let kinds: JobKindRegistry
    let notifier: Notifier?

    func run(_ job: JobRecord, cancellation: CancellationFlag) {
        guard let kind = kinds.kind(named: job.kind) else {
            try? store.finishJob(job.id, status: .failed, errorMessage: "this worker does not know job kind \(job.kind)")
            return
        }
        let plan: JobPlan
        do { plan = try kind.plan(parameters: job.parameters) } catch {
            try? store.finishJob(job.id, status: .failed, errorMessage: "invalid parameters: \(error)")
            return
        }
        if let gap = JobSecrets.missing(locks: job.lockedEnvironments, store: store, whose: "the environment of worker \(getpid())") {
            try? store.finishJob(job.id, status: .failed, errorMessage: gap + ": nothing was done; the worker exits once idle: queue the job again from a shell that has it (or export it where `ocore daemon` runs)")
            return
        }
        store.logQuietly(job.id, .info, "started by worker \(getpid())")
        var completed: [Int] = []
        for (position, step) in plan.steps.enumerated() {
            let context = StepContext(jobID: job.id, parameters: job.parameters, store: store, position: position, cancellation: cancellation)
            do {
                try context.checkCancelled()
                try store.updateStep(job: job.id, position: position, status: .running, progress: 0)
                store.logQuietly(job.id, .info, "\(step.title)…")
                let started = ContinuousClock.now
                try step.run(context)
                try store.updateStep(job: job.id, position: position, status: .completed, progress: 1)
                store.logQuietly(job.id, .info, "\(step.title) done in \(format(ContinuousClock.now - started))")
                completed.append(position)
            } catch {
                let cancelled = error is JobCancelled || cancellation.isCancelled
                try? store.updateStep(job: job.id, position: position, status: cancelled ? .cancelled : .failed,
                                      message: cancelled ? "cancelled" : "\(error)")
                store.logQuietly(job.id, cancelled ? .warning : .error, cancelled ? "cancelled during \(step.title)" : "\(step.title) failed: \(error)")
                for later in (position + 1)..<plan.steps.count { try? store.updateStep(job: job.id, position: later, status: .skipped) }
                // Compensations may record why the job failed (e.g. on a backup row).
                try? JobStateRecord.update(JobRunState.self, job: job.id, store: store) { $0.error = cancelled ? "cancelled" : "\(step.title): \(error)" }
                Self.compensate(plan: plan, positions: [position] + completed.reversed(), job: job, store: store)
                let status: JobStatus = cancelled ? .cancelled : .failed
                try? store.finishJob(job.id, status: status, errorMessage: cancelled ? "cancelled" : "\(error)", errorStep: step.name)
                notifier?.jobEnded(job.id)
                return
            }
        }
        try? store.finishJob(job.id, status: .completed)
        store.logQuietly(job.id, .info, "completed")
        notifier?.jobEnded(job.id)
    }

    /// Undoes the steps at `positions` (already in newest-first order). Errors are logged: a
    /// compensation that fails must not stop the others.
    static func compensate(plan: JobPlan, positions: [Int], job: JobRecord, store: SQLiteStateStore) {
        for position in positions where plan.steps.indices.contains(position) {
            let step = plan.steps[position]
            let context = StepContext(jobID: job.id, parameters: job.parameters, store: store, position: position, cancellation: CancellationFlag())
            do {
                try step.compensate(context)
                store.logQuietly(job.id, .info, "undid \(step.title)")
            } catch {
                store.logQuietly(job.id, .error, "could not undo \(step.title): \(error)")
            }
        }
    }

    /// A job whose worker died: mark it interrupted at the step it was in and compensate.
    static func recover(_ job: JobRecord, store: SQLiteStateStore, kinds: JobKindRegistry, notifier: Notifier?) {
        ProcessTracker.killRecorded(job: job.id, store: store)
        let steps = (try? store.steps(ofJob: job.id)) ?? []
        let current = steps.first { $0.status == .running }
        let stepName = current?.name ?? steps.last { $0.status == .completed }?.name
        store.logQuietly(job.id, .error, "the worker running this job (pid \(job.workerPID.map(String.init) ?? "?")) died; undoing its work")
        if let current { try? store.updateStep(job: job.id, position: current.position, status: .failed, message: "interrupted") }
        for step in steps where step.status == .pending { try? store.updateStep(job: job.id, position: step.position, status: .skipped) }
        try? JobStateRecord.update(JobRunState.self, job: job.id, store: store) { $0.error = "the worker died during \(current?.title ?? "the job")" }
        if let kind = kinds.kind(named: job.kind), let plan = try? kind.plan(parameters: job.parameters) {
            let done = steps.filter { $0.status == .completed }.map(\.position).reversed()
            compensate(plan: plan, positions: (current.map { [$0.position] } ?? []) + done, job: job, store: store)
        }
        try? store.finishJob(job.id, status: .interrupted, errorMessage: "worker died during \(current?.title ?? "the job")", errorStep: stepName)
        notifier?.jobEnded(job.id)
    }
}

extension SQLiteStateStore {
    func logQuietly(_ job: Int64, _ level: LogLevel, _ message: String) {
        try? appendLog(job: job, level: level, message: message)
    }
}

func format(_ duration: Duration) -> String {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.0f s", seconds)
}

/// Keeps the job's running local process groups in its durable state (`processes`: pgid and
/// start time), so that after the worker is killed the next worker can kill exactly those groups
/// (the start time guards against a recycled PID).
enum ProcessTracker {
    private static let lock = NSLock()

    static func flag(job: Int64, store: SQLiteStateStore) -> CancellationFlag {
        CancellationFlag(processStarted: { pgid in
            update(job: job, store: store) { $0.append(JobRunState.RecordedProcess(pgid: pgid, startTime: startTime(of: pgid) ?? 0)) }
        }, processEnded: { pgid in
            update(job: job, store: store) { list in list.removeAll { $0.pgid == pgid } }
        })
    }

    private static func update(job: Int64, store: SQLiteStateStore, _ change: (inout [JobRunState.RecordedProcess]) -> Void) {
        // Only the engine's part changes, in one transaction: the steps' own state is never overwritten.
        lock.withLock { try? JobStateRecord.update(JobRunState.self, job: job, store: store) { change(&$0.processes) } }
    }

    static func killRecorded(job: Int64, store: SQLiteStateStore) {
        for process in JobStateRecord.read(JobRunState.self, job: job, store: store).processes where startTime(of: process.pgid) == process.startTime {
            kill(-process.pgid, SIGKILL)
            store.logQuietly(job, .warning, "killed process group \(process.pgid) left running by the dead worker")
        }
    }

    /// Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
