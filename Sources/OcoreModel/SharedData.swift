/// Which environments point at the same data. Protection and locks belong to the data, not to a
/// record: two records naming one database (or one filestore directory) on one server are the
/// same environment to everything destructive, so the stricter protection of the two holds for
/// both and a job on either locks both.
public enum SharedData {
    /// The other environments on `env`'s server with its database name or its filestore.
    public static func sharing(_ env: Environment, among all: [Environment], servers: [Server]) -> [Environment] {
        guard let server = servers.first(where: { $0.name == env.server }) else { return [] }
        let mine = ResolvedEnvironment(env, on: server)
        return all.filter { other in
            guard other.name != env.name, other.server == env.server else { return false }
            let theirs = ResolvedEnvironment(other, on: server)
            return other.dbName == env.dbName || PathRules.normalized(theirs.filestore) == PathRules.normalized(mine.filestore)
        }
    }

    /// Protected when it, or any environment sharing its data, is: the name of the protected one.
    public static func protectedBy(_ env: Environment, among all: [Environment], servers: [Server]) -> String? {
        if env.isProtected { return env.name }
        return sharing(env, among: all, servers: servers).first(where: \.isProtected)?.name
    }

    /// `protectedBy` for every environment at once, in one pass (the dashboard's tree holds a
    /// thousand environments: asking one by one is a million path comparisons per reload).
    /// The same answer as `protectedBy`: the environment itself, else the first protected one,
    /// in `all`'s order, that shares its database or its filestore; nil when none does.
    public static func protection(of all: [Environment], servers: [Server]) -> [String: String] {
        let byName = Dictionary(servers.map { ($0.name, $0) }) { first, _ in first }
        struct Keys { var database: String; var filestore: String }
        var keys: [Keys?] = []
        var firstProtected: [String: Int] = [:]
        for (index, env) in all.enumerated() {
            guard let server = byName[env.server] else { keys.append(nil); continue }
            let k = Keys(database: "\(env.server)\u{0}db\u{0}\(env.dbName)",
                         filestore: "\(env.server)\u{0}fs\u{0}\(PathRules.normalized(ResolvedEnvironment(env, on: server).filestore))")
            keys.append(k)
            if env.isProtected {
                if firstProtected[k.database] == nil { firstProtected[k.database] = index }
                if firstProtected[k.filestore] == nil { firstProtected[k.filestore] = index }
            }
        }
        var out: [String: String] = [:]
        for (index, env) in all.enumerated() {
            if env.isProtected { out[env.name] = env.name; continue }
            guard let k = keys[index] else { continue }
            let candidates = [firstProtected[k.database], firstProtected[k.filestore]].compactMap { $0 }
            if let first = candidates.min() { out[env.name] = all[first].name }
        }
        return out
    }
}

/// A job's hold on an environment: exclusive (it changes it) or shared (it only reads it, as a
/// clone reads its source: other readers may run beside it, nothing that changes it may).
public enum JobLock: Equatable, Sendable {
    case exclusive(String)
    case shared(String)

    /// How a lock is written in a job's list of locked environments.
    public var encoded: String {
        switch self {
        case .exclusive(let name): name
        case .shared(let name): "read:" + name
        }
    }

    public init(encoded: String) {
        self = encoded.hasPrefix("read:") ? .shared(String(encoded.dropFirst(5))) : .exclusive(encoded)
    }

    public var environment: String {
        switch self { case .exclusive(let n), .shared(let n): n }
    }

    public var isShared: Bool { if case .shared = self { true } else { false } }

    /// Two jobs may not hold these two locks at once.
    public func conflicts(with other: JobLock) -> Bool {
        environment == other.environment && !(isShared && other.isShared)
    }
}
