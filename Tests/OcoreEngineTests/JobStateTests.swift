import Foundation
@testable import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreStore
import OcoreTestSupport
import Testing

@Suite("Job state: typed per kind, and readable from the versions that kept every value as text")
struct JobStateTests {
    /// A state document as the previous version wrote it: every value a string.
    static let legacy = """
        {"database_size":"1048576","filestore_size":"2048","created_database":"old_db","target_dropped":"1","registered":"staging",
         "copy_results":"[]","safety_backup_id":"20261201-0101-abcd","processes":"4242:99,4343:100","service_stopped":"1",
         "dump_extensions":"pg_trgm,unaccent","backup_id":"20261201-0101-abcd","stored":"1","error":"Loading: psql failed"}
        """

    @Test("an old document reads into every kind's state: sizes as numbers, flags (\"1\" or a name) as set, lists split")
    func legacyDocument() {
        let clone = JobStateRecord.decode(CloneState.self, from: Self.legacy)
        #expect(clone.databaseSize == 1_048_576 && clone.filestoreSize == 2048)
        #expect(clone.createdDatabase == "old_db" && clone.targetDropped && clone.registered && clone.safetyBackupID == "20261201-0101-abcd")
        let restore = JobStateRecord.decode(RestoreState.self, from: Self.legacy)
        #expect(restore.dumpExtensions == ["pg_trgm", "unaccent"] && restore.createdDatabase == "old_db")
        let backup = JobStateRecord.decode(BackupState.self, from: Self.legacy)
        #expect(backup.stored && backup.backupID == "20261201-0101-abcd")
        let run = JobStateRecord.decode(JobRunState.self, from: Self.legacy)
        #expect(run.error == "Loading: psql failed" && run.processes.map(\.pgid) == [4242, 4343])
        #expect(JobStateRecord.decode(ServiceState.self, from: Self.legacy).serviceStopped)
        #expect(JobStateRecord.decode(CloneState.self, from: "{}") == CloneState())
    }

    @Test("a change writes only its own keys: the engine's part and another kind's part of the same job survive it")
    func partsLiveSideBySide() throws {
        let ocore = OcoreBinary()
        let store = try SQLiteStateStore(home: StateHome(path: ocore.home))
        let id = try store.enqueue(NewJob(kind: "clone", environment: nil, server: nil, lockedEnvironments: [], parameters: "{}", steps: [],
                                          createdBy: "test", createdFrom: nil))
        try JobStateRecord.update(JobRunState.self, job: id, store: store) { $0.error = "boom" }
        try JobStateRecord.update(CloneState.self, job: id, store: store) { $0.createdDatabase = "x"; $0.databaseSize = 5 }
        try JobStateRecord.update(BackupState.self, job: id, store: store) { $0.stored = true }
        try JobStateRecord.update(CloneState.self, job: id, store: store) { $0.createdDatabase = nil }
        #expect(JobStateRecord.read(JobRunState.self, job: id, store: store).error == "boom")
        #expect(JobStateRecord.read(BackupState.self, job: id, store: store).stored)
        let clone = JobStateRecord.read(CloneState.self, job: id, store: store)
        #expect(clone.createdDatabase == nil && clone.databaseSize == 5)
        #expect(!(try store.jobState(id)).contains("created_database"))
    }

    @Test("a clone killed under the previous version is still undone: the database its old state names is dropped, the job ends interrupted")
    func legacyCloneIsUndone() throws {
        let ocore = OcoreBinary()
        let pg = TestPostgres.cluster
        _ = try ocore.ok(["server", "add", "local", "--local", "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--pg-user", pg.superuser])
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", "prod_unused"])
        let target = "legacy_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try TestPostgres.psql().execute("CREATE DATABASE \(target);")
        let store = try SQLiteStateStore(home: StateHome(path: ocore.home))
        let parameters = CloneJob.Parameters(source: "production", target: target, targetType: .staging, targetServer: "local", targetURL: nil,
                                             preset: .recommended, options: [], passwordHash: nil, includeFilestore: false)
        let plan = try CloneJob().plan(parameters: String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self))
        let id = try store.enqueue(NewJob(kind: "clone", environment: target, server: "local", lockedEnvironments: [target],
                                          parameters: String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self),
                                          steps: plan.steps.enumerated().map { ($1.name, $1.title, Double($0), Double($0 + 1)) },
                                          createdBy: "test", createdFrom: nil))
        try store.updateJobState(id) { _ in "{\"created_database\":\"\(target)\",\"database_size\":\"100\"}" }
        for position in 0..<3 { try store.updateStep(job: id, position: position, status: .completed, progress: 1) }
        try store.updateStep(job: id, position: 3, status: .running)

        JobRunner.recover(try store.job(id), store: store, kinds: .standard, notifier: nil)

        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = '\(target)'") == "0")
        #expect(try store.job(id).status == .interrupted)
        #expect(JobStateRecord.read(CloneState.self, job: id, store: store).createdDatabase == nil)
    }
}
