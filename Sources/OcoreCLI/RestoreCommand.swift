import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// Options shared by `restore` and `restore import`.
struct RestoreOptions: ParsableArguments {
    @Option(name: .customLong("to"), help: ArgumentHelp("Restore into this existing environment.", valueName: "env")) var to: String?
    @Option(name: .customLong("new"), help: ArgumentHelp("Restore into a new environment of this name.", valueName: "name")) var newName: String?
    @Option(help: "Type of the new environment: production, staging or development.") var type: EnvironmentType?
    @Option(help: "Server of the new environment (default: the backup's).") var server: String?
    @Option(help: ArgumentHelp("Public URL of the new environment.", valueName: "url")) var url: String?
    @Option(help: "Project of the new environment (default: the backup's environment's, or the only one).") var project: String?
    @Flag(name: .customLong("no-filestore"), help: "Restore the database only; the filestore is left as it is.") var noFilestore = false
    @Flag(name: .customLong("no-safety-backup"), help: "Do not back up the target first (it is overwritten without a way back).") var noSafetyBackup = false
    @Option(name: .customLong("safety-storage"), help: "Storage for the safety backup (default: where the backup is read from, else the default).") var safetyStorage: String?
    @Option(name: .customLong("from-storage"), help: "Read the backup from its second copy on this storage (its first storage is down or gone).") var fromStorage: String?
    @Flag(name: .customLong("as-moved"), help: "Keep database.uuid and database.secret (the database moved; default: a copy gets new ones).") var asMoved = false
    @Option(help: "Sanitization preset (default: recommended when production data lands outside production, else none).") var preset: SanitizationCatalog.Preset?
    @Flag(name: .customLong("i-understand-the-risk"), help: "Required to skip sanitization of production data restored outside production.") var understandRisk = false
    @Option(help: ArgumentHelp("Repeat the target's name to confirm overwriting it.", valueName: "name")) var confirm: String?
    @Flag(help: "Queue the restore and return at once.") var detach = false
    @Flag(help: "Do not ask on a terminal; accept an Odoo version mismatch.") var yes = false
    @Flag(help: "Print the restore as JSON when it ends.") var json = false
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into its environment, another one, or a new one (a verified safety backup first).",
        discussion: "`ocore restore import FILE` restores an archive ocore did not make (an Odoo or Odoo.sh database zip).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Backup id (see `ocore backup list`).") var backup: String
    @OptionGroup var options: RestoreOptions

    func run() throws {
        try RestoreInvocation(options: options, backupID: backup, archivePath: nil).run(store: try global.openStore(), home: global.stateHome)
    }

    struct Import: ParsableCommand {
        /// Reached as `ocore restore import …` (see ``OcoreMain/route(_:)``).
        static let configuration = CommandConfiguration(commandName: "restore-import", abstract: "Restore a backup that ocore did not make: an Odoo / Odoo.sh zip, a click-odoo folder, a plain or custom-format dump.",
                                                        shouldDisplay: false)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The backup: a zip (dump.sql or db.dump or dump/, with filestore/ or filestore.tar.gz), a folder (click-odoo: db.dump or dump.sql, filestore/), or a dump file (plain SQL or pg_dump -Fc).", valueName: "path"))
        var file: String
        @OptionGroup var options: RestoreOptions
        @Flag(help: "Once restored, keep the archive as a backup of the target too (uploaded to storage, checksummed, kept until removed).")
        var register = false
        @Option(name: .customLong("register-storage"), help: "Storage for --register (default: the default storage).") var registerStorage: String?

        func run() throws {
            if register && options.detach { throw CLIError("--register waits for the restore: drop --detach") }
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            guard FileManager.default.isReadableFile(atPath: path) else { throw CLIError("cannot read \(file)") }
            if register { try ArchiveRegistration.check(path: path) }
            let store = try global.openStore()
            var run = RestoreInvocation(options: options, backupID: nil, archivePath: path)
            run.register = (register, registerStorage)
            try run.run(store: store, home: global.stateHome)
        }
    }
}

struct RestorePointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore-points", abstract: "List the restores into an environment (who, what, how it ended).")
    @OptionGroup var global: GlobalOptions
    @Argument var environment: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let points = try global.openStore().restorePoints(environment: environment)
        if json { return try JSONOutput.print(points) }
        guard !points.isEmpty else { return print("no restores yet") }
        var table = TextTable(header: ["JOB", "ENVIRONMENT", "FROM", "MODE", "STATUS", "SAFETY BACKUP", "BY", "STARTED"])
        for r in points {
            table.rows.append([String(r.jobID), r.environment, r.backupID ?? r.sourceFile ?? "-", r.mode.rawValue,
                               r.status + (r.targetState == "broken" ? " (target broken)" : r.targetState == "put back" ? " (target put back)" : ""), r.safetyBackupID ?? "-", r.requestedBy,
                               ISO8601DateFormatter().string(from: r.startedAt)])
        }
        print(table.render())
    }
}

