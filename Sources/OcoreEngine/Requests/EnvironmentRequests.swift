import Foundation
import OcoreModel
import OcoreStore

/// An environment added to the inventory. One database (or filestore) is one environment to
/// everything destructive, so a second name for the same data is refused unless it is declared
/// an alias, which then shares the other's protection and locks.
public struct EnvironmentRegistration: Sendable {
    public var environment: Environment
    /// The environment whose database or filestore this one is another name for.
    public var aliasOf: String?

    public init(environment: Environment, aliasOf: String? = nil) {
        self.environment = environment
        self.aliasOf = aliasOf
    }

    /// Checks and registers the environment (audited); returns who protects it, if anyone does.
    public func register(store: SQLiteStateStore, by who: Requester) throws -> String? {
        let env = environment
        if (env.serviceStop == nil) != (env.serviceStart == nil) { throw RequestRefusal("give --stop-command and --start-command together") }
        try env.validate()
        let target = try store.server(named: env.server)
        let sharing = SharedData.sharing(env, among: try store.environments(), servers: try store.servers())
        if let other = sharing.first, aliasOf == nil || !sharing.contains(where: { $0.name == aliasOf }) {
            let what = other.dbName == env.dbName ? "database \(env.dbName)" : "filestore \(ResolvedEnvironment(env, on: target).filestore)"
            throw RequestRefusal("\(what) on \(env.server) is already environment \(other.name)'s: to register another name for it, add --alias-of \(other.name) (it then shares \(other.name)'s protection and locks)")
        }
        if let aliasOf, sharing.isEmpty { throw RequestRefusal("--alias-of \(aliasOf): \(env.name) does not share \(aliasOf)'s database or filestore") }
        _ = try store.addEnvironment(env)
        try store.audit(user: who.user, from: who.from, action: "env.add", environment: env.name, detail: aliasOf.map { "alias of \($0)" })
        return SharedData.protectedBy(env, among: try store.environments(), servers: try store.servers())
    }
}

/// An environment's record removed from the inventory (its database and filestore are left
/// where they are): never while a job works on it, and a protected one only after its name is
/// typed again.
public struct EnvironmentRemoval: Sendable, Equatable {
    public var name: String
    public var confirmation: String?

    public init(name: String, confirmation: String?) {
        self.name = name
        self.confirmation = confirmation
    }

