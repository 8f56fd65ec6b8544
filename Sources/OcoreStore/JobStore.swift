import Foundation
import GRDB
import OcoreModel

/// A job to put in the queue: what the engine will run, and what it locks.
public struct NewJob: Sendable {
    public var kind: String
    public var environment: String?
    public var server: String?
    public var lockedEnvironments: [String]
    public var parameters: String
    public var steps: [(name: String, title: String, start: Double, end: Double)]
    public var createdBy: String
    public var createdFrom: String?
    public var retryOf: Int64?

    public init(kind: String, environment: String?, server: String?, lockedEnvironments: [String], parameters: String,
                steps: [(name: String, title: String, start: Double, end: Double)], createdBy: String, createdFrom: String?,
                retryOf: Int64? = nil) {
        self.kind = kind
        self.environment = environment
        self.server = server
        self.lockedEnvironments = lockedEnvironments
        self.parameters = parameters
        self.steps = steps
        self.createdBy = createdBy
        self.createdFrom = createdFrom
        self.retryOf = retryOf
    }
}

/// Refusals from the job queue.
public enum JobStoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case environmentLocked(environment: String, jobID: Int64, kind: String)
    case noSuchJob(Int64)
    case notRetryable(Int64, JobStatus)

    public var description: String {
        switch self {
        case let .environmentLocked(env, id, kind):
            "environment \(env) is busy with job \(id) (\(kind)); wait for it, or cancel it with `ocore jobs cancel \(id)`"
        case .noSuchJob(let id): "no job \(id) (see `ocore jobs --all`)"
        case let .notRetryable(id, status): "job \(id) is \(status.rawValue): only failed, cancelled or interrupted jobs can be retried"
        }
    }
}

/// The jobs half of the state store: queue, steps, progress, logs, worker heartbeat, audit.
extension SQLiteStateStore {
    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

