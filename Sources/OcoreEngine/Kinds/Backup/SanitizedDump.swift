import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote

/// What a sanitized backup is asked to do to its data (`backup create --sanitized`).
public struct BackupSanitization: Codable, Sendable, Equatable {
    public var preset: SanitizationCatalog.Preset
    public var options: [String]
    /// Refuse the backup while a personal or secret-like column would be left as it is.
    public var strict: Bool
    public var rules: SanitizationRules?
    /// Odoo's hash of the known password active users get (with `reset_passwords`).
    public var passwordHash: String?
}

/// A sanitized backup's `dump.sql`, written from one exported snapshot of the source straight
/// into the archive: the schema (`pg_dump --section=pre-data`); the data of tables no option
/// touches (`--section=data`, the others excluded); every table an option, a rule or the
/// coverage changes as `COPY … FROM stdin` blocks of a sanitizing `SELECT` passed through
/// ``SanitizingCopyFilter`` (the options' own ``RowChange``s, the clone's e-mail and phone
/// mapping); indexes and constraints (`--section=post-data`); then what must run once the
/// constraints exist: removals of rows other tables refer to (they cascade as in Odoo), Odoo's
/// `neutralize.sql` of the installed modules and a new identity. No unsanitized value is ever
/// written, not even to a temporary file, and every row written is searched for the source's
/// customer addresses (``DumpAddressSearch``): the attestation's proof.
struct SanitizedDump {
    let sanitization: BackupSanitization
    let server: Server
    let executor: any Executor
    let connection: PostgresConnection
    let addons: [String]
    let sourceVersion: String?
    let includeFilestore: Bool

    /// What the dump will do, decided on the source before its first byte: the coverage (and a
    /// strict refusal), the checked rules, each option's row changes, the copy plan, Odoo's scripts.
    struct Plan {
        var coverage: CoverageReport
        var rules: [ColumnRule]
        /// Options that do not apply to this schema, with the reason.
        var skipped: [String: String]
        /// Removals of rows other tables refer to: at the end of `dump.sql`.
        var afterConstraints: [SanitizedCopyPlan.OptionChange]
        var removals: [SanitizedCopyPlan.OptionChange]
        var copy: SanitizedCopyPlan?
        var neutralize: [(module: String, sql: String)]
        var tables: [SanitizedCopyPlan.Table] { copy?.tables ?? [] }
    }

    /// What the sanitizing SELECTs changed, by option, and how many rows each table had.
    struct Written {
        var changed: [String: Int] = [:]
        var rows: [String: Int] = [:]
    }

    func write(into archive: ByteSink, _ context: StepContext) throws -> SanitizationAttestation {
        let source = PSQL(executor: executor, connection: connection)
        let snapshot = try ExportedSnapshot.open(executor: Executors.forServer(server), connection: connection, cancellation: context.cancellation)
        defer { snapshot.close() }
        context.log(.info, "snapshot \(snapshot.id) exported: the schema, the data and the sanitizing SELECTs read the same data")
        // The customers' addresses load while the coverage is read and the schema dumped.
        let started = ContinuousClock.now
        let mapReader = Executors.forServer(server), connection = connection, cancellation = context.cancellation.derived()
        let companies = try source.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('public.res_company') AND attname = 'partner_id' AND NOT attisdropped") == "1"
        let loading = BackgroundWork {
            try SnapshotReads.personalDataMap(snapshot: snapshot.id, executor: mapReader, connection: connection, hasCompanies: companies, cancellation: cancellation)
        }
        let sink = HandOffSink(into: archive)
        var finished = false
        defer {
            if !finished { sink.abort() }
            if !loading.isDone { cancellation.cancel() }
            _ = loading.wait()
        }
        let plan = try makePlan(source, context)
        let removed = try countRemovals(plan.removals, snapshot: snapshot.id, context)
        try pgDump(["--section=pre-data"], snapshot: snapshot.id, into: sink, context)
        let map = try loading.wait().get()
        context.log(.info, "\(map.emailCount) customer address(es) and \(map.phoneCount) number(s) of the source read (\(Sanitizer.ms(ContinuousClock.now - started)) ms, beside the coverage)")
        let search = DumpAddressSearch(next: sink, map: map)
        let written = try writeData(plan, map: map, snapshot: snapshot.id, into: search, source: source, context)
        try pgDump(["--section=post-data"], snapshot: snapshot.id, into: sink, context)
        try write(trailer(removals: plan.afterConstraints.map(\.change), neutralize: plan.neutralize), into: sink)
        finished = true
        try sink.finish()
        return attest(plan, written: written, removed: removed, search: search, map: map, context)
    }

