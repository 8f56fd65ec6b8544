import Foundation
import OcoreRemote

/// Runs SQL with `psql` on the executor of the server that hosts the database, so connection
/// settings mean what they mean on that server. SQL goes in on standard input, never on the
/// command line; results come back unaligned and tab-separated.
public struct PSQL: Sendable {
    public let executor: any Executor
    public let connection: PostgresConnection
    /// The client environment; by default the connection's own (its password variable).
    public let environment: [String: String]

    public init(executor: any Executor, connection: PostgresConnection, environment: [String: String]? = nil) {
        self.executor = executor
        self.connection = connection
        self.environment = environment ?? connection.clientEnvironment
    }

    /// Runs `sql` (one or more statements, stopping at the first error) and returns the rows of
    /// the last result, each a list of column texts (`NULL` as an empty string).
    @discardableResult
    public func query(_ sql: String, timeout: Duration? = .seconds(300)) throws -> [[String]] {
        let output = try execute(sql, timeout: timeout)
        return output.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// The first column of the first row, if any.
    public func scalar(_ sql: String) throws -> String? {
        try query(sql).first?.first
    }

    /// Runs `sql` and returns psql's raw output.
    @discardableResult
    public func execute(_ sql: String, timeout: Duration? = .seconds(300)) throws -> String {
        try run(sql, flags: ["-q", "-A", "-t", "-F", "\t"], timeout: timeout)
    }

    /// Runs `sql` and returns the number of rows its INSERT, UPDATE and DELETE statements reported
    /// (psql prints a command tag such as `UPDATE 42` for each when not quiet).
    public func executeCountingRows(_ sql: String, timeout: Duration? = .seconds(3600)) throws -> Int {
        try run(sql, flags: [], timeout: timeout).split(separator: "\n").reduce(0) { total, line in
            let parts = line.split(separator: " ")
            guard let tag = parts.first, ["UPDATE", "DELETE", "INSERT"].contains(tag), let n = parts.last.flatMap({ Int($0) }) else { return total }
            return total + n
        }
    }

    /// psql with `flags`, stopping at the first error, SQL on standard input.
    private func command(_ flags: [String], timeout: Duration?) -> Command {
        Command(["psql", "-X", "-v", "ON_ERROR_STOP=1"] + flags + connection.clientArguments + ["-d", connection.database],
                environment: environment, timeout: timeout)
    }

    private func run(_ sql: String, flags: [String], timeout: Duration?) throws -> String {
        let result = try executor.run(command(flags, timeout: timeout), input: Data(sql.utf8))
        guard result.succeeded else { throw PostgresError.from(result, host: executor.hostDescription, database: connection.database) }
        return result.stdoutText
    }

    /// Streams `input` into `psql` (e.g. `COPY … FROM STDIN` data after the statement).
    public func load(_ input: ByteSource, timeout: Duration? = nil) throws {
        let err = CollectingSink(limit: 64 << 10)
        let termination = try executor.execute(command(["-q"], timeout: timeout), stdin: input, stdout: DiscardingSink(), stderr: err, cancellation: nil)
        guard termination == .exited(0) else {
            throw PostgresError.from(CommandResult(termination: termination, stderr: err.data),
                                     host: executor.hostDescription, database: connection.database)
        }
    }
}

/// A PostgreSQL command that failed, with the server's own message.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var host: String
    public var database: String

    static func from(_ result: CommandResult, host: String, database: String) -> PostgresError {
        var text = result.stderrText.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("NOTICE") && !$0.hasPrefix("WARNING") }
            .joined(separator: "; ")
        if case .exited(127) = result.termination { text = "psql is not installed on \(host) (apt-get install postgresql-client)" }
        if text.isEmpty { text = result.summary }
        return PostgresError(message: text, host: host, database: database)
    }

    public var description: String { "PostgreSQL (\(database) on \(host)): \(message)" }
}
