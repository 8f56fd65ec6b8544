import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension SanitizationCatalog.Preset: ExpressibleByArgument {}

struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone", abstract: "Copy an environment into a new one with data sanitization (production stays online).",
        discussion: "`ocore clone preview SOURCE` shows what each sanitization option would change before you clone.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Source environment.") var source: String
    @Option(name: .customLong("new"), help: ArgumentHelp("Name of the new environment.", valueName: "name")) var newName: String?
    @Option(help: "Type of the new environment: production, staging or development.") var type: EnvironmentType?
    @Option(help: "Server for the new environment (default: the source's).") var server: String?
    @Option(help: ArgumentHelp("Public URL of the new environment (sets web.base.url).", valueName: "url")) var url: String?
    @Option(help: ArgumentHelp("Domain of the new environment (URL https://DOMAIN).", valueName: "domain")) var domain: String?
    @Option(name: .customLong("replace"), help: ArgumentHelp("Replace an existing environment's database and filestore (a verified safety backup is taken first).", valueName: "target")) var replace: String?
    @Option(help: ArgumentHelp("Repeat the target name to confirm a replace.", valueName: "target")) var confirm: String?
    @Option(help: "recommended, minimal, full or none.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
    @Option(help: ArgumentHelp("Options to add to the preset.", valueName: "key[,key…]")) var enable: String?
    @Option(help: ArgumentHelp("Options to remove from the preset.", valueName: "key[,key…]")) var disable: String?
    @Option(name: .customLong("reset-password-value"), help: "Password for reset_passwords (default staging123).") var resetPasswordValue: String?
    @Flag(name: .customLong("no-filestore"), help: "Copy the database only.") var noFilestore = false
    @Flag(name: .customLong("fast-copy"), help: "Copy with CREATE DATABASE … TEMPLATE (same server; DISCONNECTS the source's sessions).") var fastCopy = false
    @Flag(name: .customLong("from-golden"), help: "Copy the source's golden copy on the target server (`ocore golden refresh`): sanitized when it was made, copied in seconds.")
    var fromGolden = false
    @Option(help: ArgumentHelp("Parallel jobs for dump, restore, index builds and sanitizing streams (default: one per core, at most 4).", valueName: "n")) var jobs: Int?
    @Flag(help: "Compress what crosses the network to another server (pg_dump -Z1, gzip'd filestore): for slow links; costs CPU.") var compress = false
    @Flag(name: .customLong("sanitize-after-copy"), help: "Anonymize with UPDATEs after the copy instead of while copying (slower; the real values reach the target's disk first).") var sanitizeAfterCopy = false
    @Flag(name: .customLong("keep-identity"), help: "Keep database.uuid and database.secret (a disaster-recovery replica; only with --preset none).") var keepIdentity = false
    @Flag(name: .customLong("i-understand-the-risk"), help: "Required with --preset none: the copy keeps real customer data and credentials.") var understandRisk = false
    @Option(name: .customLong("stop-command"), help: ArgumentHelp("The new environment's Odoo service: stops it before a restore or replace into it (words split on blanks, no shell).", valueName: "command"))
    var stopCommand: String?
    @Option(name: .customLong("start-command"), help: ArgumentHelp("Starts it again afterwards.", valueName: "command")) var startCommand: String?
    @Option(name: .customLong("filestore-owner"), help: ArgumentHelp("Owner of the new filestore's files (default on the same server: the source's).", valueName: "user[:group]"))
    var filestoreOwner: String?
    @Option(name: .customLong("keep-users"), help: ArgumentHelp("With --replace: these logins keep the passwords they have on the target.", valueName: "login[,login…]"))
    var keepUsers: String?
    @Flag(help: "Refuse the clone while a personal or secret-like column would be copied as it is (see `ocore clone preview`).") var strict = false
    @Option(help: ArgumentHelp("Classify columns with this file instead of the project's and environments' sanitization.toml.", valueName: "file")) var rules: String?
    @Flag(help: "Queue the clone and return at once.") var detach = false
    @Flag(help: "Do not ask for confirmation on a terminal.") var yes = false
    @Flag(help: "Print the final clone operation as JSON.") var json = false

    func run() throws {
        if replace != nil && newName != nil { throw CLIError("give --new NAME or --replace TARGET, not both") }
        let target: CloneRequest.Target
        if let replace { target = .replace(replace) } else {
            guard let newName, let type else { throw CLIError("give --new NAME and --type production|staging|development") }
            target = .new(name: newName, type: type, server: server)
        }
        if replace != nil && server != nil { throw CLIError("--server does not apply to --replace: the target stays on its server") }
        let split = { (s: String?) in s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [] }
        var request = CloneRequest(source: source, target: target)
        request.url = url
        request.domain = domain
        request.preset = preset
        request.enable = split(enable)
        request.disable = split(disable)
        request.includeFilestore = !noFilestore
        request.resetPasswordValue = resetPasswordValue
        request.confirmation = confirm
        request.riskAccepted = understandRisk
        request.serviceStop = stopCommand.map(Environment.commandVector)
        request.serviceStart = startCommand.map(Environment.commandVector)
        request.filestoreOwner = filestoreOwner
        request.keepUsers = split(keepUsers)
        request.fastCopy = fastCopy
        request.fromGolden = fromGolden
        request.keepIdentity = keepIdentity
        request.sanitizeAfterCopy = sanitizeAfterCopy
        request.jobs = jobs
        request.compress = compress
        request.strict = strict
        request.rulesFile = rules
        let store = try global.openStore()
        let prepared: CloneRequest.Prepared
        do { prepared = try request.prepare(store: store, home: global.stateHome) } catch let refusal as CloneRequest.Refusal { throw CLIError(refusal.description) }
        for warning in prepared.warnings { FileHandle.standardError.write(Data("ocore: warning: \(warning)\n".utf8)) }
        let (sourceEnv, replaced, options) = (prepared.source, prepared.replacing, prepared.parameters.options)
        let serverName = prepared.server
        if isatty(0) == 1 && isatty(1) == 1 && !yes {
            print("Clone \(source) (\(sourceEnv.environment.type.rawValue), \(sourceEnv.server.name)) → \(prepared.target) (\(prepared.parameters.targetType.rawValue), \(serverName))\(replaced != nil ? " — REPLACES its database and filestore" : "")")
            print("Sanitization: \(prepared.parameters.preset.rawValue), \(options.count) option(s)\(fromGolden ? " (the golden copy's)" : ""); filestore: \(noFilestore ? "no" : "yes"); URL: \(prepared.parameters.targetURL ?? "derived from \(source)'s web.base.url")")
            print("Start? [y/N] ", terminator: "")
            guard readLine()?.lowercased().hasPrefix("y") == true else { throw CLIError("clone not started") }
        }
        let id = try prepared.submit(store: store, home: global.stateHome)
        if detach {
            return print(json ? "{\"id\": \(id), \"status\": \"queued\"}" : "clone queued as job \(id); follow it with `ocore jobs show \(id) --follow`")
        }
        if !json { print("clone queued as job \(id)") }
        let status = try JobFollower(store: store, id: id, json: false, quiet: json, home: global.stateHome).run()
        if json { try CloneOperationJSON.print(store: store, id: id) }
        if status != .completed { throw ExitCode(1) }
    }

    struct Preview: ParsableCommand {
        /// Reached as `ocore clone preview …` (see ``OcoreMain/route(_:)``).
        static let configuration = CommandConfiguration(
            commandName: "clone-preview",
            abstract: "Count, on the source (read-only), the rows each sanitization option would change, with sizes and a time estimate.",
            shouldDisplay: false)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Source environment.") var source: String
        @Option(help: "recommended, minimal, full or none.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
        @Option(help: ArgumentHelp("Options to add to the preset.", valueName: "key[,key…]")) var enable: String?
        @Option(help: ArgumentHelp("Options to remove from the preset.", valueName: "key[,key…]")) var disable: String?
        @Option(help: ArgumentHelp("Classify columns with this file instead of the project's and environment's sanitization.toml.", valueName: "file")) var rules: String?
        @Flag(help: "Print JSON (the options, presets, impacts, sizes and estimate).") var json = false

        func run() throws {
            let split = { (s: String?) in s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [] }
            let enabled = try SanitizationCatalog.resolve(preset: preset, enable: split(enable), disable: split(disable))
            let store = try global.openStore()
            let env = try store.resolvedEnvironment(named: source)
            let executor = Executors.forServer(env.server)
            let psql = PSQL(executor: executor, connection: PostgresConnection(env))
            let started = ContinuousClock.now
            let columnRules: SanitizationRules
            do {
                columnRules = try SanitizationRulesFile.load(home: global.stateHome, project: env.environment.project, environments: [source], override: rules)
            } catch let refusal as RequestRefusal { throw CLIError(refusal.description) }
            let preview = try SanitizationPreview.run(psql, options: enabled, rules: columnRules)
            let (impacts, coverage) = (preview.impacts, preview.coverage)
            let elapsed = ContinuousClock.now - started
            let databaseSize = Int64(try psql.scalar("SELECT pg_database_size(current_database())") ?? "") ?? 0
            let filestoreSize = try? RemoteFileSystem(executor).treeSize(env.filestore)
            let history = try? CloneHistoryLoader(store: store).history(server: env.server.name)
            let (estimate, basis) = CloneEstimate.seconds(databaseBytes: databaseSize, filestoreBytes: filestoreSize ?? 0, crossServer: false,
                                                          preset: preset, history: history)
            let affected = impacts.filter { enabled.contains($0.key) }.compactMap(\.count).reduce(0, +)
            if json {
                let options: [[String: Any]] = SanitizationCatalog.options.map { option in
                    let impact = impacts.first { $0.key == option.key }
                    var entry: [String: Any] = ["key": option.key, "name": option.name, "description": option.description,
                                                "category": option.category.rawValue, "priority": option.priority.rawValue,
                                                "default_enabled": option.defaultEnabled, "always_enabled": option.alwaysOn,
                                                "enabled": enabled.contains(option.key), "impact_preview": impact?.text ?? "",
                                                "impact_count": impact?.count as Any? ?? NSNull()]
                    if let reason = impact?.skippedReason { entry["skipped_reason"] = reason }
                    return entry
                }
                let presets = Dictionary(uniqueKeysWithValues: SanitizationCatalog.Preset.allCases.map { ($0.rawValue, SanitizationCatalog.keys(for: $0)) })
                let document: [String: Any] = [
                    "source": source, "available_options": options, "presets": presets, "default_preset": SanitizationCatalog.defaultPreset.rawValue,
                    "preset": preset.rawValue, "enabled_options": enabled, "affected_records": affected,
                    "database_size": databaseSize, "filestore_size": filestoreSize as Any? ?? NSNull(),
                    "coverage": try JSONSerialization.jsonObject(with: JSONEncoder().encode(coverage)), "rule_problems": preview.ruleProblems,
                    "estimated_seconds": Int(estimate.rounded()), "estimate_basis": basis, "preview_ms": Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                ]
                let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                FileHandle.standardOutput.write(data + Data("\n".utf8))
                return
            }
            print("Sanitization preview for \(source) — preset \(preset.rawValue) (\(preset.badge))")
            for category in SanitizationOption.Category.allCases {
                print("\n\(category.rawValue.replacingOccurrences(of: "_", with: " ").uppercased())")
                for option in SanitizationCatalog.options where option.category == category {
                    let impact = impacts.first { $0.key == option.key }
                    let mark = enabled.contains(option.key) ? "[x]" : "[ ]"
                    print("  \(mark) \(option.name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(impact?.text ?? "")")
                }
            }
            print("\nAffects approximately \(affected.formatted()) records.")
            print("\nCOVERAGE (\(coverage.scanMs) ms, sampled): \(coverage.summary); \(coverage.nonTextColumns) other columns known safe by type")
            for entry in coverage.columns where [.secretLike, .personal, .unclassified, .ruled].contains(entry.class) {
                let action = entry.treatment.map { $0 == .keep ? "kept" : "\($0)" } ?? (entry.class == .unclassified ? "copied" : "LEFT AS IS")
                print("  \(entry.class.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(entry.name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(action.padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.reason)")
            }
            for problem in preview.ruleProblems { print("  RULE REFUSED  \(problem)") }
            for key in coverage.secretParameters { print("  secret_like  ir_config_parameter[\(key)]  \(enabled.contains("clear_detected_secrets") ? "clear" : "LEFT AS IS")") }
            print("Database \(formatBytes(databaseSize)), filestore \(filestoreSize.map(formatBytes) ?? "?"), estimated clone time ~\(Duration.seconds(estimate).shortText) from \(basis) (counted in \(Int(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)) ms).")
        }
    }
}

/// The final clone operation as `clone --json` prints it: the job, its steps with durations, its
/// parameters (without the reset password's hash) and its typed outcome.
struct CloneOperationJSON: Encodable {
    struct Step: Encodable {
        let name: String, title: String, status: String
        let durationMs: Int?
        enum CodingKeys: String, CodingKey { case name, title, status, durationMs = "duration_ms" }
    }

    let id: Int64
    let status: String
    let steps: [Step]
    let parameters: CloneJob.Parameters?
    let sanitizationResult: [SanitizationResult]
    let neutralization: [NeutralizationResult]
    let verification: [String: String]
    @Nullable var proof: ProofReport?
    let coverage: CoverageReport?
    let errorMessage: String?
    let errorStep: String?

    enum CodingKeys: String, CodingKey {
        case id, status, steps, parameters, neutralization, verification, proof, coverage, sanitizationResult = "sanitization_result"
        case errorMessage = "error_message", errorStep = "error_step"
    }

    static func print(store: SQLiteStateStore, id: Int64) throws {
        let job = try store.job(id)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let steps = try store.steps(ofJob: id).map { s in
            let duration = s.startedAt.flatMap(iso.date).flatMap { a in s.endedAt.flatMap(iso.date).map { Int($0.timeIntervalSince(a) * 1000) } }
            return Step(name: s.name, title: s.title, status: s.status.rawValue, durationMs: duration)
        }
        var parameters = try? JSONDecoder().decode(CloneJob.Parameters.self, from: Data(job.parameters.utf8))
        parameters?.passwordHash = nil
        let outcome = JobOutcome.decode((try? store.jobResult(id)) ?? nil) ?? JobOutcome()
        try JSONOutput.print(CloneOperationJSON(id: id, status: job.status.rawValue, steps: steps, parameters: parameters,
                                                sanitizationResult: outcome.sanitizationResult, neutralization: outcome.neutralization,
                                                verification: outcome.verification, proof: outcome.proof, coverage: outcome.coverage,
                                                errorMessage: job.errorMessage, errorStep: job.errorStep))
    }
}
