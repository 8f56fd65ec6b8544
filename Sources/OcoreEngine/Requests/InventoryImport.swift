import Foundation
import OcoreModel
import OcoreStore

/// An inventory file imported, all or nothing. A file may not quietly lower a protected
/// environment's protection, change its type or point it at another database (each needs its
/// name in `confirmed`), nor register a second name for a database or filestore.
public struct InventoryImport: Sendable {
    public var inventory: Inventory
    /// The file's name, for the messages.
    public var source: String
    /// Protected environments the operator allows the file to change.
    public var confirmed: [String]

    public init(inventory: Inventory, source: String, confirmed: [String]) {
        self.inventory = inventory
        self.source = source
        self.confirmed = confirmed
    }

    /// Checks the file against the inventory, imports it and audits the import.
    public func apply(store: SQLiteStateStore, by who: Requester) throws {
        try check(store: store)
        try store.importInventory(inventory)
        try store.audit(user: who.user, from: who.from, action: "inventory.import", environment: nil,
                        detail: "\(source): \(inventory.environments.map(\.name).joined(separator: ", "))")
    }

    /// A file may not quietly make a protected environment unprotected or change its type, nor
    /// register a second name for a database or filestore (that is `env add --alias-of`).
    func check(store: SQLiteStateStore) throws {
        let existing = try store.environments()
        let servers = try store.servers() + inventory.servers.filter { s in !(try store.servers()).contains { $0.name == s.name } }
        for env in inventory.environments {
            if let old = existing.first(where: { $0.name == env.name }), let by = SharedData.protectedBy(old, among: existing, servers: servers),
               !env.isProtected || env.type != old.type || env.dbName != old.dbName || env.server != old.server, !confirmed.contains(env.name) {
                let change = env.type != old.type ? "changes its type from \(old.type.rawValue) to \(env.type.rawValue)"
                    : env.isProtected ? "points it at another database" : "removes its protection"
                throw RequestRefusal("\(source): environment \(env.name) is protected\(by == env.name ? "" : " (it shares \(by)'s data)"); the file \(change): add --confirm \(env.name) to allow it")
            }
            let others = existing.filter { $0.name != env.name } + inventory.environments.filter { $0.name != env.name }
            if let other = SharedData.sharing(env, among: others, servers: servers).first, !existing.contains(where: { $0.name == env.name }) {
                throw RequestRefusal("\(source): environment \(env.name) uses the database or filestore of \(other.name) on \(env.server): register another name for it with `ocore env add … --alias-of \(other.name)`")
            }
        }
    }
}
