import ArgumentParser
import Foundation
import OcoreModel
import OcoreStore
import OcoreEngine

/// A job as `jobs show --json` prints it.
struct JobJSON: Encodable {
    let job: JobRecord
    let steps: [JobStepRecord]?
    let logs: [JobLogLine]?
    /// Still recorded as running, but its worker died: a new worker is recovering it.
    var workerGone = false

    enum Keys: String, CodingKey {
        case id, kind, environment, server, status, progress, created_by, created_from, created_at, started_at, ended_at
        case error_message, error_step, worker_pid, cancel_requested, retry_of, locked_environments, steps, logs, worker_gone
    }
    enum StepKeys: String, CodingKey { case position, name, title, status, progress, started_at, ended_at, message, weight_start, weight_end }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(job.id, forKey: .id)
        try c.encode(job.kind, forKey: .kind)
        try c.encodeNullable(job.environment, forKey: .environment)
        try c.encodeNullable(job.server, forKey: .server)
        try c.encode(job.status.rawValue, forKey: .status)
        try c.encode((job.progress * 10).rounded() / 10, forKey: .progress)
        try c.encode(job.createdBy, forKey: .created_by)
        try c.encodeNullable(job.createdFrom, forKey: .created_from)
        try c.encode(job.createdAt, forKey: .created_at)
        try c.encodeNullable(job.startedAt, forKey: .started_at)
        try c.encodeNullable(job.endedAt, forKey: .ended_at)
        try c.encodeNullable(job.errorMessage, forKey: .error_message)
        try c.encodeNullable(job.errorStep, forKey: .error_step)
        try c.encodeNullable(job.workerPID, forKey: .worker_pid)
        try c.encode(job.cancelRequested, forKey: .cancel_requested)
        try c.encodeNullable(job.retryOf, forKey: .retry_of)
        try c.encode(job.lockedEnvironments, forKey: .locked_environments)
        if workerGone { try c.encode(true, forKey: .worker_gone) }
        if let steps {
            var list = c.nestedUnkeyedContainer(forKey: .steps)
            for s in steps {
                var sc = list.nestedContainer(keyedBy: StepKeys.self)
                try sc.encode(s.position, forKey: .position)
                try sc.encode(s.name, forKey: .name)
                try sc.encode(s.title, forKey: .title)
                try sc.encode(s.status.rawValue, forKey: .status)
                try sc.encode(s.progress, forKey: .progress)
                try sc.encodeNullable(s.startedAt, forKey: .started_at)
                try sc.encodeNullable(s.endedAt, forKey: .ended_at)
                try sc.encodeNullable(s.message, forKey: .message)
                try sc.encode(s.weightStart, forKey: .weight_start)
                try sc.encode(s.weightEnd, forKey: .weight_end)
            }
        }
        try c.encodeIfPresent(logs, forKey: .logs)
    }
}

enum JobText {
    /// The status as a person reads it: a running job whose worker died is shown as what it is.
    static func status(_ job: JobRecord, workerGone: Bool) -> String {
        workerGone && job.status == .running ? "interrupted (worker gone)" : job.status.rawValue
    }

    static func header(_ job: JobRecord, workerGone: Bool = false) -> String {
        var text = "job \(job.id)  \(job.kind)  \(job.environment.map { "on \($0)  " } ?? "")\(status(job, workerGone: workerGone))  \(String(format: "%.0f%%", job.progress))"
        if workerGone && job.status == .running { text += "\n  its worker is gone (killed, or the host restarted): a new worker is undoing its work now" }
        text += "\n  by \(job.createdBy) from \(job.createdFrom ?? "?") at \(job.createdAt)"
        if let error = job.errorMessage { text += "\n  error\(job.errorStep.map { " in \($0)" } ?? ""): \(error)" }
        return text
    }

    static func symbol(_ status: StepStatus) -> String {
        switch status {
        case .pending: "·"
        case .running: "▶"
        case .completed: "✓"
        case .failed: "✗"
        case .skipped: "-"
        case .cancelled: "⊘"
        }
    }

