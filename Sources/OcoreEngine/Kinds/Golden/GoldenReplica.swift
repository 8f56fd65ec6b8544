import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// A golden refresh on a second server copies the first server's golden copy rather than
/// production: the data is sanitized once, and production is not read again. A template accepts
/// no connections, so it is read through a copy of it made on its own server (`CREATE DATABASE
/// … TEMPLATE`, file by file), dropped as soon as it is read.
extension CloneRun {
    /// The side the copy reads from: the reader database and the golden copy's filestore, on the golden copy's server.
    func replicaSource(_ source: ResolvedEnvironment, original: GoldenCopy, _ context: StepContext) throws -> ResolvedEnvironment {
        var env = source.environment
        env.server = original.server
        env.dbName = GoldenCopy.readerName(forGolden: original.database)
        env.filestore = original.filestore
        env.postgres = PostgresSettings()
        env.pgPasswordEnv = nil
        return ResolvedEnvironment(env, on: try context.store.server(named: original.server))
    }

    /// Copies the golden copy on its server into a database pg_dump can read.
    func openGoldenForReading(_ context: StepContext) throws {
        guard let original = p.replicaOf else { return }
        let catalog = try DatabaseCatalog.admin(on: context.store.server(named: original.server))
        let reader = GoldenCopy.readerName(forGolden: original.database)
        guard try catalog.exists(original.database) else {
            throw StepFailure.check("golden copy", "\(original.database) is gone from \(original.server): refresh the golden copy there first")
        }
        if try catalog.exists(reader) { try catalog.drop(reader) }  // left by an interrupted refresh
        try context.record(GoldenReaderState.self) { $0.reader = reader }
        try catalog.admin.execute("CREATE DATABASE \(SQL.identifier(reader)) TEMPLATE \(SQL.identifier(original.database)) STRATEGY FILE_COPY;")
        context.log(.info, "reading the golden copy on \(original.server) (\(original.summary())) through \(reader)")
    }

    /// Drops the reader database (once the copy has read it, or when the refresh is undone).
    func closeGoldenReader(_ context: StepContext) throws {
        guard let original = p.replicaOf, let reader = context.state(GoldenReaderState.self).reader else { return }
        try DatabaseCatalog.admin(on: context.store.server(named: original.server)).drop(reader)
        try context.record(GoldenReaderState.self) { $0.reader = nil }
    }

    /// The copy is the golden copy's data as it was sanitized: its outcome (options, Odoo's
    /// neutralization, proof) is this copy's, nothing is sanitized a second time.
    func adoptSanitization(of original: GoldenCopy, _ context: StepContext) throws {
        try closeGoldenReader(context)
        let made = JobOutcome.decode(try? context.store.jobResult(original.jobID))
        try record(context) {
            $0.outcome = JobOutcome(sanitizationResult: made?.sanitizationResult ?? [], neutralization: made?.neutralization ?? [], verification: [:],
                                    proof: made?.proof ?? ProofReport(verdict: original.verdict, findings: []), coverage: made?.coverage)
        }
        context.log(.info, "a copy of the golden copy on \(original.server): sanitized when that one was made (\(original.summary())), not a second time")
    }
}

/// The reader database a golden refresh on another server made, so undoing it drops it.
public struct GoldenReaderState: JobState {
    public var reader: String?

    public init() {}

    enum CodingKeys: String, CodingKey { case reader = "golden_reader" }
}
