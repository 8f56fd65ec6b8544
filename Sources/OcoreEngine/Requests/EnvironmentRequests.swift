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
        try store.removeEnvironment(named: name)
        try store.audit(user: who.user, from: who.from, action: "env.rm", environment: name, detail: "database \(env.dbName) left in place")
        return env
    }
}
