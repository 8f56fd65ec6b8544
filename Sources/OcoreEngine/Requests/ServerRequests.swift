import Foundation
import OcoreModel
import OcoreRemote
import OcoreStore

/// A server added (`ocore server add`, the dashboard's Servers view): checked, reached once over
/// SSH unless told not to (so a wrong host key or key file is found now, not at 3 a.m.), recorded
/// and audited.
public struct ServerRegistration: Sendable {
    public var server: Server
    /// Skip the SSH connection check (a server that is not up yet).
    public var checkConnection = true

    public init(server: Server) {
        self.server = server
    }

    public func register(store: SQLiteStateStore, by who: Requester) throws {
        try server.validate()
        if (try? store.server(named: server.name)) != nil { throw StoreError.duplicate(kind: "server", name: server.name) }
        if case .ssh(let endpoint) = server.connection, checkConnection {
            try SSHExecutor(endpoint: endpoint).connect()
        }
        _ = try store.addServer(server)
        try store.audit(user: who.user, from: who.from, action: "server.add", environment: nil, detail: "\(server.name) (\(server.kindLabel))")
    }
}

/// A server's record removed (`ocore server rm`): refused while it hosts an environment; audited.
public struct ServerRemoval: Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }

    public func remove(store: SQLiteStateStore, by who: Requester) throws {
        if let golden = try store.goldenCopies().first(where: { $0.server == name }) {
            throw RequestRefusal("\(name) holds the golden copy of \(golden.source): remove it first (`ocore golden rm \(golden.source) --server \(name)`)")
        }
        try store.removeServer(named: name)
        try store.audit(user: who.user, from: who.from, action: "server.rm", environment: nil, detail: name)
    }
}

/// A storage target's record removed (`ocore storage rm`); the backups it holds stay where they
/// are. Audited.
public struct StorageRemoval: Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }

    public func remove(store: SQLiteStateStore, by who: Requester) throws {
        try store.removeStorage(named: name)
        try store.audit(user: who.user, from: who.from, action: "storage.rm", environment: nil, detail: "\(name) (its backups were not touched)")
    }
}