    /// Queues a job unless one of the environments it locks has an active job (checked and
    /// inserted in one write transaction, so two concurrent requests cannot both pass).
    public func enqueue(_ job: NewJob) throws -> Int64 {
        try write { db in
            let wanted = job.lockedEnvironments.map(JobLock.init(encoded:))
            let rows = try Row.fetchAll(db, sql: "SELECT id, kind, locked_environments FROM job WHERE status IN ('queued', 'running')")
            for row in rows {
                let held = Self.stringArray(row["locked_environments"]).map(JobLock.init(encoded:))
                if let clash = wanted.first(where: { w in held.contains { $0.conflicts(with: w) } }) {
                    throw JobStoreError.environmentLocked(environment: clash.environment, jobID: row["id"], kind: row["kind"])
                }
            }
            let locked = String(decoding: try JSONEncoder().encode(job.lockedEnvironments), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO job (kind, environment, server, locked_environments, parameters, status, created_by, created_from, retry_of)
                VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                """, arguments: [job.kind, job.environment, job.server, locked, job.parameters, job.createdBy, job.createdFrom, job.retryOf])
            let id = db.lastInsertedRowID
            for (i, step) in job.steps.enumerated() {
                try db.execute(sql: "INSERT INTO job_step (job_id, position, name, title, weight_start, weight_end) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, i, step.name, step.title, step.start, step.end])
            }
            try db.execute(sql: "INSERT INTO audit_log (os_user, ssh_client, action, environment, job_id, result) VALUES (?, ?, ?, ?, ?, 'queued')",
                           arguments: [job.createdBy, job.createdFrom, job.kind, job.environment, id])
            return id
        }
    }

    public func job(_ id: Int64) throws -> JobRecord {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE id = ?", arguments: [id]) else { throw JobStoreError.noSuchJob(id) }
            return Self.job(from: row)
        }
    }

    /// Active jobs, or the newest `limit` jobs of any status.
    public func jobs(includeFinished: Bool, limit: Int = 200) throws -> [JobRecord] {
        try pool.read { db in
            let filter = includeFinished ? "" : "WHERE status IN ('queued', 'running')"
            return try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM job \(filter) ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.job(from:))
        }
    }

    public func steps(ofJob id: Int64) throws -> [JobStepRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_step WHERE job_id = ? ORDER BY position", arguments: [id]).map { row in
                JobStepRecord(jobID: row["job_id"], position: row["position"], name: row["name"], title: row["title"],
                              weightStart: row["weight_start"], weightEnd: row["weight_end"],
                              status: StepStatus(rawValue: row["status"]) ?? .pending, startedAt: row["started_at"],
                              endedAt: row["ended_at"], message: row["message"], progress: row["progress"])
            }
        }
    }

    /// Log lines after `afterID`, oldest first (a follower asks only for what is new).
    public func logs(ofJob id: Int64, after afterID: Int64 = 0, limit: Int = 1000) throws -> [JobLogLine] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_log WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?", arguments: [id, afterID, limit]).map { row in
                JobLogLine(id: row["id"], at: row["at"], level: LogLevel(rawValue: row["level"]) ?? .info, message: row["message"])
            }
        }
    }

    /// The job's private state (JSON): what its steps created, for compensation after a crash.
    public func jobState(_ id: Int64) throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT state FROM job WHERE id = ?", arguments: [id]) ?? "{}" }
    }

    /// Changes the job's state document in one write transaction, so steps and the threads they
    /// start (or two processes) never lose each other's changes.
    public func updateJobState(_ id: Int64, _ change: (String) throws -> String) throws {
        try write { db in
            let json = try String.fetchOne(db, sql: "SELECT state FROM job WHERE id = ?", arguments: [id]) ?? "{}"
            let changed = try change(json)
            if changed != json { try db.execute(sql: "UPDATE job SET state = ? WHERE id = ?", arguments: [changed, id]) }
        }
    }

    public func setJobState(_ id: Int64, _ state: String) throws {
        try write { db in try db.execute(sql: "UPDATE job SET state = ? WHERE id = ?", arguments: [state, id]) }
    }

    public func appendLog(job id: Int64, level: LogLevel, message: String) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO job_log (job_id, level, message) VALUES (?, ?, ?)", arguments: [id, level.rawValue, message])
        }
    }

    /// Claims a queued job for this worker if its server has room (running jobs < `serverLimit`).
    public func claimNextJob(workerPID: Int, serverLimit: (String) -> Int) throws -> JobRecord? {
        try write { db in
            let queued = try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE status = 'queued' AND cancel_requested = 0 ORDER BY id").map(Self.job(from:))
            for job in queued {
                if let server = job.server {
                    let running = try Int.fetchOne(db, sql: "SELECT count(*) FROM job WHERE status = 'running' AND server = ?", arguments: [server]) ?? 0
                    if running >= serverLimit(server) { continue }
                }
                try db.execute(sql: "UPDATE job SET status = 'running', worker_pid = ?, started_at = \(Self.now), heartbeat_at = \(Self.now) WHERE id = ?",
                               arguments: [workerPID, job.id])
                var claimed = job
                claimed.status = .running
                claimed.workerPID = workerPID
                return claimed
            }
            // Queued jobs whose cancellation was asked before they started end here.
            try db.execute(sql: "UPDATE job SET status = 'cancelled', ended_at = \(Self.now), error_message = 'cancelled before it started' WHERE status = 'queued' AND cancel_requested = 1")
            return nil
        }
    }

    public func updateStep(job id: Int64, position: Int, status: StepStatus? = nil, progress: Double? = nil, message: String? = nil) throws {
        try write { db in
            var sets: [String] = []
            var args: [(any DatabaseValueConvertible)?] = []
            if let status {
                sets.append("status = ?")
                args.append(status.rawValue)
                if status == .running { sets.append("started_at = COALESCE(started_at, \(Self.now))") }
                if status != .running && status != .pending { sets.append("ended_at = \(Self.now)") }
            }
            if let progress { sets.append("progress = ?"); args.append(progress) }
            if let message { sets.append("message = ?"); args.append(message) }
            guard !sets.isEmpty else { return }
            args += [id, position]
            try db.execute(sql: "UPDATE job_step SET \(sets.joined(separator: ", ")) WHERE job_id = ? AND position = ?",
                           arguments: StatementArguments(args))
            let steps = try Row.fetchAll(db, sql: "SELECT * FROM job_step WHERE job_id = ? ORDER BY position", arguments: [id]).map { row in
                JobStepRecord(jobID: id, position: row["position"], name: row["name"], title: row["title"], weightStart: row["weight_start"],
                              weightEnd: row["weight_end"], status: StepStatus(rawValue: row["status"]) ?? .pending, progress: row["progress"])
            }
            try db.execute(sql: "UPDATE job SET progress = ? WHERE id = ?", arguments: [JobProgress.overall(steps), id])
        }
    }

    /// Ends a job and writes its audit record.
    public func finishJob(_ id: Int64, status: JobStatus, errorMessage: String? = nil, errorStep: String? = nil, result: String? = nil) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE job SET status = ?, ended_at = \(Self.now), error_message = ?, error_step = ?, result = COALESCE(?, result),
                               progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END
                WHERE id = ?
                """, arguments: [status.rawValue, errorMessage, errorStep, result, status.rawValue, id])
            try db.execute(sql: """
                INSERT INTO audit_log (os_user, ssh_client, action, environment, job_id, result, detail)
                SELECT created_by, created_from, kind, environment, id, ?, ? FROM job WHERE id = ?
                """, arguments: [status.rawValue, errorMessage, id])
        }
    }

