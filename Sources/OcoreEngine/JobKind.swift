import Foundation
import OcoreModel
import OcoreRemote
import OcoreStore

/// One step of a job: what it does, and how to undo what it did to the job's *target*.
///
/// Contract: `run` reports progress through the context and throws to fail the step (a
/// ``JobCancelled`` when it noticed cancellation). `compensate` is called, newest step first, for
/// the failing or interrupted step and every step completed before it; it must tolerate partial
/// or absent work (it may run after a crash, in another process) and must never touch a job's
/// source. Whatever compensation needs to know is kept in the kind's ``JobState``, which survives a crash.
public struct StepDefinition: Sendable {
    public var name: String
    public var title: String
    /// Relative weight in the job's percentage (ignored when the kind gives explicit spans).
    public var weight: Double
    public var run: @Sendable (StepContext) throws -> Void
    public var compensate: @Sendable (StepContext) throws -> Void

    public init(name: String, title: String, weight: Double = 1, run: @escaping @Sendable (StepContext) throws -> Void,
                compensate: @escaping @Sendable (StepContext) throws -> Void = { _ in }) {
        self.name = name
        self.title = title
        self.weight = weight
        self.run = run
        self.compensate = compensate
    }
}

/// A kind of job (clone, backup, restore, …): turns parameters into a plan of steps.
public protocol JobKind: Sendable {
    /// The name stored in the job row.
    var name: String { get }
    func plan(parameters: String) throws -> JobPlan
    /// The parameters a retry runs with: the same, but for what each run must have of its own
    /// (a backup's id). Most kinds retry with exactly what they were given.
    func retryParameters(_ parameters: String) throws -> String
}

extension JobKind {
    public func retryParameters(_ parameters: String) throws -> String { parameters }
}

public struct JobPlan: Sendable {
    public var steps: [StepDefinition]
    /// Percentage spans per step; nil spreads 100 % by the steps' weights.
    public var spans: [(Double, Double)]?

    public var resolvedSpans: [(Double, Double)] { spans ?? JobProgress.spans(weights: steps.map(\.weight)) }
}

/// Thrown by steps that noticed their job was cancelled.
public struct JobCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}

/// A step's view of its job: parameters, durable state, progress and log, cancellation.
public final class StepContext: @unchecked Sendable {
    public let jobID: Int64
    public let parameters: String
    public let store: SQLiteStateStore
    public let position: Int
    public let cancellation: CancellationFlag
    private let lock = NSLock()
    private var lastProgressWrite = ContinuousClock.now - .seconds(1)

    init(jobID: Int64, parameters: String, store: SQLiteStateStore, position: Int, cancellation: CancellationFlag) {
        self.jobID = jobID
        self.parameters = parameters
        self.store = store
        self.position = position
        self.cancellation = cancellation
    }

    /// Decodes the job's parameters.
    public func decodeParameters<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(parameters.utf8))
    }

    /// The kind's durable state, as stored now (see ``JobState``).
    public func state<S: JobState>(_: S.Type) -> S {
        JobStateRecord.read(S.self, job: jobID, store: store)
    }

    /// Records a change of the kind's durable state before (or as) the thing it describes happens.
    public func record<S: JobState>(_: S.Type, _ change: (inout S) throws -> Void) throws {
        try JobStateRecord.update(S.self, job: jobID, store: store, change)
    }

    /// Reports progress within the step (0…1). Writes are coalesced to a few per second so the
    /// store stays quiet for readers; the last report of a step is always written.
    public func progress(_ fraction: Double, message: String? = nil, force: Bool = false) {
        lock.withLock {
            let now = ContinuousClock.now
            guard force || now - lastProgressWrite >= .milliseconds(250) else { return }
            lastProgressWrite = now
            try? store.updateStep(job: jobID, position: position, progress: min(max(fraction, 0), 1), message: message)
        }
    }

    public func log(_ level: LogLevel = .info, _ message: String) {
        try? store.appendLog(job: jobID, level: level, message: message)
    }

    /// Throws ``JobCancelled`` if the job was asked to stop.
    public func checkCancelled() throws {
        if cancellation.isCancelled { throw JobCancelled() }
    }

    /// Sleeps up to `duration`, waking early (and throwing) on cancellation.
    public func sleep(_ duration: Duration) throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            try checkCancelled()
            Thread.sleep(forTimeInterval: 0.05)
        }
        try checkCancelled()
    }
}

/// The job kinds a worker knows, by name.
public struct JobKindRegistry: Sendable {
    private var kinds: [String: any JobKind] = [:]

    public init(_ kinds: [any JobKind]) {
        for kind in kinds { self.kinds[kind.name] = kind }
    }

    public func kind(named name: String) -> (any JobKind)? { kinds[name] }
}
