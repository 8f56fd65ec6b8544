import Foundation
import OcoreModel
import OcoreStore

/// Removes an environment's expired backups: its own job, queued after each successful backup
/// (a backup never deletes anything in its own steps). Each removal is logged with the backup's
/// id and tier and audited; one that fails is reported and skipped, and the job then ends failed
/// naming it, so an operator sees that storage refuses deletions while every backup stays good.
public struct RetentionSweepJob: JobKind {
    public struct Parameters: Codable, Sendable {
        public var environment: String

        public init(environment: String) { self.environment = environment }
    }

    public init() {}

    public var name: String { JobRecord.retentionSweepKind }

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        try Names.validateInventoryName(p.environment, kind: "environment")
        return JobPlan(steps: [
            StepDefinition(name: "remove_expired", title: "Remove expired backups", run: { try Self.removeExpired(p, $0) }),
        ])
    }

    static func removeExpired(_ p: Parameters, _ context: StepContext) throws {
        let job = try context.store.job(context.jobID)
        var sweeper = RetentionSweeper(store: context.store, actor: (job.createdBy, job.createdFrom))
        sweeper.objectsOnlyAfterRemovals = true
        let decisions = try sweeper.sweep(environment: p.environment, dryRun: false, log: { d in
            context.log(d.failure == nil ? .info : .error, d.summary)
        }, objects: { context.log($0.skipped == nil ? .info : .warning, $0.summary) })
        let failed = decisions.filter { $0.failure != nil }
        let removed = decisions.filter { $0.delete && $0.failure == nil }.count
        context.log(.info, "\(p.environment): \(removed) expired backup(s) removed, \(decisions.count - removed - failed.count) kept")
        if !failed.isEmpty {
            throw RetentionSweepFailure(failed: failed.map(\.backup.id))
        }
    }

    /// Queues a sweep of `environment` from inside another job (the running worker takes it). It
    /// holds the environment shared, like the backup that queued it: it changes only backups, but
    /// must not run beside a restore, which may be reading an expired one.
    static func queue(after context: StepContext, environment: String) throws -> Int64 {
        try FollowUpJob.queue(RetentionSweepJob(), Parameters(environment: environment), environment: environment, after: context)
    }
}

struct RetentionSweepFailure: Error, CustomStringConvertible {
    var failed: [String]
    var description: String {
        "\(failed.count) expired backup(s) could not be removed (\(failed.joined(separator: ", "))): they stay listed and are tried again next sweep"
    }
}
