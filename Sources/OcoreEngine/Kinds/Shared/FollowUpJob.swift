import Foundation
import OcoreModel
import OcoreStore

/// A job one job queues for after itself (a backup's retention sweep and second copy): taken by
/// the running worker, asked for by the same person from the same place, holding the
/// environment shared as the job that queued it did.
enum FollowUpJob {
    static func queue<Kind: JobKind, Parameters: Encodable>(_ kind: Kind, _ parameters: Parameters, environment: String,
                                                              after context: StepContext) throws -> Int64 {
        let job = try context.store.job(context.jobID)
        let json = String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
        let plan = try kind.plan(parameters: json)
        return try context.store.enqueue(NewJob(
            kind: kind.name, environment: environment, server: nil, lockedEnvironments: [JobLock.shared(environment).encoded], parameters: json,
            steps: zip(plan.steps, plan.resolvedSpans).map { (name: $0.name, title: $0.title, start: $1.0, end: $1.1) },
            createdBy: job.createdBy, createdFrom: job.createdFrom))
    }
}
