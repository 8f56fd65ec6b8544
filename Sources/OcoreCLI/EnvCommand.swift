import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore

extension EnvironmentType: ExpressibleByArgument {}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env", abstract: "Register the Odoo environments (database + filestore + addons) of your projects.",
        subcommands: [Add.self, List.self, Show.self, Set.self, Config.self, Remove.self, Destroy.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Register an environment. Production environments are protected by default.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the environment (unique across projects).") var name: String
        @Option(help: "Project it belongs to (created on first use).") var project: String
        @Option(help: "production, staging or development.") var type: EnvironmentType
        @Option(help: "Server that hosts it.") var server: String
        @Option(help: ArgumentHelp("PostgreSQL database name.", valueName: "dbname")) var db: String
        @OptionGroup var postgres: PostgresOptions
        @Option(name: .customLong("pg-password-env"), help: ArgumentHelp("Environment variable holding the database password.", valueName: "var")) var pgPasswordEnv: String?
        @Option(help: ArgumentHelp("Filestore directory (default <data-dir>/filestore/<db>).", valueName: "dir")) var filestore: String?
        @Option(help: ArgumentHelp("Addons directories, comma-separated.", valueName: "dir[,dir…]")) var addons: String?
        @Option(help: "Public URL of the Odoo instance.") var url: String?
        @Option(help: "Git branch deployed.") var branch: String?
        @Flag(inversion: .prefixedNo, help: "Require typed confirmation for destructive actions (default: on for production).") var protected: Bool?
        @Option(name: .customLong("stop-command"), help: ArgumentHelp("Stops the Odoo service on the server before a restore replaces its database (words split on blanks, no shell).", valueName: "command"))
        var stopCommand: String?
        @Option(name: .customLong("start-command"), help: ArgumentHelp("Starts it again afterwards.", valueName: "command")) var startCommand: String?
        @Option(name: .customLong("filestore-owner"), help: ArgumentHelp("Owner of the filestore's files, set on what a restore writes (e.g. odoo:odoo).", valueName: "user[:group]"))
        var filestoreOwner: String?
        @Option(name: .customLong("odoo-conf"), help: ArgumentHelp("Its odoo.conf on the server (shown and edited by `ocore env config`).", valueName: "path"))
        var odooConf: String?
        @Option(name: .customLong("alias-of"), help: ArgumentHelp("Another name for this environment's database and filestore: it shares that environment's protection and locks.", valueName: "env"))
        var aliasOf: String?

        func run() throws {
            let env = Environment(name: name, project: project, type: type, server: server, dbName: db,
                                  postgres: postgres.settings, pgPasswordEnv: pgPasswordEnv, filestore: filestore,
                                  addons: addons.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [],
                                  url: url, branch: branch, isProtected: protected,
                                  serviceStop: stopCommand.map(Environment.commandVector), serviceStart: startCommand.map(Environment.commandVector),
                                  filestoreOwner: filestoreOwner, odooConf: odooConf)
            let protectedBy = try EnvironmentRegistration(environment: env, aliasOf: aliasOf).register(store: try global.openStore(), by: .current)
            print("environment \(name) added to project \(project) (\(type.rawValue)\(protectedBy.map { $0 == name ? ", protected" : ", protected as an alias of \($0)" } ?? ""))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List environments.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let servers = Dictionary(uniqueKeysWithValues: try store.servers().map { ($0.name, $0) })
            let resolved = try store.environments().compactMap { env in servers[env.server].map { ResolvedEnvironment(env, on: $0) } }
            if json { return try JSONOutput.print(resolved.map(EnvironmentJSON.init)) }
            guard !resolved.isEmpty else {
                return print("no environments yet: add one with `ocore env add NAME --project P --type T --server S --db DB`, or run `ocore demo`")
            }
            var table = TextTable(header: ["PROJECT", "NAME", "TYPE", "SERVER", "DATABASE", ""])
            for r in resolved {
                let e = r.environment
                table.rows.append([e.project, e.name, e.type.rawValue, e.server, e.dbName, e.isProtected ? "protected" : ""])
            }
            print(table.render())
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one environment with its server's defaults applied.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let resolved = try global.openStore().resolvedEnvironment(named: name)
            let view = EnvironmentJSON(resolved)
            if json { return try JSONOutput.print(view) }
            for (key, value) in view.fields { print("\(key.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value)") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove an environment record. Its database and filestore are left untouched.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: ArgumentHelp("Repeat the name to remove a protected environment's record.", valueName: "name")) var confirm: String?

        func run() throws {
            let env = try EnvironmentRemoval(name: name, confirmation: confirm).remove(store: try global.openStore(), by: .current)
            print("environment \(name) removed from the inventory (database \(env.dbName) and its filestore were not touched)")
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Change an environment's record: URL, type, service commands, filestore owner, protection.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: "Public URL (empty to remove).") var url: String?
        @Option(help: "production, staging or development.") var type: EnvironmentType?
        @Option(name: .customLong("stop-command"), help: ArgumentHelp("Stops its Odoo service (empty to remove).", valueName: "command")) var stopCommand: String?
        @Option(name: .customLong("start-command"), help: ArgumentHelp("Starts it again (empty to remove).", valueName: "command")) var startCommand: String?
        @Option(name: .customLong("filestore-owner"), help: ArgumentHelp("Owner of its filestore's files (empty to remove).", valueName: "user[:group]")) var filestoreOwner: String?
        @Option(name: .customLong("odoo-conf"), help: ArgumentHelp("Its odoo.conf on the server (empty to forget it).", valueName: "path")) var odooConf: String?
        @Flag(inversion: .prefixedNo, help: "Require typed confirmation for destructive actions.") var protect: Bool?
        @Flag(name: .customLong("strict-sanitization"), inversion: .prefixedNo,
              help: "Clones from or into it refuse to leave a personal or secret-like column as it is (like clone --strict).") var strictSanitization: Bool?
        @Option(help: ArgumentHelp("Repeat the name to lower a protected environment's protection or change its type.", valueName: "name")) var confirm: String?

        func run() throws {
            var change = EnvironmentChange(name: name)
            change.url = url
            change.type = type
            change.serviceStop = stopCommand.map(Environment.commandVector)
            change.serviceStart = startCommand.map(Environment.commandVector)
            change.filestoreOwner = filestoreOwner
            change.protected = protect
            change.odooConf = odooConf
            change.strictSanitization = strictSanitization
            change.confirmation = confirm
            let env = try change.apply(store: try global.openStore(), by: .current)
            print("environment \(name): \(env.type.rawValue), \(env.url ?? "no URL")\(env.isProtected ? ", protected" : "")\(env.strictSanitization ? ", strict sanitization" : "")\(env.serviceStop != nil ? ", service commands set" : "")")
        }
    }

    struct Destroy: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "destroy", 
            abstract: "Drop an environment's database and filestore (after a verified backup) and remove its record.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: ArgumentHelp("Repeat the name to confirm.", valueName: "name")) var confirm: String?
        @Flag(name: .customLong("no-backup"), help: "Do not back it up first: it cannot be brought back.") var noBackup = false
        @Option(help: "Storage for the backup taken first (default: the default storage).") var storage: String?
        @Flag(name: .customLong("i-am-sure-this-is-production"), help: "Required to destroy a protected environment.") var sure = false
        @Flag(help: "Queue the job and return at once.") var detach = false

        func run() throws {
            var request = EnvironmentDestruction(name: name, confirmation: confirm)
            request.backup = !noBackup
            request.storage = storage
            request.productionConfirmed = sure
            let store = try global.openStore()
            let id = try request.submit(store: store, home: global.stateHome)
            try JobFollower.followQueued(id, "destroy of \(name)", detach: detach, store: store, home: global.stateHome)
        }
    }
}

/// The JSON shape of an environment: resolved values, server defaults applied.
struct EnvironmentJSON: Encodable {
    let resolved: ResolvedEnvironment

    init(_ resolved: ResolvedEnvironment) { self.resolved = resolved }

    enum Keys: String, CodingKey {
        case name, project, type, server, db_name, pg_host, pg_port, pg_user, pg_password_env, filestore, addons, url, branch, protected
        case stop_command, start_command, filestore_owner, odoo_conf, strict_sanitization
    }

    func encode(to encoder: Encoder) throws {
        let e = resolved.environment
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(e.name, forKey: .name)
        try c.encode(e.project, forKey: .project)
        try c.encode(e.type.rawValue, forKey: .type)
        try c.encode(e.server, forKey: .server)
        try c.encode(e.dbName, forKey: .db_name)
        try c.encodeNullable(resolved.postgres.host, forKey: .pg_host)
        try c.encodeNullable(resolved.postgres.port, forKey: .pg_port)
        try c.encodeNullable(resolved.postgres.user, forKey: .pg_user)
        try c.encodeNullable(e.pgPasswordEnv, forKey: .pg_password_env)
        try c.encode(resolved.filestore, forKey: .filestore)
        try c.encode(e.addons, forKey: .addons)
        try c.encodeNullable(e.url, forKey: .url)
        try c.encodeNullable(e.branch, forKey: .branch)
        try c.encode(e.isProtected, forKey: .protected)
        try c.encodeNullable(e.serviceStop, forKey: .stop_command)
        try c.encodeNullable(e.serviceStart, forKey: .start_command)
        try c.encodeNullable(e.filestoreOwner, forKey: .filestore_owner)
        try c.encodeNullable(e.odooConf, forKey: .odoo_conf)
        try c.encode(e.strictSanitization, forKey: .strict_sanitization)
    }

    var fields: [(String, String)] {
        let e = resolved.environment
        return [("name", e.name), ("project", e.project), ("type", e.type.rawValue), ("server", e.server),
                ("database", e.dbName), ("postgresql", "\(resolved.postgres.user ?? "")@\(resolved.postgres.host ?? "(local socket)"):\(resolved.postgres.port ?? 5432)"),
                ("password from", e.pgPasswordEnv.map { "$" + $0 } ?? "(none)"), ("filestore", resolved.filestore),
                ("addons", e.addons.isEmpty ? "(none)" : e.addons.joined(separator: ", ")), ("url", e.url ?? "(none)"),
                ("branch", e.branch ?? "(none)"), ("protected", e.isProtected ? "yes" : "no"),
                ("strict sanitization", e.strictSanitization ? "yes: clones refuse to leave personal data or secrets as they are" : "no"),
                ("service", e.serviceStop.map { "stop: \($0.joined(separator: " ")); start: \(e.serviceStart?.joined(separator: " ") ?? "-")" } ?? "(not managed)")]
    }
}

extension EnvCommand {
    /// `ocore env config NAME [set KEY=VALUE…] [--restart]`.
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "config", 
            abstract: "Show an environment's odoo.conf (workers, limits, db_maxconn, proxy_mode, …), or set keys in it.",
            discussion: "`ocore env config staging set workers=4 limit_time_real=600 --restart` edits the file in place (comments and order kept, the old one beside it as .bak); Odoo reads it when it restarts. Secrets (admin_passwd, db_password) are never printed.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument(help: ArgumentHelp("`set` and KEY=VALUE pairs.", valueName: "set KEY=VALUE")) var assignments: [String] = []
        @Flag(help: "Restart Odoo with the environment's service commands after a change.") var restart = false

        func run() throws {
            var request = OdooConfigRequest(environment: name)
            if !assignments.isEmpty {
                guard assignments.first == "set", assignments.count > 1 else { throw CLIError("give `set KEY=VALUE…`, e.g. `ocore env config \(name) set workers=4`") }
                request.changes = try assignments.dropFirst().map { pair in
                    guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw CLIError("\(pair): expected KEY=VALUE") }
                    return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
                }
            }
            request.restart = restart
            let result = try request.run(store: try global.openStore(), by: .current)
            if result.changed.isEmpty {
                print("\(result.path):")
                for e in result.file.shownEntries { print("  \(e.key.padding(toLength: 20, withPad: " ", startingAt: 0)) \(e.shown)") }
            } else {
                print("\(result.path): \(result.changed.joined(separator: ", ")) set (previous file kept as \(result.path).bak)")
                print(result.restarted ? "Odoo restarted with the new settings" : "restart required: Odoo reads odoo.conf when it starts (add --restart, or restart it yourself)")
            }
        }
    }
}
