import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// Nothing is created before these pass: the target name is free (or, replacing, an environment
    /// other than the source), both servers answer, and the target has room for the copy.
    func checkSourceTargetAndDisk(_ context: StepContext) throws {
        let sides = try sides(context)
        if p.isReplace {
            guard p.target != p.source, (try? context.store.environment(named: p.target)) != nil else {
                throw StepFailure.check("target", "replace needs an existing environment other than the source")
            }
        } else if (try? context.store.environment(named: p.target)) != nil {
            throw StepFailure.check("target name", "an environment named \(p.target) already exists")
        }
        let sourcePSQL = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        do { _ = try sourcePSQL.scalar("SELECT 1") } catch { throw StepFailure.check("source reachable", "\(error)") }
        let targetAdmin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        do {
            if !p.isReplace, try targetAdmin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(p.targetDatabase))") == "1" {
                throw StepFailure.check("target name", "database \(p.targetDatabase) already exists on \(sides.targetServer.name)")
            }
        } catch let error as StepFailure { throw error } catch {
            throw StepFailure.check("target server reachable", "\(error)")
        }
        if let golden = p.fromGolden { try checkGoldenCopy(golden, sides: sides) }
        let databaseSize = try p.fromGolden?.databaseSize ?? Int64(try sourcePSQL.scalar("SELECT pg_database_size(current_database())") ?? "") ?? 0
        let filestoreSize = !p.includeFilestore ? 0
            : try p.fromGolden?.filestoreSize ?? RemoteFileSystem(sides.sourceExecutor).treeSize(sourceFilestore(sides)) ?? 0
        // Hard links cost no space on the same server, but the parallel dump is kept there while it
        // restores; PostgreSQL copies a golden copy's files once.
        let needed = Double(databaseSize + (p.fromGolden != nil ? 0 : sides.sameServer ? databaseSize : filestoreSize)) * 1.2
        let free = try RemoteFileSystem(sides.targetExecutor).diskSpace(at: sides.targetServer.effectiveDataDir).free
        guard Double(free) >= needed else {
            throw StepFailure.check("free disk", "\(formatBytes(free)) free on \(sides.targetServer.name), \(formatBytes(Int64(needed))) needed (database + filestore + 20 %)")
        }
        try record(context) { $0.databaseSize = databaseSize; $0.filestoreSize = filestoreSize }
        context.log(.info, "source \(formatBytes(databaseSize)) database, \(formatBytes(filestoreSize)) filestore; \(formatBytes(free)) free on \(sides.targetServer.name)")
    }

    func checkSourceIsOdoo(_ context: StepContext) throws {
        let sides = try sides(context)
        let psql = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        let present = try psql.query("SELECT to_regclass('res_users') IS NOT NULL, to_regclass('ir_module_module') IS NOT NULL").first ?? []
        guard present == ["t", "t"] else {
            throw StepFailure.check("source is an Odoo database", "res_users or ir_module_module missing in \(sides.source.environment.dbName)")
        }
        if let golden = p.fromGolden { return warnOfSchemaChanges(since: golden, source: psql, context) }
        if p.replicaOf != nil { return }  // sanitized and scanned when the golden copy read was made
        guard p.preset != .none else { return }
        _ = try checkRules(context, psql)
        let coverage = try scanCoverage(context, psql)
        // Fail closed: refused before anything is created, so there is nothing to drop.
        if p.strict == true, !coverage.leftAsIs.isEmpty {
            throw StepFailure.check("strict sanitization", "these columns would be copied as they are: " + Self.listed(coverage.leftAsIs)
                                    + "; enable the option that covers them or classify them in sanitization.toml")
        }
    }

    /// The coverage of the source for this clone's options (scanned once per run).
    func scanCoverage(_ context: StepContext, _ source: PSQL) throws -> CoverageReport {
        if let coverage { return coverage }
        let report = try CoverageScan(psql: source).run(options: p.options, rules: p.rules ?? SanitizationRules())
        coverage = report
        context.log(report.leftAsIs.isEmpty ? .info : .warning, "coverage (\(report.scanMs) ms): \(report.summary)"
                    + (report.leftAsIs.isEmpty ? "" : "; left as they are: " + Self.listed(report.leftAsIs)))
        return report
    }

    /// The operator's rules checked on the source (read-only, before anything is created): a rule
    /// that would break NOT NULL or a unique index refuses the clone here.
    func checkRules(_ context: StepContext, _ source: PSQL) throws -> [ColumnRule] {
        if let columnRules { return columnRules }
        guard let rules = p.rules, !rules.isEmpty, p.preset != .none else { columnRules = []; return [] }
        let started = ContinuousClock.now
        do {
            let resolved = try ColumnRuleCheck(psql: source).resolve(rules, options: p.options)
            columnRules = resolved
            context.log(.info, "\(resolved.count) sanitization rule(s) checked on the source in \(Sanitizer.ms(ContinuousClock.now - started)) ms: "
                        + resolved.map { "\($0.name) = \($0.treatment)" }.joined(separator: ", "))
            return resolved
        } catch let refusal as ColumnRuleRefusal {
            throw StepFailure.check("sanitization rules", refusal.problems.joined(separator: "; "))
        }
    }

    static func listed(_ columns: [CoveredColumn]) -> String {
        columns.map { "\($0.name) (\($0.class.rawValue): \($0.reason))" }.joined(separator: ", ")
    }

}