    private func makePlan(_ source: PSQL, _ context: StepContext) throws -> Plan {
        let s = sanitization
        let coverage = try CoverageScan(psql: source).run(options: s.options, rules: s.rules ?? SanitizationRules())
        context.log(coverage.leftAsIs.isEmpty ? .info : .warning, "coverage (\(coverage.scanMs) ms): \(coverage.summary)"
                    + (coverage.leftAsIs.isEmpty ? "" : "; left as they are: " + CloneRun.listed(coverage.leftAsIs)))
        if s.strict && !coverage.leftAsIs.isEmpty {
            throw StepFailure.check("strict sanitization", "personal or secret-like columns would be left as they are: " + CloneRun.listed(coverage.leftAsIs)
                                    + " (classify them in sanitization.toml, or enable the option that covers them)")
        }
        var rules: [ColumnRule] = []
        if let given = s.rules, !given.isEmpty {
            do { rules = try ColumnRuleCheck(psql: source).resolve(given, options: s.options) } catch let refusal as ColumnRuleRefusal {
                throw StepFailure.check("sanitization rules", refusal.problems.joined(separator: "; "))
            }
        }
        let columns = SanitizedCopyPlan.columns(fromRows: try source.query(SanitizedCopyPlan.columnsQuery))
        let sets = columns.mapValues(Set.init)
        let sanitizerContext = Sanitizer.Context(targetURL: nil, passwordHash: s.passwordHash ?? "", mappingKey: UUID().uuidString, coverage: coverage)
        var changes: [SanitizedCopyPlan.OptionChange] = []
        var skipped: [String: String] = [:]
        for option in s.options {
            guard let (found, skip) = Sanitizer.rowChanges(option, columns: sets, context: sanitizerContext) else { continue }
            if let skip { skipped[option] = skip } else { changes += found.map { (option, $0) } }
        }
        // The source's own secret signs its sessions and tokens: never in the archive.
        if sets["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true {
            changes.append((Self.newSecret, .edit(table: "ir_config_parameter", set: [("value", "gen_random_uuid()::text")], where: "\"key\" = 'database.secret'")))
        }
        // Rows other tables refer to go once the constraints exist (their referrers cascade as in Odoo).
        let referenced = Set(try source.query("""
            SELECT DISTINCT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.confrelid
             WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace
            """).map { $0[0] })
        let removals = changes.filter { if case .remove = $0.change { true } else { false } }
        let afterConstraints = removals.filter { referenced.contains($0.change.table) }
        let inStream = changes.filter { change in !afterConstraints.contains { $0.change == change.change } }
        return Plan(coverage: coverage, rules: rules, skipped: skipped, afterConstraints: afterConstraints, removals: removals,
                    copy: SanitizedCopyPlan.make(options: s.options, columns: columns, detected: coverage.columns,
                                                 secretParameters: coverage.secretParameters, rules: rules, changes: inStream),
                    neutralize: try OdooTarget(psql: source).neutralizeScripts(addonsPaths: addons, only: s.preset == .minimal ? ["base"] : nil))
    }

    /// The data: the untouched tables by pg_dump, the small sanitized ones read side by side into
    /// memory (already sanitized) and written in order, the big ones straight into the archive.
    private func writeData(_ plan: Plan, map: PersonalDataMap, snapshot: String, into search: DumpAddressSearch, source: PSQL,
                           _ context: StepContext) throws -> Written {
        let excluded = plan.tables.flatMap { ["--exclude-table-data", "public." + SQL.identifier($0.name)] }
        try pgDump(["--section=data"] + excluded, snapshot: snapshot, into: search, context)
        let sizes = SanitizedCopyPlan.sizes(fromRows: try source.query(SanitizedCopyPlan.sizesQuery))
        let small = plan.tables.filter { (sizes[$0.name] ?? 0) < Self.smallTable }
        let fetched = try fetchSide(by: side(small, map: map, snapshot: snapshot, context))
        var written = Written()
        func report(_ table: SanitizedCopyPlan.Table, _ filter: SanitizingCopyFilter) {
            let counts = filter.counts
            written.rows[table.name] = counts.rows
            for (option, rows) in counts.changed { written.changed[option, default: 0] += rows }
            let changes: String = counts.changed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            context.log(.info, "\(table.name): \(counts.rows) row(s) through the sanitizing SELECT (\(Sanitizer.ms(counts.time)) ms rewriting)"
                        + (changes.isEmpty ? "" : ": " + changes))
        }
        for (table, filter, data) in fetched {
            try data.withUnsafeBytes { try search.write($0) }
            report(table, filter)
        }
        for table in plan.tables where (sizes[table.name] ?? 0) >= Self.smallTable {
            let filter = Self.filter(table, map: map)
            let through = FilteringSink(filter, into: search)
            try SnapshotReads.copy("COPY (\(table.select)) TO STDOUT", snapshot: snapshot, executor: executor, connection: connection,
                                   into: through, cancellation: context.cancellation)
            try through.finish()
            report(table, filter)
        }
        return written
    }

