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
    public var openedAt: Double
    /// The finished job's outcome (JSON: sanitization per option, proof, verification).
    public var result: String?

    public init(jobID: Int64, openedAt: Double) {
        self.jobID = jobID
        self.openedAt = openedAt
    }
}

func handleProgress(_ key: Key, _ modal: inout ProgressModalState, _ state: inout DashboardState) -> [Effect] {
    if modal.confirmingCancel {
        modal.confirmingCancel = false
        state.overlay = .progress(modal)
        return key == .character("y") ? [.cancelJob(modal.jobID)] : []
    }
    switch key {
    case .escape, .character("m"):
        state.overlay = .none
        state.toast = Toast(message: "job \(modal.jobID) keeps running; the strip below shows it", kind: .info, expiresAt: state.now + 5)
        return []
    case .character("x") where modal.job?.status.isActive ?? true:
        modal.confirmingCancel = true
    default: break
    }
    state.overlay = .progress(modal)
    return []
}
