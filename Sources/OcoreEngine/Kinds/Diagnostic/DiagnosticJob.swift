import Foundation
import OcoreModel
import OcoreRemote

/// `ocore jobs diagnose`: a harmless job that exercises the engine on this host. Each step
/// writes a marker file in a scratch directory while a child process (`sleep`) runs, then marks
/// it done; compensation removes the step's markers. Operators use it to check that workers
/// start detached, survive logout, can be cancelled and clean up after a crash.
public struct DiagnosticJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var steps: Int
        public var seconds: Double
        public var scratch: String
        /// Fail step N (1-based) on purpose, to see failure handling and notifications.
        public var failAt: Int?
        /// Wait this long at the start of each step before doing anything (a step boundary).
        public var pauseAtStart: Double?

        public init(steps: Int, seconds: Double, scratch: String, failAt: Int? = nil, pauseAtStart: Double? = nil) {
            self.steps = steps
            self.seconds = seconds
            self.scratch = scratch
            self.failAt = failAt
            self.pauseAtStart = pauseAtStart
        }
    }

    public init() {}

    public var name: String { "diagnostic" }

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        guard (1...50).contains(p.steps) else { throw ModelError.invalidValue(field: "--steps", value: String(p.steps), reason: "must be 1 to 50") }
        guard p.seconds >= 0, p.seconds <= 3600 else { throw ModelError.invalidValue(field: "--seconds", value: String(p.seconds), reason: "must be 0 to 3600") }
        guard p.scratch.hasPrefix("/") else { throw ModelError.invalidValue(field: "--scratch", value: p.scratch, reason: "must be an absolute path") }
        let steps = (1...p.steps).map { n in
            StepDefinition(name: "step-\(n)", title: "Diagnostic step \(n) of \(p.steps)", run: { context in
                if let pause = p.pauseAtStart { try context.sleep(.milliseconds(Int(pause * 1000))) }
                try FileManager.default.createDirectory(atPath: p.scratch, withIntermediateDirectories: true)
                let partial = "\(p.scratch)/step-\(n).partial"
                FileManager.default.createFile(atPath: partial, contents: Data("job \(context.jobID)\n".utf8))
                context.progress(0.1, message: "running a child process for \(p.seconds) s", force: true)
                let result = try LocalExecutor().run(Command(["sleep", String(p.seconds)]), cancellation: context.cancellation)
                try context.checkCancelled()
                guard result.succeeded else { throw CommandFailure(command: Command(["sleep"]), host: "local", result: result) }
                if p.failAt == n { throw DiagnosticFailure(step: n) }
                try FileManager.default.moveItem(atPath: partial, toPath: "\(p.scratch)/step-\(n).done")
                context.progress(1, message: "done", force: true)
            }, compensate: { _ in
                for suffix in ["partial", "done"] { try? FileManager.default.removeItem(atPath: "\(p.scratch)/step-\(n).\(suffix)") }
            })
        }
        return JobPlan(steps: steps)
    }
}

struct DiagnosticFailure: Error, CustomStringConvertible {
    let step: Int
    var description: String { "diagnostic failure requested at step \(step)" }
}