    /// The attestation: each option with its rows (or why it did not apply), the coverage, the
    /// search of every row written, and the verdict.
    private func attest(_ plan: Plan, written: Written, removed: [String: Int], search: DumpAddressSearch, map: PersonalDataMap,
                        _ context: StepContext) -> SanitizationAttestation {
        let streamed = Set(plan.copy?.options ?? [])
        var options: [SanitizationAttestation.Option] = []
        for option in sanitization.options + [Self.newSecret] {
            let rows: Int = (written.changed[option] ?? 0) + (removed[option] ?? 0)
            if let skip = plan.skipped[option] {
                options.append(.init(key: option, status: "skipped", rows: 0, detail: skip))
            } else if streamed.contains(option) || removed[option] != nil {
                options.append(.init(key: option, status: "applied", rows: rows))
            } else if option == "update_base_url" {
                options.append(.init(key: option, status: "skipped", rows: 0, detail: "set by the restore, to the target's URL"))
            } else if option != Self.newSecret {
                options.append(.init(key: option, status: "skipped", rows: 0, detail: "nothing of this schema to change"))
            }
        }
        if !plan.rules.isEmpty {
            let ruled = Set((plan.copy?.rules ?? []).map { String($0.split(separator: ".")[0]) })
            options.append(.init(key: Sanitizer.rulesKey, status: "applied", rows: ruled.reduce(0) { $0 + (written.rows[$1] ?? 0) },
                                 detail: plan.rules.map(\.name).joined(separator: ", ") + " (rows of their tables, computed as written)"))
        }
        let coverage = plan.coverage
        let findings = search.findings.sorted { $0.key < $1.key }.map { ProofFinding.customerAddresses(in: $0.key, count: $0.value) }
        let verdict = findings.isEmpty && coverage.leftAsIs.isEmpty ? "NEUTRALIZED" : "PARTIAL"
        context.log(verdict == "NEUTRALIZED" ? .info : .warning, "\(search.rows) row(s) of dump.sql searched for \(map.emailCount) customer address(es) in \(Sanitizer.ms(search.time)) ms: "
                    + (findings.isEmpty ? "none found" : findings.map { "\($0.location) \($0.count)" }.joined(separator: ", ")) + "; verdict \(verdict)")
        return SanitizationAttestation(preset: sanitization.preset.rawValue, options: options, neutralizedModules: plan.neutralize.map(\.module),
                                       coverage: coverage.summary, leftAsIs: coverage.leftAsIs.map(\.name), addressesSearched: map.emailCount,
                                       rowsSearched: search.rows, verdict: verdict, findings: findings,
                                       filestore: includeFilestore ? "included as it is (attachments are not sanitized)" : "not included",
                                       sourceOdooVersion: sourceVersion, createdAt: ISO8601DateFormatter().string(from: Date()))
    }

    /// Tables smaller than this (heap bytes) are read side by side into memory.
    static let smallTable: Int64 = 8 << 20

    /// A table's rows as `dump.sql` holds them: its `COPY … FROM stdin;` line, the sanitized rows, `\.`.
    static func filter(_ table: SanitizedCopyPlan.Table, map: PersonalDataMap) -> SanitizingCopyFilter {
        let header = "\nCOPY public.\(SQL.identifier(table.name)) (\(table.columns.map(SQL.identifier).joined(separator: ", "))) FROM stdin;\n"
        return SanitizingCopyFilter(rules: table.rules, map: map, header: Data(header.utf8), trailer: Data("\\.\n".utf8))
    }