    public func jobResult(_ id: Int64) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT result FROM job WHERE id = ?", arguments: [id]) }
    }

    /// Asks a job to stop. A queued job is cancelled at once; a running one by its worker.
    @discardableResult
    public func requestCancel(_ id: Int64, by user: String) throws -> JobStatus {
        try write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM job WHERE id = ?", arguments: [id]).flatMap(JobStatus.init) else {
                throw JobStoreError.noSuchJob(id)
            }
            guard status.isActive else { return status }
            try db.execute(sql: "UPDATE job SET cancel_requested = 1 WHERE id = ?", arguments: [id])
            try db.execute(sql: "INSERT INTO audit_log (os_user, action, job_id, result) VALUES (?, 'cancel', ?, 'requested')", arguments: [user, id])
            if status == .queued {
                try db.execute(sql: "UPDATE job SET status = 'cancelled', ended_at = \(Self.now), error_message = 'cancelled before it started' WHERE id = ?", arguments: [id])
                return .cancelled
            }
            return status
        }
    }

    public func isCancelRequested(_ id: Int64) throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM job WHERE id = ?", arguments: [id]) ?? false }
    }

    // MARK: Worker

    public func workerHeartbeat(pid: Int, starting: Bool = false) throws {
        try write { db in
            if starting {
                try db.execute(sql: "INSERT OR REPLACE INTO worker (id, pid, started_at, heartbeat_at) VALUES (1, ?, \(Self.now), \(Self.now))", arguments: [pid])
            } else {
                try db.execute(sql: "UPDATE worker SET heartbeat_at = \(Self.now) WHERE id = 1 AND pid = ?", arguments: [pid])
            }
            try db.execute(sql: "UPDATE job SET heartbeat_at = \(Self.now) WHERE status = 'running' AND worker_pid = ?", arguments: [pid])
        }
    }

    /// The worker row: pid and seconds since its last heartbeat.
    public func workerStatus() throws -> (pid: Int, secondsSinceHeartbeat: Double)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT pid, (julianday('now') - julianday(heartbeat_at)) * 86400.0 AS age FROM worker WHERE id = 1") else { return nil }
            return (row["pid"], row["age"])
        }
    }

    public func clearWorker(pid: Int) throws {
        try write { db in try db.execute(sql: "DELETE FROM worker WHERE id = 1 AND pid = ?", arguments: [pid]) }
    }

    /// Jobs left `running` by a worker that is gone. Only called by a worker holding the worker
    /// lock, so no live worker can own them.
    public func orphanedJobs(currentWorkerPID: Int) throws -> [JobRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE status = 'running' AND (worker_pid IS NULL OR worker_pid <> ?) ORDER BY id",
                             arguments: [currentWorkerPID]).map(Self.job(from:))
        }
    }

    /// The queued or running job that holds `environment` (exclusively or shared), if any.
    public func activeJob(locking environment: String) throws -> JobRecord? {
        try jobs(includeFinished: false).first { job in
            [.queued, .running].contains(job.status) && job.lockedEnvironments.map(JobLock.init(encoded:)).contains { $0.environment == environment }
        }
    }

    public func hasActiveJobs() throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM job WHERE status IN ('queued', 'running'))") ?? false }
    }

    /// The newest audit records first; `matching` keeps those whose action, environment, user or
    /// detail contain every word of it.
    public func auditLog(limit: Int = 100, matching: String = "") throws -> [AuditRecord] {
        let words = matching.lowercased().split(separator: " ").map(String.init)
        let condition = words.isEmpty ? "" : "WHERE " + words.map { _ in
            "lower(action || ' ' || coalesce(environment, '') || ' ' || os_user || ' ' || coalesce(detail, '') || ' ' || coalesce(result, '')) LIKE ? ESCAPE '\\'"
        }.joined(separator: " AND ")
        let patterns = words.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        return try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log \(condition) ORDER BY id DESC LIMIT ?",
                             arguments: StatementArguments(patterns.map { $0 as any DatabaseValueConvertible } + [limit])).map { row in
                AuditRecord(id: row["id"], at: row["at"], user: row["os_user"], from: row["ssh_client"], action: row["action"],
                            environment: row["environment"], jobID: row["job_id"], result: row["result"], detail: row["detail"])
            }
        }
    }

    /// The job columns in the order ``job(from:)`` reads them: by position, which over the
    /// Jobs view's 2,000 rows is several times faster than looking each column up by name.
    static let jobColumns = ["id", "kind", "environment", "server", "locked_environments", "parameters", "status", "cancel_requested",
                             "created_by", "created_from", "created_at", "started_at", "ended_at", "heartbeat_at", "worker_pid",
                             "progress", "error_message", "error_step", "retry_of"].map { "job." + $0 }.joined(separator: ", ")

    static func job(from row: Row) -> JobRecord {
        JobRecord(id: row[0], kind: row[1], environment: row[2], server: row[3], lockedEnvironments: stringArray(row[4]),
                  parameters: row[5], status: JobStatus(rawValue: row[6]) ?? .failed, cancelRequested: row[7], createdBy: row[8],
                  createdFrom: row[9], createdAt: row[10], startedAt: row[11], endedAt: row[12], heartbeatAt: row[13], workerPID: row[14],
                  progress: row[15], errorMessage: row[16], errorStep: row[17], retryOf: row[18])
    }
}

