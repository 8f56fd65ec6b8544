import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// An environment's `odoo.conf`, read from its server (`ocore env config NAME`) or edited there
/// (`… set KEY=VALUE…`): the file keeps its comments and order, the previous one stays beside it
/// as `.bak`, and Odoo reads it only when it restarts (`--restart` uses the service commands).
public struct OdooConfigRequest: Sendable {
    public var environment: String
    public var changes: [(key: String, value: String)] = []
    public var restart = false

    public init(environment: String) {
        self.environment = environment
    }

    public struct Result: Sendable {
        public var path: String
        public var file: OdooConfigFile
        public var changed: [String]
        public var restarted: Bool
    }

    /// A copy's odoo.conf that still names its source's database (copied from production's) is
    /// pointed at the copy's own: `db_name`, and a `dbfilter` that would match only the source.
    /// Returns the keys changed (none when the file names no other database, or there is no file).
    static func pointAtOwnDatabase(_ env: ResolvedEnvironment, sourceDatabase: String, _ context: StepContext) throws -> [String] {
        guard let path = env.environment.odooConf else { return [] }
        let fs = RemoteFileSystem(Executors.forServer(env.server))
        let text = String(decoding: try fs.readFile(path, limit: 1 << 20), as: UTF8.self)
        var file = OdooConfigFile(text: text)
        let own = env.environment.dbName
        var changed: [String] = []
        if file.value("db_name") == sourceDatabase { try file.set("db_name", own); changed.append("db_name") }
        if let filter = file.value("dbfilter"), filter.contains(sourceDatabase) { try file.set("dbfilter", "^\(own)$"); changed.append("dbfilter") }
        guard !changed.isEmpty else { return [] }
        _ = try Executors.forServer(env.server).run(Command(["cp", "-p", "--", path, path + ".bak"]))
        try fs.writeFile(path, Data(file.text.utf8))
        context.log(.warning, "\(path) named \(sourceDatabase): \(changed.joined(separator: " and ")) now name \(own) (previous file kept as .bak)")
        return changed
    }

    public func run(store: SQLiteStateStore, by who: Requester) throws -> Result {
        let env = try store.resolvedEnvironment(named: environment)
        guard let path = env.environment.odooConf else {
            throw RequestRefusal("\(environment) has no odoo.conf known: tell ocore where it is with `ocore env set \(environment) --odoo-conf /etc/odoo/odoo.conf`")
        }
        let fs = RemoteFileSystem(Executors.forServer(env.server))
        let text = String(decoding: try fs.readFile(path, limit: 1 << 20), as: UTF8.self)
        var file = OdooConfigFile(text: text)
        guard !changes.isEmpty else { return Result(path: path, file: file, changed: [], restarted: false) }
        for (key, value) in changes { try file.set(key, value) }
        // The copy keeps the file's owner and mode: an odoo.conf holds secrets.
        let backup = try Executors.forServer(env.server).run(Command(["cp", "-p", "--", path, path + ".bak"]))
        guard backup.succeeded else { throw RequestRefusal("cannot keep \(path).bak: \(backup.summary); nothing was changed") }
        try fs.writeFile(path, Data(file.text.utf8))
        let keys = changes.map(\.key)
        try store.audit(user: who.user, from: who.from, action: "env.config", environment: environment, detail: keys.joined(separator: ", "))
        var restarted = false
        if restart {
            guard let stop = env.environment.serviceStop, let start = env.environment.serviceStart else {
                throw RequestRefusal("\(environment) has no service commands to restart it with (`ocore env set \(environment) --stop-command … --start-command …`); the file is changed")
            }
            for command in [stop, start] {
                let result = try Executors.forServer(env.server).run(Command(command, timeout: .seconds(300)), outputLimit: 64 << 10)
                guard result.succeeded else { throw RequestRefusal("\(command.joined(separator: " ")) failed: \(result.summary)") }
            }
            restarted = true
        }
        return Result(path: path, file: file, changed: keys, restarted: restarted)
    }
}
