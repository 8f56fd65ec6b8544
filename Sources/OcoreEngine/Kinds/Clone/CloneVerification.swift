import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// The options not already applied in the copy, Odoo's neutralization, a new identity, and
    /// the proof read against the source.
    func sanitize(_ context: StepContext) throws {
        if let original = p.replicaOf { return try adoptSanitization(of: original, context) }
        if let golden = p.fromGolden {
            // Done beside the filestore copy; a run resumed after a crash does it here.
            if state(context).outcome == nil { try giveOwnIdentity(cloneOf: golden, context) }
            return context.log(.info, "sanitized when the golden copy was made; this copy has its own identity and URL")
        }
        let sides = try sides(context)
        let target = PSQL(executor: sides.targetExecutor, connection: targetDatabase(sides))
        // The copy still holds the source's base URL: the source's host, and what a URL is derived from.
        let copied = try? OdooTarget(psql: target).baseURL()
        let replica = p.keepIdentity ?? false
        let url = replica ? nil : p.targetURL ?? copied.flatMap { BaseURL.derived(from: $0, for: p.target) } ?? BaseURL.placeholder(for: p.target)
        if let url, url.hasSuffix(".invalid"), p.goldenBuild == nil { context.log(.warning, "no URL to derive \(p.target)'s from: web.base.url is \(url) until you set one (`ocore env set \(p.target) --url …`)") }
        try record(context) { $0.baseURL = url }
        let outcome = try SanitizationRun(
            target: target, addons: sides.source.environment.addons, preset: p.preset, options: p.options, targetURL: url,
            sourceHost: (sides.source.environment.url ?? copied).flatMap(BaseURL.host(of:)), passwordHash: p.passwordHash,
            proofSource: PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source)),
            resetIdentity: !replica, appliedInCopy: state(context).copyResults,
            coverage: p.preset == .none ? nil : try scanCoverage(context, PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))),
            rules: try checkRules(context, PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))),
            addressesCheckedInStream: state(context).addressesCheckedInStream).apply(context)
        try record(context) { $0.outcome = outcome }
        for (login, hash) in keptPasswords {
            let changed = try target.executeCountingRows("UPDATE res_users SET password = \(SQL.literal(hash)) WHERE login = \(SQL.literal(login))")
            context.log(changed > 0 ? .info : .warning, changed > 0 ? "\(login) keeps its password from before the replace" : "\(login) is not a user of the copy: nothing kept")
        }
    }

    /// The copy is checked (key tables, attachment files, the URL when Odoo answers there), then
    /// the new environment is registered and the outcome recorded as the job's result.
    func verifyAndRegister(_ context: StepContext) throws {
        let sides = try sides(context)
        var verification = try verifyCopy(context, sides: sides)
        if let golden = p.fromGolden { verification["golden_copy"] = golden.summary() }
        let done = state(context)
        if p.isReplace {
            if let old = done.replacedFilestore { try? RemoteFileSystem(sides.targetExecutor).removeTree(old) }
            try record(context) { $0.replacedFilestore = nil }
            let target = try context.store.resolvedEnvironment(named: p.target)
            _ = try OdooConfigRequest.pointAtOwnDatabase(target, sourceDatabase: sides.source.environment.dbName, context)
            let restarted = try ServiceControl.startIfStopped(target, context)
            if let url = p.targetURL { verification["http"] = checkHealth(url, restarted: restarted, context) }
        } else {
            let env = Environment(name: p.target, project: sides.source.environment.project, type: p.targetType, server: p.targetServer,
                                  dbName: p.targetDatabase, postgres: PostgresSettings(), pgPasswordEnv: sides.source.environment.pgPasswordEnv,
                                  filestore: nil, addons: sides.source.environment.addons, url: done.baseURL ?? p.targetURL,
                                  serviceStop: p.serviceStop, serviceStart: p.serviceStart, filestoreOwner: p.filestoreOwner)
            try record(context) { $0.registered = true }
            _ = try context.store.addEnvironment(env)
            if let url = p.targetURL, p.urlDerived != true { verification["http"] = checkHealth(url, restarted: false, context) }
        }
        var outcome = done.outcome ?? JobOutcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
        outcome.verification = verification
        try context.store.setJobResult(context.jobID, String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self))
        context.log(.info, "environment \(p.target) registered (\(verification["active_users"] ?? "?") active users)")
    }

    /// The copy's key tables are there (its active users counted) and, with the filestore, every
    /// attachment's file.
    func verifyCopy(_ context: StepContext, sides: Sides) throws -> [String: String] {
        let psql = PSQL(executor: sides.targetExecutor, connection: targetDatabase(sides))
        let counts = try DatabaseVerification.keyTables(psql, database: p.targetDatabase, counts: ["SELECT count(*) FROM res_users WHERE active"])
        var verification = ["key_tables": "present", "active_users": counts.first ?? "?"]
        if p.includeFilestore, p.fromGolden != nil {
            // The same rows and the same files (linked) as the golden copy, whose every attachment was checked when it was made.
            verification["filestore"] = "linked from the golden copy (its attachments checked when it was made)"
        } else if p.includeFilestore {
            let files = try DatabaseVerification.attachmentFiles(psql, filestore: targetFilestore(sides), on: sides.targetExecutor)
            verification["attachments"] = String(files.attachments)
            verification["missing_files"] = String(files.missing)
            if files.missing > 0 { context.log(.warning, "\(files.missing) attachment file(s) missing in the target filestore") }
        }
        return verification
    }

    /// Whether Odoo answers at `url`. A service ocore restarted is waited for (a copy that does not
    /// answer is reported, not undone: undoing would leave the target without a database); a new
    /// copy usually has no service yet, so silence there is only a warning.
    func checkHealth(_ url: String, restarted: Bool, _ context: StepContext) -> String {
        let health = HTTPHealth.check(url, waitUpTo: restarted ? 60 : 0, cancellation: context.cancellation)
        if health.ok {
            context.log(.info, "\(url) answers\(restarted ? " after the restart" : ""): \(health.summary)")
        } else if restarted {
            context.log(.error, "\(url) does not answer after the restart (\(health.summary)): look at the Odoo service of \(p.target)")
        } else {
            context.log(.warning, "\(url) does not answer yet (\(health.summary)): start Odoo for \(p.target) there")
        }
        return health.summary
    }
}