    /// Reads of `tables` to run side by side, each on an executor of its own.
    private func side(_ tables: [SanitizedCopyPlan.Table], map: PersonalDataMap, snapshot: String,
                      _ context: StepContext) -> [@Sendable () throws -> (SanitizedCopyPlan.Table, SanitizingCopyFilter, Data)] {
        let server = server, connection = connection, cancellation = context.cancellation
        return tables.map { table in
            { @Sendable in
                let filter = Self.filter(table, map: map)
                let collected = DataSink()
                let through = FilteringSink(filter, into: collected)
                try SnapshotReads.copy("COPY (\(table.select)) TO STDOUT", snapshot: snapshot, executor: Executors.forServer(server), connection: connection,
                                       into: through, cancellation: cancellation)
                try through.finish()
                return (table, filter, collected.data)
            }
        }
    }

    /// Runs the reads three at a time; their results in the given order.
    private func fetchSide<T: Sendable>(by reads: [@Sendable () throws -> T]) throws -> [T] {
        var results: [T] = []
        var index = 0
        while index < reads.count {
            let batch = reads[index..<min(index + 3, reads.count)].map { read in BackgroundWork { try read() } }
            for work in batch { results.append(try work.wait().get()) }
            index += batch.count
        }
        return results
    }

    /// The attestation's name for the source's `database.secret` replaced in the stream.
    static let newSecret = "new_database_secret"

    /// `pg_dump` of one section, plain, in the snapshot, without owners (restorable as any role, as Odoo's own dump).
    private func pgDump(_ arguments: [String], snapshot: String, into sink: ByteSink, _ context: StepContext) throws {
        let dump = Command(["pg_dump", "--no-owner", "--format=plain", "--snapshot=" + snapshot] + arguments + connection.clientArguments + ["-d", connection.database],
                           environment: connection.clientEnvironment)
        let err = CollectingSink(limit: 64 << 10)
        let termination = try executor.execute(dump, stdin: nil, stdout: sink, stderr: err, cancellation: context.cancellation)
        try context.checkCancelled()
        let result = CommandResult(termination: termination, stderr: err.data)
        guard result.succeeded else { throw StepFailure.command("pg_dump", result.summary) }
    }

    /// Rows each removal takes, counted in the snapshot (one query).
    private func countRemovals(_ removals: [SanitizedCopyPlan.OptionChange], snapshot: String, _ context: StepContext) throws -> [String: Int] {
        guard !removals.isEmpty else { return [:] }
        let query = removals.map { "SELECT \(SQL.literal($0.option)), (SELECT count(*) FROM ONLY public.\(SQL.identifier($0.change.table)) WHERE \($0.change.condition))" }
            .joined(separator: " UNION ALL ")
        let out = CollectingSink(limit: 1 << 20)
        try SnapshotReads.copy("SET LOCAL search_path = public, pg_catalog;\nCOPY (\(query)) TO STDOUT", snapshot: snapshot, executor: executor,
                               connection: connection, into: out, cancellation: context.cancellation)
        var counts: [String: Int] = [:]
        for line in String(decoding: out.data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2 { counts[String(fields[0]), default: 0] += Int(fields[1]) ?? 0 }
        }
        return counts
    }

    /// What `dump.sql` ends with: statements that need the constraints, Odoo's neutralization, a new identity.
    private func trailer(removals: [RowChange], neutralize: [(module: String, sql: String)]) -> String {
        var sql = "\n--\n-- ocore: sanitization that runs once the constraints exist\n--\n\nSET search_path = public, pg_catalog;\n\n"
        for removal in removals { sql += removal.statement + "\n" }
        // Each module's in a block of its own, as a clone runs them: one that fails where the archive
        // is restored warns instead of stopping the restore (Odoo's own restore goes on past errors too).
        for (module, script) in neutralize {
            let tag = "ocore_" + UUID().uuidString.prefix(8).lowercased()
            guard !script.contains("$" + tag) else { continue }
            // The name comes from the source's database: only its plain characters in the comment, quoted in the warning.
            let shown = String(module.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0) })
            sql += "\n-- Odoo's neutralization: \(shown)\nDO $\(tag)$ BEGIN\n" + script + (script.hasSuffix("\n") ? "" : "\n")
                + "EXCEPTION WHEN OTHERS THEN RAISE WARNING 'neutralize.sql of % failed: %', \(SQL.literal(module)), SQLERRM;\nEND $\(tag)$;\n"
        }
        sql += "\n-- a new identity: this is not the source's database\n" + OdooTarget.identityStatements(markNeutralized: true)
        return sql
    }

    private func write(_ text: String, into sink: ByteSink) throws {
        let data = Data(text.utf8)
        try data.withUnsafeBytes { try sink.write($0) }
    }
}
