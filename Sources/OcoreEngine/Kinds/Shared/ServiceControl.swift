import OcoreModel
import OcoreRemote

/// Whether a job stopped its target's Odoo service (and so must start it again, even after a crash).
public struct ServiceState: JobState {
    public var serviceStopped = false

    public init() {}

    enum CodingKeys: String, CodingKey { case serviceStopped = "service_stopped" }

    public static let valueKinds: [String: StateValueKind] = ["service_stopped": .flag]
}

/// Stops and starts an environment's Odoo service with the commands configured for it, so
/// nothing writes to a database while a job replaces it. Shared by every job that replaces a
/// target in place.
enum ServiceControl {
    static func stop(_ t: ResolvedEnvironment, _ context: StepContext) throws {
        guard let stop = t.environment.serviceStop, !context.state(ServiceState.self).serviceStopped else { return }
        let result = try Executors.forServer(t.server).run(Command(stop, timeout: .seconds(300)), outputLimit: 64 << 10, cancellation: context.cancellation)
        guard result.succeeded else { throw StepFailure.command("stop command (\(stop.joined(separator: " ")))", result.summary) }
        try context.record(ServiceState.self) { $0.serviceStopped = true }
        context.log(.info, "Odoo service of \(t.environment.name) stopped: \(stop.joined(separator: " "))")
    }

    /// Starts the service again if this job stopped it; returns whether it did.
    @discardableResult
    static func startIfStopped(_ t: ResolvedEnvironment, _ context: StepContext) throws -> Bool {
        guard context.state(ServiceState.self).serviceStopped, let start = t.environment.serviceStart else { return false }
        let result = try Executors.forServer(t.server).run(Command(start, timeout: .seconds(300)), outputLimit: 64 << 10)
        guard result.succeeded else { throw StepFailure.command("start command (\(start.joined(separator: " ")))", result.summary) }
        try context.record(ServiceState.self) { $0.serviceStopped = false }
        context.log(.info, "Odoo service of \(t.environment.name) started: \(start.joined(separator: " "))")
        return true
    }
}
