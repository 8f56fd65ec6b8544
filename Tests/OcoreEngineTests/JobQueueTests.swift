import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore
import OcoreTestSupport
import Testing

@Suite("The job queue")
struct JobQueueTests {
    @Test("a job asked for while a retention sweep holds its environment waits for the sweep, then is queued; any other job in the way refuses it at once")
    func waitsBehindARetentionSweep() throws {
        let home = StateHome(path: TestDirectories.make("ocore-queue"))
        let store = try SQLiteStateStore(home: home)
        // No worker: the executable started for one exits at once, so the jobs below stay as the test puts them.
        let queue = JobQueue(store: store, home: home, executable: "/bin/true")
        func hold(_ kind: String, _ lock: String) throws -> Int64 {
            try store.enqueue(NewJob(kind: kind, environment: "production", server: nil, lockedEnvironments: [lock], parameters: "{}", steps: [],
                                     createdBy: "test", createdFrom: nil))
        }
        let parameters = DiagnosticJob.Parameters(steps: 1, seconds: 0, scratch: home.path)

        let sweep = try hold(JobRecord.retentionSweepKind, "read:production")
        Thread.detachNewThread {
            usleep(600_000)
            try? store.finishJob(sweep, status: .completed)
        }
        let started = ContinuousClock.now
        let id = try queue.submit(DiagnosticJob(), parameters: parameters, environment: "production", server: nil, locks: ["production"])
        let waited = ContinuousClock.now - started
        #expect(try store.job(id).status == .queued)
        #expect(waited >= .milliseconds(500), "it waited for the sweep: \(waited)")
        try store.finishJob(id, status: .completed)

        let clone = try hold("clone", "production")
        let refusedAt = ContinuousClock.now
        #expect(throws: JobStoreError.environmentLocked(environment: "production", jobID: clone, kind: "clone")) {
            try queue.submit(DiagnosticJob(), parameters: parameters, environment: "production", server: nil, locks: ["production"])
        }
        #expect(ContinuousClock.now - refusedAt < .seconds(2), "refused at once")
    }
}
