import OcoreModel

/// The inventory half of the state store: servers, projects, environments and storage targets.
///
/// Kept behind a protocol so a PostgreSQL-backed store (for teams sharing one inventory) can stand
/// beside the SQLite one. Every method is atomic: it either applies whole or throws and changes
/// nothing.
public protocol InventoryStore: Sendable {
    func addServer(_ server: Server) throws -> Server
    func servers() throws -> [Server]
    func server(named name: String) throws -> Server
    func removeServer(named name: String) throws

    /// Adds an environment, creating its project on first use. The server must exist.
    func addEnvironment(_ environment: Environment) throws -> Environment
    func environments() throws -> [Environment]
    func environment(named name: String) throws -> Environment
    /// Removes the record only: the database and filestore stay where they are.
    func removeEnvironment(named name: String) throws
    func projects() throws -> [Project]

    func addStorage(_ target: StorageTarget) throws -> StorageTarget
    func storageTargets() throws -> [StorageTarget]
    func storage(named name: String) throws -> StorageTarget
    func removeStorage(named name: String) throws

    func exportInventory() throws -> Inventory
    /// Adds or updates (by name) every item in one transaction.
    func importInventory(_ inventory: Inventory) throws
}

extension InventoryStore {
    /// An environment with its server's defaults applied.
    public func resolvedEnvironment(named name: String) throws -> ResolvedEnvironment {
        let env = try environment(named: name)
        return ResolvedEnvironment(env, on: try server(named: env.server))
    }
}
