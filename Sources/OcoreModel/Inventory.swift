/// Everything the operator has registered: what `inventory export` writes and `import` reads.
public struct Inventory: Equatable, Sendable {
    public var servers: [Server]
    public var environments: [Environment]
    public var storage: [StorageTarget]

    public init(servers: [Server] = [], environments: [Environment] = [], storage: [StorageTarget] = []) {
        self.servers = servers
        self.environments = environments
        self.storage = storage
    }

    /// Checks every item and every cross-reference, so an import either fits whole or changes nothing.
    public func validate(existingServers: Set<String> = []) throws(ModelError) {
        var serverNames = existingServers
        var seen = Set<String>()
        for server in servers {
            try server.validate()
            guard seen.insert("server:" + server.name).inserted else {
                throw .invalidValue(field: "server", value: server.name, reason: "appears twice")
            }
            serverNames.insert(server.name)
        }
        for env in environments {
            try env.validate()
            guard seen.insert("env:" + env.name).inserted else {
                throw .invalidValue(field: "environment", value: env.name, reason: "appears twice")
            }
            guard serverNames.contains(env.server) else {
                throw .invalidValue(field: "environment \(env.name) server", value: env.server, reason: "no such server")
            }
        }
        for target in storage {
            try target.validate()
            guard seen.insert("storage:" + target.name).inserted else {
                throw .invalidValue(field: "storage", value: target.name, reason: "appears twice")
            }
        }
        if storage.filter(\.isDefault).count > 1 {
            throw .invalidValue(field: "storage", value: "default", reason: "only one storage target can be the default")
        }
    }
}
