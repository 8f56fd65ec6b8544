import Foundation
import OcoreOdoo
import OcoreRemote

/// Reads of a source database inside a snapshot exported by ``ExportedSnapshot`` (a clone's
/// sanitizing streams, a sanitized backup's `dump.sql`): every query sees the same data.
enum SnapshotReads {
    /// A psql script in the snapshot: `SET TRANSACTION SNAPSHOT` needs a repeatable-read transaction.
    static func inSnapshot(_ id: String, _ statement: String) -> String {
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET TRANSACTION SNAPSHOT \(SQL.literal(id));\n\(statement);\nCOMMIT;\n"
    }

    static func psqlScript(_ connection: PostgresConnection) -> Command {
        Command(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + connection.clientArguments + ["-d", connection.database], environment: connection.clientEnvironment)
    }

    /// Runs `statement` (a `COPY … TO STDOUT`) in the snapshot, its rows into `sink`.
    static func copy(_ statement: String, snapshot: String, executor: any Executor, connection: PostgresConnection, into sink: ByteSink,
                     cancellation: CancellationFlag) throws {
        let errors = CollectingSink(limit: 64 << 10)
        let ended = try executor.execute(psqlScript(connection), stdin: DataSource(Data(inSnapshot(snapshot, statement).utf8)), stdout: sink,
                                         stderr: errors, cancellation: cancellation)
        if cancellation.isCancelled { throw JobCancelled() }
        guard ended == .exited(0) else { throw StepFailure.command("psql", CommandResult(termination: ended, stderr: errors.data).summary) }
    }

    /// The clone's mapping of the source's customer addresses and numbers, read in the snapshot.
    static func personalDataMap(snapshot: String, executor: any Executor, connection: PostgresConnection, hasCompanies: Bool,
                                cancellation: CancellationFlag) throws -> PersonalDataMap {
        let map = PersonalDataMap()
        try copy("COPY (\(PersonalDataMap.sourceQuery(hasCompanies: hasCompanies))) TO STDOUT", snapshot: snapshot, executor: executor,
                 connection: connection, into: PersonalDataMap.Loader(map), cancellation: cancellation)
        return map
    }
}

/// Collects bytes in memory (a small table's sanitized rows).
final class DataSink: ByteSink, @unchecked Sendable {
    private(set) var data = Data()
    func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
}

/// Passes bytes through a ``StreamFilter`` into the next sink.
final class FilteringSink: ByteSink {
    let filter: any StreamFilter
    let next: ByteSink

    init(_ filter: any StreamFilter, into next: ByteSink) {
        self.filter = filter
        self.next = next
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let out = try filter.filter(bytes)
        if !out.isEmpty { try out.withUnsafeBytes { try next.write($0) } }
    }

    /// The stream ended: what the filter still holds.
    func finish() throws {
        let out = try filter.finish()
        if !out.isEmpty { try out.withUnsafeBytes { try next.write($0) } }
    }
}

/// Writes into `next` on a thread of its own, so the producer (the sanitizing filter and the
/// search of what it writes) and the consumer (the archive's deflate) each have a core.
final class HandOffSink: ByteSink, @unchecked Sendable {
    private let channel = ByteChannel(capacity: 32)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: Error?
    private var ended = false

    init(into next: ByteSink) {
        nonisolated(unsafe) let source = channel.source, next = next
        let channel = channel
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try next.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
            } catch {
                lock.withLock { failure = error }
                channel.abandon()
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try channel.sink.write(bytes) } catch {
            // The consumer's own error says what happened (a full disk, a lost upload).
            throw lock.withLock { failure } ?? error
        }
    }

    /// Everything written has reached `next`; rethrows the consumer's error.
    func finish() throws {
        channel.finish()
        wait()
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// The producer failed: the consumer stops without writing the rest.
    func abort() {
        channel.fail()
        wait()
    }

    private func wait() {
        guard !lock.withLock({ ended }) else { return }
        done.wait()
        lock.withLock { ended = true }
    }
}
