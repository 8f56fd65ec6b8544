import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore
import OcoreTUI

/// Options of the full-screen dashboard.
struct DashboardOptions: ParsableArguments {
    @Option(help: "Theme from the themes/ folder: default, light, high-contrast, mono (NO_COLOR selects mono).") var theme: String?
    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).") var ascii = false
    @Flag(help: "Use the mouse: click to select and switch tabs, wheel to scroll.") var mouse = false
    @Flag(help: "Show everything, change nothing (also `readonly = true` in the state home's config.toml).") var readonly = false

    /// The chosen theme; a missing or broken theme file falls back to the built-in one with a warning.
    func resolvedTheme(environment: [String: String] = ProcessInfo.processInfo.environment) -> (Theme, warning: String?) {
        let name = theme ?? (environment["NO_COLOR"].map { !$0.isEmpty } == true ? "mono" : "default")
        var chosen: Theme
        var warning: String?
        do {
            chosen = try ThemeLoader.load(named: name)
        } catch {
            chosen = name == "mono" ? .mono : .builtInDefault
            if theme != nil || name != chosen.name { warning = "\(error); using the built-in \(chosen.name) theme" }
        }
        if ascii || !Self.localeIsUTF8(environment) { chosen.symbols = .ascii }
        return (chosen, warning)
    }

    static func localeIsUTF8(_ env: [String: String]) -> Bool {
        let locale = env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LANG"] ?? ""
        let lower = locale.lowercased()
        return lower.contains("utf-8") || lower.contains("utf8")
    }
}

