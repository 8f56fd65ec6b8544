import Foundation

/// A command to run: an argument vector, never a shell string.
public struct Command: Sendable, Equatable, CustomStringConvertible {
    public var arguments: [String]
    /// Variables added to (or overriding) the executor's environment.
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Wall-clock limit; the command is killed when it runs longer (a result, not a hang).
    public var timeout: Duration?

    public init(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                timeout: Duration? = nil) {
        precondition(!arguments.isEmpty, "a command needs at least a program name")
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
    }

    public var program: String { arguments[0] }

    /// The argument vector as a shell would show it; environment values are not printed, since
    /// they may hold secrets.
    public var description: String {
        let env = environment.keys.sorted().map { "\($0)=…" }
        return (env + arguments.map(ShellQuote.quoteIfNeeded)).joined(separator: " ")
    }
}

/// How a command ended. A non-zero exit is a result to inspect, not a thrown error.
public struct CommandResult: Sendable, Equatable {
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case cancelled
    }

    public var termination: Termination
    /// Collected standard output (bounded by the caller's limit).
    public var stdout: Data
    /// Collected standard error (bounded).
    public var stderr: Data

    public init(termination: Termination, stdout: Data = Data(), stderr: Data = Data()) {
        self.termination = termination
        self.stdout = stdout
        self.stderr = stderr
    }

    public var succeeded: Bool { termination == .exited(0) }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// A one-line account of how it ended, with the last line of stderr.
    public var summary: String {
        let how: String = switch termination {
        case .exited(let code): "exit status \(code)"
        case .signalled(let sig): "killed by signal \(sig)"
        case .timedOut: "timed out"
        case .cancelled: "cancelled"
        }
        let lines = stderrText.split(whereSeparator: \.isNewline)
        // The first error is usually the cause (pg_restore -j ends with "a worker process died unexpectedly").
        let firstError = lines.first { $0.contains("error:") || $0.contains("ERROR:") || $0.contains("FATAL:") }
        guard let last = lines.last else { return how }
        if let firstError, firstError != last { return how + ": " + firstError + " … " + last }
        return how + ": " + last
    }
}

/// Thrown when a command could not be run at all (as opposed to running and failing).
public enum ExecutionError: Error, CustomStringConvertible, Equatable, Sendable {
    case programNotFound(String, host: String)
    case spawnFailed(String, reason: String)
    case io(String)

    public var description: String {
        switch self {
        case let .programNotFound(program, host):
            "\(program) is not installed on \(host) (or not on its PATH)"
        case let .spawnFailed(program, reason):
            "cannot start \(program): \(reason)"
        case let .io(reason):
            reason
        }
    }
}