extension SQLiteStateStore {
    public func setNotificationSetting(project: String, webhookURL: String?, smtpURL: String?, smtpFrom: String?, smtpTo: String?,
                                       smtpPasswordEnv: String? = nil) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO notification_setting (project, webhook_url, smtp_url, smtp_from, smtp_to, smtp_password_env) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(project) DO UPDATE SET webhook_url = COALESCE(excluded.webhook_url, webhook_url),
                    smtp_url = COALESCE(excluded.smtp_url, smtp_url), smtp_from = COALESCE(excluded.smtp_from, smtp_from),
                    smtp_to = COALESCE(excluded.smtp_to, smtp_to), smtp_password_env = COALESCE(excluded.smtp_password_env, smtp_password_env)
                """, arguments: [project, webhookURL, smtpURL, smtpFrom, smtpTo, smtpPasswordEnv])
        }
    }

    /// The raw settings row for a project: (webhook, smtp url, from, to, password variable).
    public func notificationRow(project: String) throws -> (String?, String?, String?, String?, String?)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM notification_setting WHERE project = ?", arguments: [project]) else { return nil }
            return (row["webhook_url"], row["smtp_url"], row["smtp_from"], row["smtp_to"], row["smtp_password_env"])
        }
    }
}

extension SQLiteStateStore {
    /// The newest jobs of one environment (at most `limit`).
    /// Completed jobs of one kind on one server, newest first.
    public func finishedJobs(kind: String, server: String, limit: Int = 10) throws -> [JobRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE kind = ? AND server = ? AND status = 'completed' ORDER BY id DESC LIMIT ?",
                             arguments: [kind, server, limit]).map(Self.job(from:))
        }
    }

    /// The jobs of an environment, newest first: those filed under it and those that lock it (a
    /// clone is listed under its target and its source).
    public func jobs(forEnvironment name: String, limit: Int = 50) throws -> [JobRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.jobColumns) FROM job_filed_under JOIN job ON job.id = job_filed_under.job_id
                WHERE job_filed_under.environment = ? ORDER BY job_filed_under.job_id DESC LIMIT ?
                """, arguments: [name, limit]).map(Self.job(from:))
        }
    }
}

extension SQLiteStateStore {
    public func setJobResult(_ id: Int64, _ result: String) throws {
        try write { db in try db.execute(sql: "UPDATE job SET result = ? WHERE id = ?", arguments: [result, id]) }
    }
}

extension SQLiteStateStore {
    /// Records an action that is not a job (a deletion, a pin) in the audit log.
    public func audit(user: String, from: String?, action: String, environment: String?, detail: String?) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO audit_log (os_user, ssh_client, action, environment, result, detail) VALUES (?, ?, ?, ?, 'done', ?)",
                           arguments: [user, from, action, environment, detail])
        }
    }
}
