import Foundation
import OcoreModel
import OcoreStore

/// The environment variables a job reads its secrets from (names only: values are never stored).
/// The command that queues a job must have them, and so must the worker that runs it: a worker
/// started earlier from another shell may lack one, and is then refused the job by name instead
/// of connecting without a password.
public enum JobSecrets {
    /// Variables the environments a job locks need, with the environment that needs each.
    static func required(locks: [String], store: SQLiteStateStore) -> [(variable: String, environment: String)] {
        let names = Set(locks.map { JobLock(encoded: $0).environment })
        let environments = (try? store.environments()) ?? []
        return environments.filter { names.contains($0.name) }.compactMap { e in e.pgPasswordEnv.map { ($0, e.name) } }
    }

    /// The first variable missing from `environment`, as a sentence for the operator.
    static func missing(locks: [String], store: SQLiteStateStore, in environment: [String: String] = ProcessInfo.processInfo.environment,
                        whose: String) -> String? {
        guard let gap = required(locks: locks, store: store).first(where: { environment[$0.variable] == nil }) else { return nil }
        return "environment \(gap.environment) reads its database password from $\(gap.variable), which is not set in \(whose)"
    }
}

public struct MissingSecret: Error, CustomStringConvertible {
    public var description: String
}
