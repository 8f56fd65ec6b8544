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
