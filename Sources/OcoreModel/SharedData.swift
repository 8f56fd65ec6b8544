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
