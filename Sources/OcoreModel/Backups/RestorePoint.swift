import Foundation

/// Where a restore puts a backup (the seeds' modes).
public enum RestoreMode: String, Sendable, Codable, CaseIterable {
    /// Back into the environment the backup came from.
    case original
    /// Into another existing environment of the same project (its own URL and config are kept).
    case existing
    /// Into a new environment created on the backup's server.
    case new
    /// Into a new or existing environment on another server.
    case crossServer = "cross_server"
}

/// One restore as the store records it: what, where, who, how it ended.
public struct RestorePointRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var jobID: Int64
    public var backupID: String?
    public var sourceFile: String?
    public var environment: String
    public var mode: RestoreMode
    public var status: String
    public var requestedBy: String
    public var startedAt: Date
    public var endedAt: Date?
    public var safetyBackupID: String?
    public var failedStep: String?
    public var error: String?
    /// For a failed in-place restore: what the target is left as ("broken", "untouched").
    public var targetState: String?

    enum CodingKeys: String, CodingKey {
        case id, jobID = "job_id", backupID = "backup_id", sourceFile = "source_file", environment, mode, status, requestedBy = "requested_by"
        case startedAt = "started_at", endedAt = "ended_at", safetyBackupID = "safety_backup_id", failedStep = "failed_step", error
        case targetState = "target_state"
    }

    public init(id: Int64 = 0, jobID: Int64, backupID: String?, sourceFile: String?, environment: String, mode: RestoreMode, status: String,
                requestedBy: String, startedAt: Date, endedAt: Date? = nil, safetyBackupID: String? = nil, failedStep: String? = nil,
                error: String? = nil, targetState: String? = nil) {
        self.id = id
        self.jobID = jobID
        self.backupID = backupID
        self.sourceFile = sourceFile
        self.environment = environment
        self.mode = mode
        self.status = status
        self.requestedBy = requestedBy
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.safetyBackupID = safetyBackupID
        self.failedStep = failedStep
        self.error = error
        self.targetState = targetState
    }
}