    static func step(_ s: JobStepRecord) -> String {
        var line = "  \(symbol(s.status)) \(s.title)"
        if s.status == .running { line += String(format: " (%.0f%%)", s.progress * 100) }
        if let m = s.message, !m.isEmpty { line += " — \(m)" }
        return line
    }
}

extension JobFollower {
    /// What a command that queued a job does next: says so, then (unless `detach`) follows the
    /// job to its end; a job that did not complete exits 1.
    static func followQueued(_ id: Int64, _ what: String, detach: Bool, store: SQLiteStateStore, home: StateHome) throws {
        if detach { return print("\(what) queued as job \(id); follow it with `ocore jobs show \(id) --follow`") }
        print("\(what) queued as job \(id)")
        let status = try JobFollower(store: store, id: id, json: false, home: home).run()
        if status != .completed { throw ExitCode(1) }
    }
}

/// `jobs show --follow`: re-reads the job only when the store changed (one cheap
/// `PRAGMA data_version` per tick), prints a live line on a terminal and plain lines otherwise.
struct JobFollower {
    let store: SQLiteStateStore
    let id: Int64
    let json: Bool
    /// Print nothing (the caller prints its own result).
    var quiet = false
    /// The state home whose worker runs the job: if that worker dies (a crash, an OOM kill), a
    /// new one is started, which recovers the job (its compensation runs) instead of it hanging.
    var home: StateHome? = nil

    func run() throws -> JobStatus {
        let tty = isatty(1) == 1 && !json && !quiet
        var lastVersion = -1
        var lastLogID: Int64 = 0
        var lastStepStatus: [Int: StepStatus] = [:]
        var eta = ETAEstimator()
        let start = Date()
        var ticks = 0
        while true {
            let version = try store.dataVersion()
            if version != lastVersion {
                lastVersion = version
                let job = try store.job(id)
                let steps = try store.steps(ofJob: id)
                eta.add(time: Date().timeIntervalSince(start), percent: job.progress)
                for line in try store.logs(ofJob: id, after: lastLogID) {
                    lastLogID = line.id
                    if !json && !quiet {
                        if tty { print("\r\u{1B}[2K", terminator: "") }
                        print("\(line.level == .info ? " " : "!") \(line.message)")
                    }
                }
                if !tty && !json && !quiet {
                    for s in steps where lastStepStatus[s.position] != s.status && s.status != .pending {
                        print(JobText.step(s))
                    }
                }
                for s in steps { lastStepStatus[s.position] = s.status }
                if tty {
                    let current = steps.first { $0.status == .running }
                    print("\r\u{1B}[2K" + progressLine(job, step: current, total: steps.count, eta: eta.secondsRemaining), terminator: "")
                    fflush(nil)
                }
                if job.status.isFinished {
                    if tty { print("") }
                    if quiet { return job.status }
                    if json { try JSONOutput.print(JobJSON(job: job, steps: steps, logs: try store.logs(ofJob: id))) } else {
                        print("job \(id) \(job.status.rawValue)\(job.errorMessage.map { ": \($0)" } ?? "")")
                    }
                    return job.status
                }
            }
            // PRAGMA data_version is a cheap poll: a short tick lets a finished job return at once.
            Thread.sleep(forTimeInterval: 0.05)
            ticks += 1
            if let home, ticks % 40 == 0, !Worker.isRunning(home: home) { try? JobQueue(store: store, home: home).ensureWorker() }
        }
    }

    private func progressLine(_ job: JobRecord, step: JobStepRecord?, total: Int, eta: Double?) -> String {
        let width = 24
        let filled = Int(job.progress / 100 * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var line = "\(bar) \(String(format: "%3.0f%%", job.progress))"
        if let step { line += "  \(step.position + 1)/\(total) \(step.title)" }
        if let eta { line += "  ETA \(Duration.seconds(eta).shortText)" }
        return line
    }
}
