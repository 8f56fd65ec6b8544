import Foundation
import GRDB
import OcoreModel

/// The state store in one SQLite file, in WAL mode so the TUI, the CLI and workers can read while
/// one of them writes. Writers wait (busy timeout) instead of failing when another process holds
/// the write lock.
public final class SQLiteStateStore: InventoryStore, @unchecked Sendable {
    // DatabasePool is thread-safe; @unchecked because GRDB's type is not marked Sendable on Linux.
    let pool: DatabasePool
    public let path: String

    /// Opens (creating and migrating if needed) the store at `path`. The file is created 0600.
    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw StoreError.unavailable(path: path, reason: String(cString: strerror(errno)))
            }
            close(fd)
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.label = "ocore"
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Schema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.unavailable(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// Opens the store in `home`, creating the directory with mode 0700.
    public convenience init(home: StateHome) throws {
        try home.ensureExists()
        try self.init(path: home.databasePath)
    }

    /// The applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Schema.migrator.appliedMigrations(db) }
    }

    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// A counter that changes whenever another connection commits: cheap change detection for
    /// watchers (the TUI re-queries only when it moves).
    public func dataVersion() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    /// Changes whenever a server, project, environment or storage target is added, changed or removed.
    public func inventoryVersion() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT version FROM inventory_version WHERE id = 1") ?? 0 }
    }

    // MARK: Servers

    public func addServer(_ server: Server) throws -> Server {
        try insertNew(server, table: "server", kind: "server", Self.upsertServer)
    }

    public func servers() throws -> [Server] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM server ORDER BY name").map(Self.server(from:)) }
    }

    public func server(named name: String) throws -> Server {
        try row(of: "server", kind: "server", named: name, Self.server(from:))
    }

    /// Adds a record whose name must be new (`kind` names it in the refusal), returned with its row id.
    private func insertNew<T: NamedRecord>(_ record: T, table: String, kind: String, _ upsert: (Database, T) throws -> Void) throws -> T {
        try record.validate()
        return try write { db in
            try Self.ensureAbsent(db, table: table, kind: kind, name: record.name)
            try upsert(db, record)
            var stored = record
            stored.id = db.lastInsertedRowID
            return stored
        }
    }

    /// The row of `table` called `name`, decoded; `kind` names it in the error when there is none.
    private func row<T>(of table: String, kind: String, named name: String, _ decode: (Row) throws -> T) throws -> T {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE name = ?", arguments: [name]) else {
                throw StoreError.notFound(kind: kind, name: name)
            }
            return try decode(row)
        }
    }

    public func removeServer(named name: String) throws {
        try write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM server WHERE name = ?", arguments: [name]) else {
                throw StoreError.notFound(kind: "server", name: name)
            }
            let users = try String.fetchAll(db, sql: "SELECT name FROM environment WHERE server_id = ? ORDER BY name", arguments: [id])
            guard users.isEmpty else {
                throw StoreError.inUse(kind: "server", name: name, usedBy: users.map { "environment \($0)" })
            }
            try db.execute(sql: "DELETE FROM server WHERE id = ?", arguments: [id])
        }
    }

    // MARK: Environments

    public func addEnvironment(_ environment: Environment) throws -> Environment {
        try insertNew(environment, table: "environment", kind: "environment", Self.upsertEnvironment)
    }

    public func environments() throws -> [Environment] {
        try pool.read { db in try Row.fetchAll(db, sql: Self.environmentSelect + " ORDER BY p.name, CASE e.type WHEN 'production' THEN 0 WHEN 'staging' THEN 1 ELSE 2 END, e.name").map(Self.environment(from:)) }
    }

    public func environment(named name: String) throws -> Environment {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: Self.environmentSelect + " WHERE e.name = ?", arguments: [name]) else {
                throw StoreError.notFound(kind: "environment", name: name)
            }
            return Self.environment(from: row)
        }
    }

    /// Changes a registered environment's record (found by name).
    public func updateEnvironment(_ environment: Environment) throws {
        try environment.validate()
        try write { db in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM environment WHERE name = ?", arguments: [environment.name]) != nil else {
                throw StoreError.notFound(kind: "environment", name: environment.name)
            }
            try Self.upsertEnvironment(db, environment)
        }
    }

    public func removeEnvironment(named name: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM environment WHERE name = ?", arguments: [name])
            guard db.changesCount > 0 else { throw StoreError.notFound(kind: "environment", name: name) }
        }
    }

    public func projects() throws -> [Project] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM project ORDER BY name").map { Project(id: $0["id"], name: $0["name"]) }
        }
    }

    // MARK: Storage

    public func addStorage(_ target: StorageTarget) throws -> StorageTarget {
        try insertNew(target, table: "storage_target", kind: "storage", Self.upsertStorage)
    }

    public func storageTargets() throws -> [StorageTarget] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM storage_target ORDER BY name").map(Self.storage(from:)) }
    }

    public func storage(named name: String) throws -> StorageTarget {
        try row(of: "storage_target", kind: "storage", named: name, Self.storage(from:))
    }

    public func removeStorage(named name: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM storage_target WHERE name = ?", arguments: [name])
            guard db.changesCount > 0 else { throw StoreError.notFound(kind: "storage", name: name) }
        }
    }

    // MARK: Import / export

    public func exportInventory() throws -> Inventory {
        Inventory(servers: try servers(), environments: try environments(), storage: try storageTargets())
    }

    public func importInventory(_ inventory: Inventory) throws {
        let existing = Set(try servers().map(\.name))
        try inventory.validate(existingServers: existing)
        try write { db in
            for server in inventory.servers { try Self.upsertServer(db, server) }
            for env in inventory.environments { try Self.upsertEnvironment(db, env) }
            if inventory.storage.contains(where: \.isDefault) {
                try db.execute(sql: "UPDATE storage_target SET is_default = 0")
            }
            for target in inventory.storage { try Self.upsertStorage(db, target) }
        }
    }

    // MARK: Plumbing

    /// Runs `body` in one immediate write transaction; GRDB's own errors become store errors.
    @discardableResult
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as DatabaseError {
            throw StoreError.refused(path: path, reason: error.message ?? "\(error)")
        }
    }

    static func ensureAbsent(_ db: Database, table: String, kind: String, name: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM \(table) WHERE name = ?", arguments: [name]) == true {
            throw StoreError.duplicate(kind: kind, name: name)
        }
    }
}

/// An inventory record stored by its unique name (a server, an environment, a storage target).
protocol NamedRecord {
    var id: Int64? { get set }
    var name: String { get }
    func validate() throws(ModelError)
}

extension Server: NamedRecord {}
extension Environment: NamedRecord {}
extension StorageTarget: NamedRecord {}
