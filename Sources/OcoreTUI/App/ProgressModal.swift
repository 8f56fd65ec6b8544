import Foundation
import OcoreModel

/// The live progress of a job in a modal: bar, ETA, steps, current detail, log, cancel.
public struct ProgressModalState: Equatable, Sendable {
    public var jobID: Int64
    public var job: JobRecord?
    public var steps: [JobStepRecord] = []
    public var log: [JobLogLine] = []
    public var eta = ETAEstimator()
    public var confirmingCancel = false
    public var confirmingRetry = false
    public var openedAt: Double
    /// The finished job's outcome (JSON: sanitization per option, proof, verification).
    public var result: String?
}

extension ProgressModalState {
    /// A job that ended without completing can be queued again with the same parameters.
    public var isRetryable: Bool { [.failed, .cancelled, .interrupted].contains(job?.status) }

    /// From the job's start (not the modal's), frozen at its end.
    public func elapsed(now: Double) -> Double? {
        guard let started = job?.startedAt.flatMap(Timestamp.parse)?.timeIntervalSince1970 else { return nil }
        let end = job?.endedAt.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? now
        return max(end - started, 0)
    }
}

func handleProgress(_ key: Key, _ modal: inout ProgressModalState, _ state: inout DashboardState) -> [Effect] {
    if modal.confirmingCancel || modal.confirmingRetry {
        let retry = modal.confirmingRetry
        modal.confirmingCancel = false
        modal.confirmingRetry = false
        state.overlay = .progress(modal)
        guard key == .character("y") else { return [] }
        return retry ? [.retryJob(modal.jobID)] : [.cancelJob(modal.jobID)]
    }
    switch key {
    case .escape, .character("m"):
        state.overlay = .none
        if modal.job?.status.isActive ?? true {
            state.toast = Toast(message: "job \(modal.jobID) keeps running; the strip below shows it", kind: .info, expiresAt: state.now + 5)
        }
        return []
    case .character("x") where modal.job?.status.isActive ?? true:
        modal.confirmingCancel = true
    case .character("R") where modal.isRetryable:
        modal.confirmingRetry = true
    case .character("o"):
        guard let target = modal.job?.environment, state.select(environment: target) else { break }
        state.overlay = .none
        return [.loadDetails(environment: target, job: modal.jobID)]
    default: break
    }
    state.overlay = .progress(modal)
    return []
}
