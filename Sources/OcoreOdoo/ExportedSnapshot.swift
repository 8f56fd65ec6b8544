import Foundation
import OcoreRemote

/// A read-only `REPEATABLE READ` transaction on a database, held open so that other sessions
/// (`pg_dump --snapshot`, a `COPY` after `SET TRANSACTION SNAPSHOT`) see exactly the data it
/// sees: `pg_export_snapshot()`. The session is a `psql` whose input stays open until ``close()``;
/// if ocore dies, psql reads the end of its input and the transaction ends with it.
public final class ExportedSnapshot: @unchecked Sendable {
    public let id: String
    private let input: HeldInput

    private init(id: String, input: HeldInput) {
        self.id = id
        self.input = input
    }

    /// Opens the transaction on `connection`'s database and returns once the snapshot is exported.
    public static func open(executor: any Executor, connection: PostgresConnection, cancellation: CancellationFlag? = nil) throws -> ExportedSnapshot {
        let input = HeldInput(Data("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\n".utf8))
        let output = FirstLineSink()
        // Read only once the session has ended (or given up on).
        nonisolated(unsafe) let errors = CollectingSink(limit: 64 << 10)
        let ended = ResultSlot()
        let command = Command(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"] + connection.clientArguments + ["-d", connection.database],
                              environment: connection.clientEnvironment)
        Thread.detachNewThread {
            let result = Result { try executor.execute(command, stdin: input, stdout: output, stderr: errors, cancellation: cancellation) }
            ended.set(result)
            output.end()
        }
        guard let id = output.waitForLine(timeout: 60), !id.isEmpty else {
            input.release()
            let detail: String
            switch ended.value {
            case .failure(let error)?: detail = "\(error)"
            case .success(let termination)?: detail = PostgresError.from(CommandResult(termination: termination, stderr: errors.data),
                                                                        host: executor.hostDescription, database: connection.database).description
            case nil: detail = "no answer in 60 s"
            }
            throw SnapshotError(detail: detail)
        }
        return ExportedSnapshot(id: id, input: input)
    }

    /// Ends the transaction (the sessions that imported the snapshot keep it).
    public func close() { input.release() }

    public struct SnapshotError: Error, CustomStringConvertible {
        public var detail: String
        public var description: String { "could not export a snapshot of the source: \(detail)" }
    }
}

/// Standard input that gives its text, then "nothing yet" until released, then COMMIT and the end.
private final class HeldInput: ByteSource, @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Data
    private var released = false

    init(_ text: Data) { pending = text }

    func release() { lock.withLock { if !released { released = true; pending.append(Data("COMMIT;\n".utf8)) } } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty {
            let n = min(buffer.count, pending.count)
            pending.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: n)
            pending.removeFirst(n)
            return n
        }
        if released { return 0 }
        return -1
    }
}

private final class FirstLineSink: ByteSink, @unchecked Sendable {
    private let condition = NSCondition()
    private var text = Data()
    private var line: String?
    private var ended = false

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        condition.withLock {
            text.append(contentsOf: bytes)
            if line == nil, let nl = text.firstIndex(of: 10) {
                line = String(decoding: text[text.startIndex..<nl], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                condition.broadcast()
            }
        }
    }

    func end() { condition.withLock { ended = true; condition.broadcast() } }

    func waitForLine(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while line == nil && !ended && condition.wait(until: deadline) {}
            return line
        }
    }
}

private final class ResultSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<CommandResult.Termination, Error>?
    func set(_ r: Result<CommandResult.Termination, Error>) { lock.withLock { result = r } }
    var value: Result<CommandResult.Termination, Error>? { lock.withLock { result } }
}
