import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// `backup verify --restore-test` and a policy's weekly test: the backup restored into a scratch
/// environment (no safety backup, no sanitization: nobody uses it), verified like a restore, then
/// removed; the evidence (when, where, how long, what was checked) is recorded on the backup.
public struct RestoreTest: Sendable {
    public let store: SQLiteStateStore
    public let home: StateHome
    public let backupID: String
    /// Where to restore (default: the backup's environment's server).
    public let server: String?

    /// Passed or not, and one line saying what was found.
    public struct Verdict: Sendable, Equatable {
        public var ok: Bool
        public var detail: String
    }

    public func run() throws -> Verdict {
        var backup = try store.backup(backupID)
        let name = "restore-test-\(UUID().uuidString.prefix(8).lowercased())"
        let serverName = try server ?? store.resolvedEnvironment(named: backup.environment).server.name
        // A scratch copy nobody uses: no safety backup, no sanitization, any Odoo version.
        var request = RestoreRequest(backupID: backupID, target: .new(name: name, type: .development, server: serverName, url: nil))
        request.preset = SanitizationCatalog.Preset.none
        request.riskAccepted = true
        request.safetyBackup = false
        request.acceptsVersionMismatch = true
        let started = Date()
        let queue = JobQueue(store: store, home: home)
        let job = try request.prepare(store: store).submit(store: store, home: home)
        let status = try queue.waitUntilFinished(job)
        let seconds = Date().timeIntervalSince(started)
        let verification = ((try? store.jobResult(job)) ?? nil).flatMap { try? JSONDecoder().decode(CloneJob.Outcome.self, from: Data($0.utf8)) }?.verification ?? [:]
        // The scratch environment goes, whatever happened (a failed restore already removed its work).
        if let env = try? store.resolvedEnvironment(named: name) {
            let executor = Executors.forServer(env.server)
            try? PSQL(executor: executor, connection: PostgresConnection(env).database("postgres")).execute("DROP DATABASE IF EXISTS \(SQL.identifier(env.environment.dbName)) WITH (FORCE);")
            try? RemoteFileSystem(executor).removeTree(env.filestore)
            try? store.removeEnvironment(named: name)
        }
        let missing = Int(verification["missing_files"] ?? "") ?? 0
        let ok = status == .completed && missing == 0
        let detail = ok ? "restored on \(serverName) in \(Int(seconds)) s: \(verification["users"] ?? "?") users, \(verification["modules"] ?? "?") modules, \(verification["attachments"] ?? "0") attachments, none missing"
                        : status == .completed ? "restored, but \(missing) attachment file(s) missing" : "the restore failed (job \(job)): \((try? store.job(job).errorMessage) ?? nil ?? "?")"
        let evidence = RestoreTestEvidence(at: ISO8601DateFormatter().string(from: started), server: serverName, seconds: Int(seconds.rounded()), ok: ok, job: job, checks: verification)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        backup.restoreTest = String(decoding: try encoder.encode(evidence), as: UTF8.self)
        try store.updateBackup(backup)
        return Verdict(ok: ok, detail: detail)
    }
}

extension BackupScheduler {
    /// Runs the weekly restore tests that policies ask for and that are due, one after another.
    /// Returns whether each test that ran passed; `report` gets a line per test.
    public func runDueRestoreTests(now: Date, report: (String) -> Void) -> [Bool] {
        let due: [(environment: String, backupID: String)]
        do { due = try dueRestoreTests(now: now) } catch {
            report("restore tests not checked: \(error)")
            return [false]
        }
        return due.map { env, id in
            do {
                let check = try RestoreTest(store: store, home: home, backupID: id, server: nil).run()
                report("restore test of \(env) (backup \(id)): \(check.ok ? "passed" : "FAILED"), \(check.detail)")
                return check.ok
            } catch {
                report("restore test of \(env) (backup \(id)) could not run: \(error)")
                return false
            }
        }
    }
}

extension JobQueue {
    /// Waits for a job to end. A worker that died meanwhile (a crash, an OOM kill) is replaced,
    /// and the new one recovers the job (its compensation runs) instead of it hanging.
    public func waitUntilFinished(_ id: Int64) throws -> JobStatus {
        var ticks = 0
        while true {
            let job = try store.job(id)
            if job.status.isFinished { return job.status }
            ticks += 1
            if ticks % 40 == 0, !Worker.isRunning(home: home) { try? ensureWorker() }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