extension RestoreOptions {
    /// The flags as the engine's request: the same value the dashboard's dialog builds.
    func request(backupID: String?, archivePath: String?) throws -> RestoreRequest {
        if to != nil && newName != nil { throw CLIError("give --to ENV or --new NAME, not both") }
        let target: RestoreRequest.Target
        if let newName {
            guard let type else { throw CLIError("--new needs --type production|staging|development") }
            target = .new(name: newName, type: type, server: server, url: url)
        } else {
            target = to.map { .existing($0) } ?? .backupEnvironment
        }
        var r = RestoreRequest(backupID: backupID, archivePath: archivePath, target: target)
        r.includeFilestore = !noFilestore
        r.safetyBackup = !noSafetyBackup
        r.safetyStorage = safetyStorage
        r.fromStorage = fromStorage
        r.asMoved = asMoved
        r.preset = preset
        r.riskAccepted = understandRisk
        r.confirmation = confirm
        r.acceptsVersionMismatch = yes
        r.project = project
        return r
    }
}

/// Runs a restore from the command line: the engine's request, then the prompt, the job's
/// progress and the result (text or JSON).
/// One `ocore restore` run: the flags as the engine's request, a question at a terminal, then
/// the job followed to its end.
struct RestoreInvocation {
    var options: RestoreOptions
    var backupID: String?
    var archivePath: String?
    /// `restore import --register`: once restored, the archive also becomes a backup of the target.
    var register: (enabled: Bool, storage: String?) = (false, nil)

    func prepare(store: SQLiteStateStore) throws -> RestoreRequest.Prepared {
        do { return try options.request(backupID: backupID, archivePath: archivePath).prepare(store: store) } catch let refusal as RestoreRequest.Refusal {
            if case .needsConfirmation(let fact) = refusal { throw CLIError("\(fact): add --yes to restore anyway") }
            throw CLIError(refusal.description)
        }
    }

    func run(store: SQLiteStateStore, home: StateHome) throws {
        let o = options
        let prepared = try prepare(store: store)
        let (targetName, mode, preset) = (prepared.target, prepared.mode, prepared.preset)
        if isatty(0) == 1 && isatty(1) == 1 && !o.yes {
            print("Restore \(backupID ?? archivePath ?? "") into \(targetName) (\(mode.rawValue)); sanitization: \(preset.rawValue)"
                  + (prepared.sanitizedBackup.map { " (the backup was sanitized when it was written: \($0))" } ?? ""))
            if !prepared.newEnvironment { print("All changes to \(targetName) since the backup will be lost\(o.noSafetyBackup ? " (NO safety backup)" : "; a safety backup is taken first").") }
            print("Start? [y/N] ", terminator: "")
            guard readLine()?.lowercased().hasPrefix("y") == true else { throw CLIError("restore not started") }
        }
        let id = try prepared.submit(store: store, home: home)
        if o.detach { return print(o.json ? "{\"job\": \(id), \"status\": \"queued\"}" : "restore queued as job \(id); follow it with `ocore jobs show \(id) --follow`") }
        if !o.json { print("restore queued as job \(id)") }
        let status = try JobFollower(store: store, id: id, json: false, quiet: o.json, home: home).run()
        var registered: Result<BackupRecord, Error>?
        if status == .completed, register.enabled, let path = archivePath {
            registered = Result { try ArchiveRegistration(store: store).register(path: path, environment: targetName, storage: register.storage) }
            if !o.json, case .success(let b) = registered {
                print("\((path as NSString).lastPathComponent) registered as backup \(b.id) of \(targetName) (\(b.storage), verified, kept until removed)")
            }
        }
        if o.json {
            let point = try store.restorePoints(environment: targetName).first { $0.jobID == id }
            let job = try store.job(id)
            let outcome = JobOutcome.decode((try? store.jobResult(id)) ?? nil) ?? JobOutcome()
            try JSONOutput.print(RestoreJSON(job: id, status: job.status.rawValue, target: targetName, mode: mode.rawValue, preset: preset.rawValue,
                                             verification: outcome.verification, sanitizationResult: outcome.sanitizationResult, proof: outcome.proof,
                                             safetyBackupID: point?.safetyBackupID, targetState: point?.targetState, errorMessage: job.errorMessage,
                                             registeredBackupID: { if case .success(let b)? = registered { b.id } else { nil } }()))
        }
        if status != .completed { throw ExitCode(1) }
        if case .failure(let error) = registered { throw CLIError("restored, but not registered as a backup: \(error)") }
    }
}

/// `restore --json`: the job, where it went, and its typed outcome.
struct RestoreJSON: Encodable {
    let job: Int64
    let status: String
    let target: String
    let mode: String
    let preset: String
    let verification: [String: String]
    let sanitizationResult: [SanitizationResult]
    @Nullable var proof: ProofReport?
    @Nullable var safetyBackupID: String?
    @Nullable var targetState: String?
    let errorMessage: String?
    let registeredBackupID: String?

    enum CodingKeys: String, CodingKey {
        case job, status, target, mode, preset, verification, proof, sanitizationResult = "sanitization_result", safetyBackupID = "safety_backup_id"
        case targetState = "target_state", errorMessage = "error_message", registeredBackupID = "registered_backup_id"
    }
}