    /// Checks and removes the record (audited); returns it.
    @discardableResult
    public func remove(store: SQLiteStateStore, by who: Requester) throws -> Environment {
        let env = try store.environment(named: name)
        if let job = try store.activeJob(locking: name) {
            throw RequestRefusal("\(name) has job \(job.id) (\(job.kind), \(job.status.rawValue)): wait for it, or cancel it with `ocore jobs cancel \(job.id)`, then remove \(name)")
        }
        if let protectedBy = try store.protection(of: name), confirmation != name {
            throw RequestRefusal("\(name) is protected\(protectedBy == name ? "" : " (it shares \(protectedBy)'s data)"): repeat its name with --confirm \(name) to remove its record")
        }
        try GoldenCopies.refuseWhileAny(of: name, store: store, doing: "removing its record")
        try store.removeEnvironment(named: name)
        try store.audit(user: who.user, from: who.from, action: "env.rm", environment: name, detail: "database \(env.dbName) left in place")
        return env
    }
}

/// An environment's record edited in place (`ocore env set`): its URL, type, service commands,
/// filestore owner, protection. A protected environment's protection is lowered, or its type
/// changed, only with its name typed again.
public struct EnvironmentChange: Sendable, Equatable {
    public var name: String
    public var url: String?
    public var type: EnvironmentType?
    public var serviceStop: [String]?
    public var serviceStart: [String]?
    public var filestoreOwner: String?
    public var protected: Bool?
    public var odooConf: String?
    public var strictSanitization: Bool?
    public var confirmation: String?

    public init(name: String) {
        self.name = name
    }

    /// Checks and applies the change (audited); returns the environment as it now is.
    @discardableResult
    public func apply(store: SQLiteStateStore, by who: Requester) throws -> Environment {
        var env = try store.environment(named: name)
        let before = env
        if let url { env.url = url.isEmpty ? nil : url }
        if let type {
            env.type = type
            // Production is protected by default, whatever it was before (unless said otherwise here).
            if type == .production && before.type != .production && protected == nil { env.isProtected = true }
        }
        if let serviceStop { env.serviceStop = serviceStop.isEmpty ? nil : serviceStop }
        if let serviceStart { env.serviceStart = serviceStart.isEmpty ? nil : serviceStart }
        if let filestoreOwner { env.filestoreOwner = filestoreOwner.isEmpty ? nil : filestoreOwner }
        if let protected { env.isProtected = protected }
        if let odooConf { env.odooConf = odooConf.isEmpty ? nil : odooConf }
        if let strictSanitization { env.strictSanitization = strictSanitization }
        if (env.serviceStop == nil) != (env.serviceStart == nil) { throw RequestRefusal("an environment has both --stop-command and --start-command, or neither") }
        if before.isProtected, !env.isProtected || env.type != before.type || before.strictSanitization && !env.strictSanitization, confirmation != name {
            let what = env.type != before.type ? "changing its type" : !env.isProtected ? "removing its protection" : "letting its clones leave columns as they are"
            throw RequestRefusal("\(name) is protected: \(what) needs its name typed again: add --confirm \(name)")
        }
        guard env != before else { return env }
        try store.updateEnvironment(env)
        try store.audit(user: who.user, from: who.from, action: "env.set", environment: name, detail: Self.changes(before, env).joined(separator: ", "))
        return env
    }

    static func changes(_ a: Environment, _ b: Environment) -> [String] {
        var out: [String] = []
        if a.url != b.url { out.append("url \(b.url ?? "none")") }
        if a.type != b.type { out.append("type \(b.type.rawValue)") }
        if a.serviceStop != b.serviceStop || a.serviceStart != b.serviceStart { out.append("service commands") }
        if a.filestoreOwner != b.filestoreOwner { out.append("filestore owner \(b.filestoreOwner ?? "none")") }
        if a.isProtected != b.isProtected { out.append(b.isProtected ? "protected" : "unprotected") }
        if a.odooConf != b.odooConf { out.append("odoo.conf \(b.odooConf ?? "none")") }
        if a.strictSanitization != b.strictSanitization { out.append(b.strictSanitization ? "strict sanitization" : "strict sanitization off") }
        return out
    }
}

/// An environment destroyed (`ocore env destroy`): its database and filestore dropped after a
/// verified backup, its record removed. Its name must be typed again; a protected one also needs
/// `--i-am-sure-this-is-production`; one whose data another name shares is refused.
public struct EnvironmentDestruction: Sendable, Equatable {
    public var name: String
    public var confirmation: String?
    public var backup = true
    public var storage: String?
    public var productionConfirmed = false

    public init(name: String, confirmation: String?) {
        self.name = name
        self.confirmation = confirmation
    }

    /// Checks every rule and queues the destroy job; returns its id.
    public func submit(store: SQLiteStateStore, home: StateHome) throws -> Int64 {
        let env = try store.resolvedEnvironment(named: name)
        guard confirmation == name else {
            throw RequestRefusal("destroying \(name) drops its database and filestore: repeat its name with --confirm \(name)")
        }
        if let protectedBy = try store.protection(of: name), !productionConfirmed {
            throw RequestRefusal("\(name) is protected\(protectedBy == name ? "" : " (it shares \(protectedBy)'s data)"): destroying it also needs --i-am-sure-this-is-production")
        }
        try GoldenCopies.refuseWhileAny(of: name, store: store, doing: "destroying it")
        let sharing = try store.environmentsSharingData(with: name)
        if !sharing.isEmpty {
            throw RequestRefusal("\(name)'s database or filestore is also \(sharing.map(\.name).joined(separator: ", ")): destroying it would destroy theirs; remove the other record first (`ocore env rm`)")
        }
        if let storage { _ = try store.storage(named: storage) }
        if backup, try storage ?? SafetyBackup.defaultStorage(store) == nil {
            throw RequestRefusal("no default storage for the backup taken first: give --storage NAME, or --no-backup")
        }
        let parameters = DestroyJob.Parameters(environment: name, backupID: backup ? BackupRecord.newID(at: Date()) : nil, storage: storage)
        return try JobQueue(store: store, home: home).submit(DestroyJob(), parameters: parameters, environment: name, server: env.server.name, locks: [name])
    }
}
