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

extension JobSecrets {
    /// A running worker's environment, read from `/proc` (the worker runs on this host, as this
    /// user): compared, never copied or stored.
    static func environment(ofProcess pid: Int) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        var out: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
        }
        return out
    }

    /// When a worker already runs, the job runs with its environment: a variable this shell has
    /// and the worker lacks, or holds with another value, would make the job use other credentials
    /// than the operator just gave. Said before the job is queued.
    static func mismatch(locks: [String], store: SQLiteStateStore, workerPID: Int) -> String? {
        guard let theirs = environment(ofProcess: workerPID) else { return nil }
        let mine = ProcessInfo.processInfo.environment
        for need in required(locks: locks, store: store) where theirs[need.variable] != mine[need.variable] {
            let how = theirs[need.variable] == nil ? "does not have" : "has another value of"
            return "the running worker (pid \(workerPID)) \(how) $\(need.variable), which environment \(need.environment) needs: wait until it is idle (it then exits) and queue the job again, or export the same value"
        }
        return nil
    }
}

public struct MissingSecret: Error, CustomStringConvertible {
    public var description: String
}
