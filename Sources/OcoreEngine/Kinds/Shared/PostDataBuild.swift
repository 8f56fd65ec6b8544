import Foundation
import OcoreOdoo
import OcoreRemote

/// Builds a copy's indexes and constraints: shared by clones (every strategy but the template)
/// and anything else that loads data before its indexes.
enum PostDataBuild {
    /// Builds a copy's indexes and constraints (`--section=post-data`) from `archive` with `jobs`
    /// parallel sessions. The archive must hold the tables' own TOC entries (a full or
    /// schema-only dump, not `--section=post-data` alone): `pg_restore -j` keeps a foreign key
    /// from running beside work on either of its tables only by finding those tables in the TOC.
    /// Without them, the demo's `res_partner` ↔ `res_company` keys were added at the same time
    /// and deadlocked in the test suite.
    static func run(archive: String, executor: any Executor, target: PostgresConnection, jobs: Int, context: StepContext) throws {
        context.progress(0.7, message: "building indexes and constraints with \(jobs) job(s)", force: true)
        let restore = Command(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--section=post-data", "-j", String(jobs)]
                              + target.clientArguments + ["-d", target.database, archive],
                              environment: target.indexBuildEnvironment(on: executor, jobs: jobs))
        let result = try executor.run(restore, cancellation: context.cancellation)
        try context.checkCancelled()
        guard result.succeeded else { throw StepFailure.command("pg_restore", result.summary) }
        context.log(.info, "indexes and constraints built with \(jobs) parallel job(s)")
    }
}
