/// Where a job is in its life. `interrupted` means its worker died (kill -9, reboot) while it ran.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, completed, failed, cancelled, interrupted

    public var isActive: Bool { self == .queued || self == .running }
    public var isFinished: Bool { !isActive }
}

public enum StepStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, failed, skipped, cancelled
}

public enum LogLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case debug, info, warning, error

    public static func < (a: LogLevel, b: LogLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One long operation (clone, backup, restore, …) as the state store holds it.
public struct JobRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var kind: String
    /// The environment the job changes (its lock), if any.
    public var environment: String?
    /// The server whose concurrency limit the job counts against.
    public var server: String?
    /// Every environment the job locks (target, and the source of a replace).
    public var lockedEnvironments: [String]
    /// Kind-specific parameters as JSON; a retry reuses them.
    public var parameters: String
    public var status: JobStatus
    public var cancelRequested: Bool
    public var createdBy: String
    public var createdFrom: String?
    public var createdAt: String
    public var startedAt: String?
    public var endedAt: String?
    public var heartbeatAt: String?
    public var workerPID: Int?
    public var progress: Double
    public var errorMessage: String?
    public var errorStep: String?
    public var retryOf: Int64?

    public init(id: Int64, kind: String, environment: String?, server: String?, lockedEnvironments: [String], parameters: String,
                status: JobStatus, cancelRequested: Bool = false, createdBy: String, createdFrom: String?, createdAt: String,
                startedAt: String? = nil, endedAt: String? = nil, heartbeatAt: String? = nil, workerPID: Int? = nil,
                progress: Double = 0, errorMessage: String? = nil, errorStep: String? = nil, retryOf: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.environment = environment
        self.server = server
        self.lockedEnvironments = lockedEnvironments
        self.parameters = parameters
        self.status = status
        self.cancelRequested = cancelRequested
        self.createdBy = createdBy
        self.createdFrom = createdFrom
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.heartbeatAt = heartbeatAt
        self.workerPID = workerPID
        self.progress = progress
        self.errorMessage = errorMessage
        self.errorStep = errorStep
        self.retryOf = retryOf
    }

    /// The kind name of the retention sweep a successful backup queues on its own.
    public static let retentionSweepKind = "retention-sweep"

    /// The kind name of the second copy a backup queues when its schedule names one.
    public static let backupCopyKind = "backup-copy"

    /// Housekeeping that another job queued by itself (the retention sweep or the second copy
    /// after a backup): no one started it to watch it, so reopening the dashboard does not put
    /// it in front of them.
    public var isFollowUp: Bool { kind == Self.retentionSweepKind || kind == Self.backupCopyKind }
}

/// One ordered step of a job. A step covers `weightStart…weightEnd` of the job's percentage.
public struct JobStepRecord: Sendable, Equatable {
    public var jobID: Int64
    public var position: Int
    public var name: String
    public var title: String
    public var weightStart: Double
    public var weightEnd: Double
    public var status: StepStatus
    public var startedAt: String?
    public var endedAt: String?
    public var message: String?
    /// 0…1 within the step.
    public var progress: Double

    public init(jobID: Int64, position: Int, name: String, title: String, weightStart: Double, weightEnd: Double,
                status: StepStatus = .pending, startedAt: String? = nil, endedAt: String? = nil, message: String? = nil, progress: Double = 0) {
        self.jobID = jobID
        self.position = position
        self.name = name
        self.title = title
        self.weightStart = weightStart
        self.weightEnd = weightEnd
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.message = message
        self.progress = progress
    }
}

/// One line of a job's log; encoded as `jobs show --json` prints it.
public struct JobLogLine: Sendable, Equatable, Encodable {
    public var id: Int64
    public var at: String
    public var level: LogLevel
    public var message: String

    public init(id: Int64, at: String, level: LogLevel, message: String) {
        self.id = id
        self.at = at
        self.level = level
        self.message = message
    }
}

/// How far along a job is: each step counts for its span, completed and skipped steps in full,
/// the running one by its own progress.
public enum JobProgress {
    public static func overall(_ steps: [JobStepRecord]) -> Double {
        var done = 0.0
        for step in steps {
            switch step.status {
            case .completed, .skipped: done = max(done, step.weightEnd)
            case .running: done = max(done, step.weightStart + (step.weightEnd - step.weightStart) * min(max(step.progress, 0), 1))
            default: break
            }
        }
        return min(done, 100)
    }

    /// Spans for steps given relative weights, ending at 100.
    public static func spans(weights: [Double]) -> [(Double, Double)] {
        let total = weights.reduce(0, +)
        var start = 0.0
        return weights.map { w in
            let end = total > 0 ? start + 100 * w / total : start
            defer { start = end }
            return (start, end)
        }
    }

    /// Spans from cumulative markers, as the seeds give them (2, 5, 10, … 100): step i runs from
    /// marker i-1 (0 for the first) to marker i.
    public static func spans(markers: [Double]) -> [(Double, Double)] {
        var previous = 0.0
        return markers.map { m in defer { previous = m }; return (previous, m) }
    }
}

/// Remaining time from the rate of recent progress. Gives nothing until there is enough signal
/// (a few seconds of samples and visible movement), so a fresh job never shows a wild guess.
public struct ETAEstimator: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public var time: Double
        public var percent: Double
    }

    public let window: Double
    public let minimumSpan: Double
    public private(set) var samples: [Sample] = []

    public init(window: Double = 30, minimumSpan: Double = 3) {
        self.window = window
        self.minimumSpan = minimumSpan
    }

    public mutating func add(time: Double, percent: Double) {
        if let last = samples.last, percent < last.percent { samples.removeAll() }  // a retry or a new phase
        samples.append(Sample(time: time, percent: percent))
        samples.removeAll { $0.time < time - window }
    }

    /// Seconds remaining, or nil when the signal is too weak.
    public var secondsRemaining: Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let span = last.time - first.time
        let moved = last.percent - first.percent
        guard span >= minimumSpan, moved >= 0.5, last.percent < 100 else { return nil }
        return (100 - last.percent) / (moved / span)
    }
}
