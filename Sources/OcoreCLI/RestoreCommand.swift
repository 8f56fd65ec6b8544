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
    @Flag(name: .customLong("no-filestore"), help: "Restore the database only; the filestore is left as it is.") var noFilestore = false
    @Flag(name: .customLong("no-safety-backup"), help: "Do not back up the target first (it is overwritten without a way back).") var noSafetyBackup = false
    @Option(name: .customLong("safety-storage"), help: "Storage for the safety backup (default: the backup's, else the default).") var safetyStorage: String?
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
        let store = try global.openStore()
        let b = try store.backup(backup)
        guard b.status.isRestorable else { throw CLIError("backup \(backup) is \(b.status.rawValue): it cannot be restored") }
        let sourceType = (try? store.environment(named: b.environment))?.type
        try RestoreRequest(options: options, backupID: backup, archivePath: nil, backupEnvironment: b.environment, sourceType: sourceType,
                           odooVersion: b.odooVersion).run(store: store, home: global.stateHome)
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
            // Where it came from is unknown: treat it as production data.
            var request = RestoreRequest(options: options, backupID: nil, archivePath: path, backupEnvironment: nil, sourceType: .production, odooVersion: nil)
            request.register = (register, registerStorage)
            try request.run(store: store, home: global.stateHome)
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

/// One restore request, with the safety rules in one place.
struct RestoreRequest {
    var options: RestoreOptions
    var backupID: String?
    var archivePath: String?
    var backupEnvironment: String?
    var sourceType: EnvironmentType?
    var odooVersion: String?
    /// `restore import --register`: once restored, the archive also becomes a backup of the target.
    var register: (enabled: Bool, storage: String?) = (false, nil)

    /// Validates the request (the safety rules) and builds the job's parameters.
    func prepare(store: SQLiteStateStore) throws -> Prepared {
        let o = options
        if o.to != nil && o.newName != nil { throw CLIError("give --to ENV or --new NAME, not both") }
        guard let targetName = o.newName ?? o.to ?? backupEnvironment else { throw CLIError("give --to ENV or --new NAME --type T") }
        var mode: RestoreMode
        var newEnv: RestoreJob.NewEnvironment?
        let targetType: EnvironmentType
        if let name = o.newName {
            guard let type = o.type else { throw CLIError("--new needs --type production|staging|development") }
            try Names.validateInventoryName(name, kind: "environment")
            if (try? store.environment(named: name)) != nil { throw StoreError.duplicate(kind: "environment", name: name) }
            let origin = try backupEnvironment.map { try store.resolvedEnvironment(named: $0) }
            let servers = try store.servers()
            guard let serverName = o.server ?? origin?.server.name ?? (servers.count == 1 ? servers.first?.name : nil) else {
                throw CLIError("give --server for the new environment")
            }
            _ = try store.server(named: serverName)
            let projects = try store.projects()
            guard let project = origin?.environment.project ?? (projects.count == 1 ? projects.first?.name : nil) else {
                throw CLIError("the new environment's project is unknown: import into an existing environment with --to")
            }
            if let url = o.url { try URLRules.validateWebURL(url, field: "--url") }
            newEnv = RestoreJob.NewEnvironment(project: project, type: type, server: serverName, url: o.url, addons: origin?.environment.addons ?? [],
                                               pgPasswordEnv: origin?.environment.pgPasswordEnv)
            mode = origin.map { $0.server.name == serverName ? .new : .crossServer } ?? .new
            targetType = type
        } else {
            let target = try store.resolvedEnvironment(named: targetName)
            mode = targetName == backupEnvironment ? .original : .existing
            if let origin = try? backupEnvironment.map({ try store.resolvedEnvironment(named: $0) }), origin.server.name != target.server.name { mode = .crossServer }
            targetType = target.environment.type
            let protectedBy = try store.protection(of: targetName)
            if protectedBy != nil && o.confirm != targetName {
                let why = protectedBy == targetName ? target.environment.type.rawValue : "its database or filestore is \(protectedBy!)'s"
                throw CLIError("\(targetName) is protected (\(why)): restoring overwrites it; repeat its name with --confirm \(targetName)")
            }
            if protectedBy == nil && o.confirm != nil && o.confirm != targetName {
                throw CLIError("--confirm \(o.confirm!) does not match the target \(targetName)")
            }
            // An Odoo major-version mismatch needs an explicit yes.
            if let version = odooVersion, let current = try? OdooSnapshot.read(PSQL(executor: Executors.forServer(target.server), connection: PostgresConnection(target))).version,
               current != version, !o.yes {
                throw CLIError("the backup is Odoo \(version) and \(targetName) runs Odoo \(current): add --yes to restore anyway")
            }
        }
        let productionOutside = sourceType == .production && targetType != .production
        let preset = o.preset ?? (productionOutside ? .recommended : SanitizationCatalog.Preset.none)
        if productionOutside && preset == .none && !o.understandRisk {
            throw CLIError("production data restored into a \(targetType.rawValue) environment is sanitized: --preset none needs --i-understand-the-risk")
        }
        let keys = try SanitizationCatalog.resolve(preset: preset, enable: [], disable: [])
        let hash = keys.contains("reset_passwords") ? try OdooPassword.hash("staging123") : nil
        let parameters = RestoreJob.Parameters(backupID: backupID, archivePath: archivePath, target: targetName, newEnvironment: newEnv, mode: mode,
                                               includeFilestore: !o.noFilestore, safetyBackup: !o.noSafetyBackup, safetyStorage: o.safetyStorage,
                                               asMoved: o.asMoved, preset: preset.rawValue, options: keys, passwordHash: hash)
        let server = try newEnv?.server ?? store.resolvedEnvironment(named: targetName).server.name
        return Prepared(parameters: parameters, target: targetName, server: server, mode: mode, preset: preset, newEnvironment: newEnv != nil)
    }

    struct Prepared {
        var parameters: RestoreJob.Parameters
        var target: String
        var server: String
        var mode: RestoreMode
        var preset: SanitizationCatalog.Preset
        var newEnvironment: Bool

        func submit(store: SQLiteStateStore, home: StateHome) throws -> Int64 {
            try JobQueue(store: store, home: home).submit(RestoreJob(), parameters: parameters, environment: target, server: server, locks: [target])
        }
    }

    func run(store: SQLiteStateStore, home: StateHome) throws {
        let o = options
        let prepared = try prepare(store: store)
        let (targetName, mode, preset) = (prepared.target, prepared.mode, prepared.preset)
        if isatty(0) == 1 && isatty(1) == 1 && !o.yes {
            print("Restore \(backupID ?? archivePath ?? "") into \(targetName) (\(mode.rawValue)); sanitization: \(preset.rawValue)")
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
            let outcome = (try? store.jobResult(id)).flatMap { $0 }.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any] ?? [:]
            let job = try store.job(id)
            var doc: [String: Any] = ["job": id, "status": job.status.rawValue, "target": targetName, "mode": mode.rawValue, "preset": preset.rawValue,
                                      "verification": outcome["verification"] ?? [:], "sanitization_result": outcome["sanitization_result"] ?? [],
                                      "proof": outcome["proof"] ?? NSNull()]
            doc["safety_backup_id"] = point?.safetyBackupID ?? NSNull()
            doc["target_state"] = point?.targetState ?? NSNull()
            if let e = job.errorMessage { doc["error_message"] = e }
            if case .success(let b) = registered { doc["registered_backup_id"] = b.id }
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if status != .completed { throw ExitCode(1) }
        if case .failure(let error) = registered { throw CLIError("restored, but not registered as a backup: \(error)") }
    }
}
