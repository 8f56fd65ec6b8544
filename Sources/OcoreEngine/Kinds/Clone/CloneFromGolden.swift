import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// A clone from a golden copy: the database is copied by PostgreSQL from the template, the
/// filestore linked from the golden copy's, and of the sanitization only what must differ per
/// copy runs (a new identity, its own URL, the proof's quick checks); the rest was done, and
/// proven, when the golden copy was made.
extension CloneRun {
    /// The golden copy is still there, on the target server, a template nobody can connect to.
    func checkGoldenCopy(_ golden: GoldenCopy, sides: Sides) throws {
        guard golden.server == sides.targetServer.name else {
            throw StepFailure.check("golden copy", "the golden copy of \(golden.source) is on \(golden.server), the clone goes to \(sides.targetServer.name)")
        }
        let admin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        let row = try admin.query("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = \(SQL.literal(golden.database))").first
        guard let row, row == ["t", "f"] else {
            throw StepFailure.check("golden copy", row == nil
                ? "\(golden.database) is gone from \(sides.targetServer.name): refresh it (`ocore golden refresh \(golden.source) --server \(golden.server)`)"
                : "\(golden.database) is not a sealed template (template \(row![0]), connections \(row![1])): refresh it")
        }
    }

    /// The source's installed modules against the golden copy's: a copy older than the source's
    /// last upgrade or installation is said to be, so nobody tests new code on an old schema unawares.
    func warnOfSchemaChanges(since golden: GoldenCopy, source: PSQL, _ context: StepContext) {
        guard let current = try? ModuleVersions.installed(source) else {
            return context.log(.warning, "could not read \(p.source)'s modules to compare them with the golden copy's")
        }
        let changes = golden.schemaChanges(comparedWith: current)
        if changes.isEmpty {
            context.log(.info, "golden copy: \(golden.summary()); its modules are the source's")
        } else {
            context.log(.warning, "the golden copy is older than \(p.source)'s last schema change: \(changes.count) module(s) differ: "
                        + changes.prefix(8).joined(separator: ", ") + (changes.count > 8 ? ", …" : "")
                        + " — refresh it (`ocore golden refresh \(p.source) --server \(golden.server)`)")
        }
    }

    /// What each copy needs of its own: a new database.uuid and database.secret, its URL, and the
    /// proof's quick checks against the source; the sanitization's results are the golden copy's.
    func giveOwnIdentity(cloneOf golden: GoldenCopy, _ context: StepContext) throws {
        let sides = try sides(context)
        let target = PSQL(executor: sides.targetExecutor, connection: targetDatabase(sides))
        let odoo = OdooTarget(psql: target)
        try odoo.resetIdentity(markNeutralized: golden.preset != .none)
        let url = p.targetURL ?? BaseURL.placeholder(for: p.target)
        try odoo.setBaseURL(url)
        try record(context) { $0.baseURL = url }
        context.log(.info, "a new database.uuid and database.secret; web.base.url is \(url)")
        let sourcePSQL = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        let sourceIdentity = try sourcePSQL.query("SELECT value FROM ir_config_parameter WHERE key IN ('database.uuid', 'database.secret') AND value <> ''").map { $0[0] }
        let proof = try SanitizationProof(source: sourcePSQL, target: target)
            .quickRun(targetURL: url, sourceHost: sides.source.environment.url.flatMap(BaseURL.host(of:)), others: sourceIdentity + (golden.identity ?? []),
                      proven: golden.verdict)
        context.log(proof.verdict == "PARTIAL" ? .warning : .info, "proof (quick checks; the data was proven when the golden copy was made): \(proof.verdict)"
                    + proof.findings.map { " · \($0.location): \($0.detail)" }.joined())
        let made = JobOutcome.decode(try? context.store.jobResult(golden.jobID))
        try record(context) {
            $0.outcome = JobOutcome(sanitizationResult: made?.sanitizationResult ?? [], neutralization: made?.neutralization ?? [], verification: [:],
                                    proof: proof, coverage: made?.coverage)
        }
    }
}

/// The installed modules of an Odoo database and their versions: what a golden copy's schema is.
enum ModuleVersions {
    static func installed(_ psql: PSQL) throws -> [String: String] {
        let rows = try psql.query("SELECT name, coalesce(latest_version, '') FROM ir_module_module WHERE state = 'installed' ORDER BY name")
        return Dictionary(rows.compactMap { $0.count == 2 ? (printable($0[0]), printable($0[1])) : nil }, uniquingKeysWith: { a, _ in a })
    }

    /// Read from a database, shown in logs and the dashboard: no control characters, 64 at most.
    static func printable(_ text: String) -> String {
        String(String(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? "?" : Character($0) }).prefix(64))
    }
}
