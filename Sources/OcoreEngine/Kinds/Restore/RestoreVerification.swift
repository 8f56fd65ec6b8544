import Foundation
import OcoreArchive
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension RestoreRun {
    func sanitize(_ context: StepContext) throws {
        step(context, "sanitize")
        let t = try target(context)
        let psql = try targetPSQL(context, t)
        let copy = !p.asMoved && p.mode != .original
        var outcome = JobOutcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        // A copy gets its own base URL (never its source's): the target's, or one derived from the backup's.
        let restored = try? OdooTarget(psql: psql).baseURL()
        let url = copy ? t.environment.url ?? restored.flatMap { BaseURL.derived(from: $0, for: p.target) } ?? BaseURL.placeholder(for: p.target) : nil
        if copy { try record(context) { $0.baseURL = url } }
        if p.preset != .none {
            let source = manifest(context).flatMap { m in try? context.store.resolvedEnvironment(named: m.ocore.environment) }
            if source == nil {
                // The counts could not be shown beforehand (an import, or a source that is gone):
                // counted here, on the loaded copy, before anything is changed or released.
                let done = Set(state(context).copyResults.map(\.optionKey))
                let impacts = (try? ImpactPreview(psql: psql).run(keys: p.options.filter { !done.contains($0) })) ?? []
                for impact in impacts { context.log(.info, "will \(impact.key): \(impact.text)") }
            }
            outcome = try SanitizationRun(target: psql, addons: t.environment.addons, preset: p.preset, options: p.options, targetURL: url,
                                          sourceHost: copy ? restored.flatMap(BaseURL.host(of:)) : nil, passwordHash: p.passwordHash,
                                          proofSource: source.map { PSQL(executor: Executors.forServer($0.server), connection: PostgresConnection($0)) },
                                          resetIdentity: copy, appliedInCopy: state(context).copyResults,
                                          addressesCheckedInStream: state(context).addressesCheckedInStream).apply(context)
        } else if copy {
            try OdooTarget(psql: psql).resetIdentity(markNeutralized: false)
            if let url { try OdooTarget(psql: psql).setBaseURL(url) }
            context.log(.info, "new database.uuid and database.secret (a copy, not a move)\(url.map { "; web.base.url is \($0)" } ?? "")")
        } else {
            context.log(.info, p.asMoved ? "identity kept (--as-moved)" : "identity kept (restored in place)")
        }
        try record(context) { $0.outcome = outcome }
    }

    func verify(_ context: StepContext) throws {
        step(context, "verify")
        let t = try target(context)
        let restarted = try ServiceControl.startIfStopped(t, context)
        let executor = Executors.forServer(t.server)
        let psql = try targetPSQL(context, t)
        let counts = try DatabaseVerification.keyTables(psql, database: t.environment.dbName, counts: [
            "SELECT count(*) FROM res_users", "SELECT count(*) FROM ir_module_module WHERE state = 'installed'"])
        var verification = ["key_tables": "present", "users": counts[0], "modules": counts[1]]
        if p.includeFilestore {
            let files = try DatabaseVerification.attachmentFiles(psql, filestore: t.filestore, on: executor)
            verification["attachments"] = String(files.attachments)
            verification["missing_files"] = String(files.missing)
            if files.missing > 0 { context.log(.warning, "\(files.missing) attachment file(s) missing from the restored filestore") }
        }
        if let url = t.environment.url {
            // Only a service ocore restarted must answer; otherwise Odoo may simply not run there.
            let health = HTTPHealth.check(url, waitUpTo: restarted ? 60 : 0, cancellation: context.cancellation)
            verification["http"] = health.summary
            if !health.ok {
                if restarted { throw StepFailure.check("HTTP health", "\(url) after the restart: \(health.summary)") }
                context.log(.warning, "\(url) does not answer (\(health.summary)): start the Odoo service of \(p.target) if it should run")
            } else {
                context.log(.info, "\(url) answers: \(health.summary)")
            }
        }
        try handOver(context, t)
        if p.newEnvironment != nil {
            try record(context) { $0.registered = true }
            var env = t.environment
            env.url = env.url ?? state(context).baseURL
            _ = try context.store.addEnvironment(env)
        }
        var outcome = state(context).outcome
            ?? JobOutcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        outcome.verification = verification
        try context.store.setJobResult(context.jobID, String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        try context.store.updateRestorePoint(job: context.jobID, status: "completed", targetState: "restored", ended: true)
        removeDownload(context)
        context.log(.info, "verified: \(verification["users"] ?? "?") users, \(verification["modules"] ?? "?") modules, \(verification["missing_files"] ?? "0") missing files")
    }

    /// The restored database goes to its owner (the one it had, or the environment's role) and
    /// the temporary load role is removed.
    func handOver(_ context: StepContext, _ t: ResolvedEnvironment) throws {
        guard let name = state(context).loadRole else { return }
        let owner = state(context).finalOwner ?? admin(t).connection.user
        try LoadRole.handOver(name: name, database: t.environment.dbName, to: owner, admin: admin(t))
        try record(context) { $0.loadRole = nil }
        context.log(.info, "\(t.environment.dbName) now belongs to \(owner); the temporary role \(name) is removed")
    }

}