/// `ocore dashboard` (also plain `ocore`): the full-screen terminal dashboard.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Open the terminal dashboard (the default when no command is given).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: DashboardOptions

    func run() throws {
        try Self.openDashboard(global: global, options: options)
    }

    static func openDashboard(global: GlobalOptions, options: DashboardOptions) throws {
        let readOnly = try options.readonly || HomeConfig.load(global.stateHome).readOnly
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw CLIError("the dashboard needs a terminal; use the commands (`ocore env list`, …) in scripts")
        }
        let store = try global.openStore()
        let (theme, warning) = options.resolvedTheme()
        if let warning {
            FileHandle.standardError.write(Data("ocore: \(warning)\n".utf8))
            Thread.sleep(forTimeInterval: 1.5)  // let the warning be read before the screen is taken over
        }
        let executors = ExecutorCache()
        let home = global.stateHome
        var settings = DashboardSettings(theme: theme, escDelayMs: DashboardSettings.escDelay(), probe: { env in
            EnvironmentProbe(environment: env, executor: executors.executor(for: env.server), httpCheck: { url in
                try CurlHTTP.perform(method: "GET", url: url, timeout: 10).status
            }).run(now: Date().timeIntervalSince1970)
        }, mouse: options.mouse)
        settings.impactPreview = { env in
            let psql = PSQL(executor: executors.executor(for: env.server), connection: PostgresConnection(env))
            let rules = try SanitizationRulesFile.load(home: home, project: env.environment.project, environments: [env.environment.name])
            let preview = try SanitizationPreview.run(psql, options: SanitizationCatalog.keys(for: .full), rules: rules)
            return SanitizationCounts(impacts: Dictionary(uniqueKeysWithValues: preview.impacts.map { ($0.key, $0.count) }), coverage: preview.coverage,
                                      ruleProblems: preview.ruleProblems)
        }
        settings.startClone = { r in
            // The wizard's form as the engine's request: the same rules as `ocore clone`.
            var request = CloneRequest(source: r.source, target: r.replace ? .replace(r.target) : .new(name: r.target, type: r.targetType, server: r.targetServer))
            request.url = r.replace ? nil : r.targetURL
            request.preset = r.preset
            // From a golden copy the sanitization is the golden copy's: no options of the clone's own.
            request.options = r.fromGolden ? nil : r.options
            request.fromGolden = r.fromGolden
            request.includeFilestore = r.includeFilestore
            request.confirmation = r.confirmation
            request.riskAccepted = r.riskAccepted
            request.strict = r.strict
            request.jobs = r.jobs
            request.compress = r.compress
            return try request.prepare(store: store, home: home).submit(store: store, home: home)
        }
        settings.startBackup = { r in
            // The dialog's form as the engine's request: the same rules as `ocore backup create`.
            var request = BackupRequest(environment: r.environment)
            request.storage = r.storage
            request.type = r.type
            request.includeFilestore = r.includeFilestore
            request.tier = r.tier
            request.format = r.format
            if let preset = r.sanitized {
                var sanitized = BackupRequest.Sanitized()
                sanitized.preset = preset
                sanitized.withFilestore = r.includeFilestore
                request.sanitized = sanitized
            }
            return try request.submit(store: store, home: home).jobID
        }
        settings.startRestore = { r in
            // The dialog's form as the engine's request: the same rules as `ocore restore`.
            var request = RestoreRequest(backupID: r.backupID,
                                         target: r.newEnvironment.map { .new(name: r.target, type: $0.type, server: $0.server, url: nil) } ?? .existing(r.target))
            request.safetyBackup = r.safetyBackup
            request.includeFilestore = r.includeFilestore
            request.preset = r.preset
            request.riskAccepted = r.riskAccepted
            request.confirmation = r.confirmation
            request.acceptsVersionMismatch = r.acceptsVersionMismatch
            request.fromStorage = r.fromStorage
            do {
                return .started(try request.prepare(store: store).submit(store: store, home: home))
            } catch RestoreRequest.Refusal.needsConfirmation(let fact) {
                return .needsConfirmation("\(fact): restore anyway?")
            }
        }
        settings.destroyEnvironment = { r in
            // The dialog's form as the engine's request: the same rules as `ocore env destroy`.
            var request = EnvironmentDestruction(name: r.environment, confirmation: r.confirmation)
            request.backup = r.backup
            request.productionConfirmed = r.productionConfirmed
            return try request.submit(store: store, home: home)
        }
        settings.editEnvironment = { edit in
            // Each dialog's form as the engine's request: the same rules as the CLI's.
            switch edit {
            case .settings(let r):
                var change = EnvironmentChange(name: r.environment)
                change.type = r.type
                change.url = r.url
                change.filestoreOwner = r.filestoreOwner
                change.serviceStop = Environment.commandVector(r.serviceStop)
                change.serviceStart = Environment.commandVector(r.serviceStart)
                change.odooConf = r.odooConf
                change.protected = r.protected
                change.confirmation = r.confirmation
                let env = try change.apply(store: store, by: .current)
                return "\(env.name) saved: \(env.type.rawValue), \(env.url ?? "no URL")\(env.isProtected ? ", protected" : ", not protected")"
            case .refreshSchedule(let form):
                var request = RefreshScheduleRequest(target: form.target, source: form.source, weekday: form.weekday, at: form.at)
                request.preset = form.preset
                request.keepUsers = form.keepUsers
                request.confirmation = form.confirmation
                let schedule = try request.save(store: store, by: .current)
                return "\(form.target): refreshed \(schedule.summary)"
            case .removeRefreshSchedule(let target):
                try RefreshScheduleRemoval(target: target).apply(store: store, by: .current)
                return "\(target) is no longer refreshed"
            case .backupPolicy(let form):
                var request = BackupPolicyRequest(environment: form.environment, at: form.at)
                request.every = form.every
                request.weeklyWeekday = form.weeklyWeekday
                func days(_ text: String, _ what: String) throws -> Int {
                    guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else { throw RequestRefusal("\(what) takes a whole number, not \"\(text)\"") }
                    return n
                }
                (request.daily, request.weekly, request.monthly, request.yearly) = (try days(form.daily, "days kept"), try days(form.weekly, "weeks kept"),
                                                                                    try days(form.monthly, "months kept"), try days(form.yearly, "years kept"))
                request.storage = form.storage
                request.copyTo = form.copyTo
                request.includeFilestore = form.includeFilestore
                request.restoreTest = form.restoreTest
                request.format = BackupFormat(rawValue: form.format)
                if form.every != nil { request.hourly = try days(form.hourly, "hours kept") }
                return "\(form.environment): \(try request.save(store: store, by: .current).summary)"
            case let .switchBackupPolicy(environment, enabled):
                try BackupPolicySwitch(environment: environment, enabled: enabled).apply(store: store, by: .current)
                return "\(environment): scheduled backups switched \(enabled ? "on" : "off")"
            case .removeBackupPolicy(let environment):
                try BackupPolicyRemoval(environment: environment).apply(store: store, by: .current)
                return "\(environment): backup schedule removed; its backups keep their expiry"
            case .odooConfig(let edit):
                var request = OdooConfigRequest(environment: edit.environment)
                request.changes = edit.changes.map { ($0.key, $0.value) }
                request.restart = edit.restart
                let result = try request.run(store: store, by: .current)
                let changed = result.changed.isEmpty ? "nothing changed" : result.changed.joined(separator: ", ") + " set in \(result.path)"
                return changed + (result.restarted ? "; Odoo restarted" : result.changed.isEmpty ? "" : "; restart required")
            }
        }
        settings.editServer = { edit in
            // The Servers view's form as the engine's request: the same rules as `ocore server add|rm`.
            switch edit {
            case .add(let f):
                let connection: ServerConnection
                if f.destination.isEmpty || f.destination == "local" {
                    guard f.identity.isEmpty, f.knownHosts.isEmpty else { throw RequestRefusal("an SSH key and known_hosts only apply to a server reached over SSH") }
                    connection = .local
                } else {
                    var endpoint = try SSHEndpoint.parse(f.destination)
                    endpoint.identityFile = f.identity.isEmpty ? nil : absolutePath(f.identity)
                    endpoint.knownHostsFile = f.knownHosts.isEmpty ? nil : absolutePath(f.knownHosts)
                    connection = .ssh(endpoint)
                }
                guard f.pgPort.isEmpty || Int(f.pgPort) != nil else { throw RequestRefusal("the PostgreSQL port is a number, not \"\(f.pgPort)\"") }
                guard let maxJobs = Int(f.maxJobs.isEmpty ? "2" : f.maxJobs), maxJobs >= 1 else { throw RequestRefusal("max jobs is a number of at least 1") }
                let server = Server(name: f.name, connection: connection,
                                    postgres: PostgresSettings(host: f.pgHost.isEmpty ? nil : f.pgHost, port: Int(f.pgPort), user: nil),
                                    dataDir: f.dataDir.isEmpty ? nil : f.dataDir, maxConcurrentJobs: maxJobs)
                try ServerRegistration(server: server).register(store: store, by: .current)
                return "server \(f.name) added (\(server.kindLabel))"
            case .remove(let name):
                try ServerRemoval(name: name).remove(store: store, by: .current)
                return "server \(name) removed"
            }
        }
        settings.testServer = { name in
            do {
                let server = try store.server(named: name)
                return try ServerCheck(server: server, executor: executors.executor(for: server)).run().map { "\($0.passed ? "✓" : "✗") \($0.name): \($0.detail)" }
            } catch {
                return ["✗ \(error)"]
            }
        }
        settings.retryJob = { id in try JobQueue(store: store, home: home).retry(id, kinds: .standard) }
        settings.noticeDeadWorker = { JobQueue(store: store, home: home).noticeDeadWorker() }
        settings.runRefresh = { target in
            guard let schedule = try store.refreshSchedule(target: target) else { throw RequestRefusal("\(target) has no refresh schedule") }
            return try BackupScheduler(store: store, home: home).startRefresh(schedule)
        }
        settings.odooConfig = { name in
            guard let path = try store.environment(named: name).odooConf else { return nil }
            do {
                let file = try OdooConfigRequest(environment: name).run(store: store, by: .current).file
                return OdooConfigSummary(path: path, tuning: OdooConfigFile.tuningKeys.map { key in
                    OdooConfigSummary.Value(key: key, value: file.shownEntries.last { $0.key == key }?.shown)
                })
            } catch {
                return OdooConfigSummary(path: path, tuning: [], error: "\(error)")
            }
        }
        settings.backupAction = { action in
            let actions = BackupActions(store: store)
            switch action {
            case .verify(let id):
                let result = try VerificationRequest(backupID: id).run(store: store, home: home)
                guard result.ok else { throw RequestRefusal(result.summary) }
                return result.summary
            case let .pin(id, pinned):
                let b = try actions.setPinned(id, pinned, by: .current)
                return pinned ? "backup \(id) pinned: retention never removes it" : "backup \(id) unpinned: \(b.tier.rawValue) retention applies"
            case let .delete(id, confirmation):
                try actions.delete(id, confirmation: confirmation, by: .current)
                return "backup \(id) deleted from storage"
            case let .export(id, path):
                let (size, _) = try actions.export(id, to: path, decrypt: false)
                return "backup \(id) downloaded to \(path) (\(formatBytes(size)), SHA-256 checked)"
            }
        }
        settings.cloneHistory = { try CloneHistoryLoader(store: store).history(server: $0) }
        settings.serverFacts = { name in
            do {
                let server = try store.server(named: name)
                return ServerCheck(server: server, executor: executors.executor(for: server)).facts()
            } catch {
                return .unreachable("\(error)")
            }
        }
        settings.retention = { environment, sweep in
            try RetentionSweepRequest(environment: environment, dryRun: !sweep).run(store: store)
        }
        if readOnly {
            // Beside the dashboard's own refusals: nothing that changes something is even wired.
            settings.readOnly = true
            settings.startClone = nil
            settings.startBackup = nil
            settings.startRestore = nil
            settings.destroyEnvironment = nil
            settings.editEnvironment = nil
            settings.runRefresh = nil
            settings.retryJob = nil
            settings.backupAction = nil
            settings.editServer = nil
            let plan = settings.retention
            settings.retention = { environment, _ in try plan?(environment, false) ?? [] }  // the plan, never the sweep
        }
        try DashboardRuntime(store: store, settings: settings).run()
    }
}

/// One executor per server, so probes reuse their SSH connection.
final class ExecutorCache: @unchecked Sendable {
    private let lock = NSLock()
    private var executors: [String: any Executor] = [:]

    func executor(for server: Server) -> any Executor {
        lock.withLock {
            if let existing = executors[server.name] { return existing }
            let made = Executors.forServer(server)
            executors[server.name] = made
            return made
        }
    }
}
