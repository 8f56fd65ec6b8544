import Foundation
import OcoreModel
import OcoreStore
import OcoreTestSupport
import Testing

/// A store in a fresh temporary home.
func makeStore() throws -> (SQLiteStateStore, StateHome) {
    let dir = TestDirectories.make("ocore-store")
    let home = StateHome(path: dir + "/state")
    return (try SQLiteStateStore(home: home), home)
}

func sampleServer(_ name: String = "erp1") -> Server {
    Server(name: name, connection: .local, postgres: PostgresSettings(port: 5432), dataDir: "/var/lib/odoo")
}

func sampleEnvironment(_ name: String, server: String = "erp1", project: String = "acme") -> Environment {
    Environment(name: name, project: project, type: .staging, server: server, dbName: "db_\(name)")
}

@Suite("The state store")
struct StateStoreTests {
    @Test("a new store is migrated, in WAL mode, private to its owner")
    func newStore() throws {
        let (store, home) = try makeStore()
        #expect(try store.appliedMigrations() == ["v1-inventory", "v2-jobs", "v3-inventory-version", "v4-backups", "v5-restore-points", "v6-storage-encryption", "v7-ftp-storage", "v8-service-commands", "v9-smtp-password-reference", "v10-refresh-schedule", "v11-odoo-conf", "v12-job-filed-under", "v13-frequent-schedules", "v14-backup-copies", "v15-incremental-backups", "v16-strict-sanitization", "v17-sanitized-backups", "v18-golden-copies"])
        #expect(try store.journalMode() == "wal")
        let dirMode = try FileManager.default.attributesOfItem(atPath: home.path)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: home.databasePath)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        #expect(fileMode == 0o600)
    }

    @Test("reopening an existing store keeps its data and does not migrate twice")
    func reopen() throws {
        let (store, home) = try makeStore()
        _ = try store.addServer(sampleServer())
        let again = try SQLiteStateStore(home: home)
        #expect(try again.servers().map(\.name) == ["erp1"])
        #expect(try again.appliedMigrations() == ["v1-inventory", "v2-jobs", "v3-inventory-version", "v4-backups", "v5-restore-points", "v6-storage-encryption", "v7-ftp-storage", "v8-service-commands", "v9-smtp-password-reference", "v10-refresh-schedule", "v11-odoo-conf", "v12-job-filed-under", "v13-frequent-schedules", "v14-backup-copies", "v15-incremental-backups", "v16-strict-sanitization", "v17-sanitized-backups", "v18-golden-copies"])
    }

    @Test("the home comes from --home, then OCORE_HOME, then XDG_STATE_HOME, then ~/.local/state")
    func homeResolution() {
        #expect(StateHome.resolve(explicit: "/x", environment: ["OCORE_HOME": "/y"]).path == "/x")
        #expect(StateHome.resolve(explicit: nil, environment: ["OCORE_HOME": "/y", "XDG_STATE_HOME": "/z"]).path == "/y")
        #expect(StateHome.resolve(explicit: nil, environment: ["XDG_STATE_HOME": "/z", "HOME": "/h"]).path == "/z/ocore")
        #expect(StateHome.resolve(explicit: nil, environment: ["HOME": "/h"]).path == "/h/.local/state/ocore")
    }

    @Test("an environment needs an existing server and creates its project")
    func environmentsAndProjects() throws {
        let (store, _) = try makeStore()
        #expect(throws: StoreError.notFound(kind: "server", name: "erp1")) { try store.addEnvironment(sampleEnvironment("staging")) }
        #expect(try store.environments().isEmpty)
        _ = try store.addServer(sampleServer())
        _ = try store.addEnvironment(sampleEnvironment("staging"))
        _ = try store.addEnvironment(Environment(name: "prod", project: "acme", type: .production, server: "erp1", dbName: "acme"))
        #expect(try store.projects().map(\.name) == ["acme"])
        #expect(try store.environments().map(\.name) == ["prod", "staging"])
        #expect(try store.environment(named: "prod").isProtected)
    }

    @Test("duplicates are refused and change nothing")
    func duplicates() throws {
        let (store, _) = try makeStore()
        _ = try store.addServer(sampleServer())
        var other = sampleServer()
        other.dataDir = "/elsewhere"
        #expect(throws: StoreError.duplicate(kind: "server", name: "erp1")) { try store.addServer(other) }
        #expect(try store.server(named: "erp1").dataDir == "/var/lib/odoo")
    }

    @Test("a server that still hosts environments cannot be removed; removing an environment keeps the server")
    func removal() throws {
        let (store, _) = try makeStore()
        _ = try store.addServer(sampleServer())
        _ = try store.addEnvironment(sampleEnvironment("staging"))
        #expect(throws: StoreError.inUse(kind: "server", name: "erp1", usedBy: ["environment staging"])) { try store.removeServer(named: "erp1") }
        try store.removeEnvironment(named: "staging")
        try store.removeServer(named: "erp1")
        #expect(throws: StoreError.notFound(kind: "environment", name: "staging")) { try store.removeEnvironment(named: "staging") }
    }

    @Test("only one storage target is the default")
    func defaultStorage() throws {
        let (store, _) = try makeStore()
        _ = try store.addStorage(StorageTarget(name: "a", location: .directory(path: "/a"), isDefault: true))
        _ = try store.addStorage(StorageTarget(name: "b", location: .directory(path: "/b"), isDefault: true))
        #expect(try store.storageTargets().filter(\.isDefault).map(\.name) == ["b"])
    }

    @Test("an import is all or nothing")
    func atomicImport() throws {
        let (store, _) = try makeStore()
        _ = try store.addServer(sampleServer())
        let bad = Inventory(servers: [sampleServer("erp2")],
                            environments: [sampleEnvironment("ok", server: "erp2"), sampleEnvironment("orphan", server: "nowhere")])
        #expect(throws: ModelError.self) { try store.importInventory(bad) }
        #expect(try store.servers().map(\.name) == ["erp1"])
        #expect(try store.environments().isEmpty)
        let good = Inventory(servers: [sampleServer("erp2")], environments: [sampleEnvironment("ok", server: "erp2")])
        try store.importInventory(good)
        try store.importInventory(good)  // idempotent: updates by name
        #expect(try store.environments().map(\.name) == ["ok"])
    }

    @Test("several processes' connections can write at once without losing a write")
    func concurrentWriters() async throws {
        let (first, home) = try makeStore()
        _ = try first.addServer(sampleServer())
        let writers = try (0..<4).map { _ in try SQLiteStateStore(home: home) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, store) in writers.enumerated() {
                group.addTask {
                    for i in 0..<25 { _ = try store.addEnvironment(sampleEnvironment("env-\(w)-\(i)", project: "p\(w)")) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try first.environments().count == 100)
        #expect(try first.projects().count == 4)
    }

    @Test("a reader notices another connection's commit through the data version")
    func changeDetection() throws {
        let (reader, home) = try makeStore()
        let writer = try SQLiteStateStore(home: home)
        let before = try reader.dataVersion()
        #expect(try reader.dataVersion() == before)
        _ = try writer.addServer(sampleServer())
        #expect(try reader.dataVersion() != before)
    }

    @Test("an environment's jobs are those filed under it and those that lock it: a clone shows under its target and its source, newest first")
    func jobsOfAnEnvironment() throws {
        let (store, _) = try makeStore()
        func job(_ kind: String, _ env: String?, locks: [String]) throws -> Int64 {
            let id = try store.enqueue(NewJob(kind: kind, environment: env, server: "erp1", lockedEnvironments: locks, parameters: "{}",
                                              steps: [(name: "s", title: "S", start: 0, end: 100)], createdBy: "t", createdFrom: nil))
            try store.finishJob(id, status: .completed)  // so the next may lock the same environment
            return id
        }
        let backup = try job("backup", "production", locks: ["read:production"])
        let clone = try job("clone", "staging", locks: ["staging", "read:production"])
        let other = try job("backup", "prod", locks: ["read:prod"])  // a name that only starts like another
        #expect(try store.jobs(forEnvironment: "production").map(\.id) == [clone, backup])
        #expect(try store.jobs(forEnvironment: "staging").map(\.id) == [clone])
        #expect(try store.jobs(forEnvironment: "prod").map(\.id) == [other])
        #expect(try store.jobs(forEnvironment: "production", limit: 1).map(\.id) == [clone])
        // Each job reads back with every lock it holds, none, one or several, whatever the name.
        let odd = try job("backup", nil, locks: ["a \"quoted\" name", "back\\slash"])
        let none = try job("diagnostic", nil, locks: [])
        let locks = Dictionary(uniqueKeysWithValues: try store.jobs(includeFinished: true).map { ($0.id, $0.lockedEnvironments) })
        #expect(locks[backup] == ["read:production"] && locks[clone] == ["staging", "read:production"])
        #expect(locks[odd] == ["a \"quoted\" name", "back\\slash"] && locks[none] == [])
    }

    @Test("a store from before jobs were filed under their environments gets its old jobs filed when it is opened")
    func jobsFiledOnUpgrade() throws {
        let (store, home) = try makeStore()
        let clone = try store.enqueue(NewJob(kind: "clone", environment: "staging", server: "erp1", lockedEnvironments: ["staging", "read:production"],
                                             parameters: "{}", steps: [(name: "s", title: "S", start: 0, end: 100)], createdBy: "t", createdFrom: nil))
        // Back to the store as the version before it was: no table, no trigger, no record of the migration.
        let downgrade = "DROP TRIGGER job_insert_files_environments; DROP TABLE job_filed_under; DELETE FROM grdb_migrations WHERE identifier = 'v12-job-filed-under';"
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = ["-cmd", ".timeout 10000", store.path, downgrade]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let upgraded = try SQLiteStateStore(home: home)
        #expect(try upgraded.jobs(forEnvironment: "production").map(\.id) == [clone], "filed under the source it read")
        #expect(try upgraded.jobs(forEnvironment: "staging").map(\.id) == [clone])
    }

    @Test("the inventory version moves with inventory changes, not with job activity")
    func inventoryVersion() throws {
        let (store, _) = try makeStore()
        let start = try store.inventoryVersion()
        _ = try store.addServer(sampleServer())
        _ = try store.addEnvironment(sampleEnvironment("staging"))
        let afterInventory = try store.inventoryVersion()
        #expect(afterInventory > start)
        let job = try store.enqueue(NewJob(kind: "diagnostic", environment: "staging", server: "erp1", lockedEnvironments: ["staging"],
                                           parameters: "{}", steps: [(name: "s", title: "S", start: 0, end: 100)], createdBy: "t", createdFrom: nil))
        try store.updateStep(job: job, position: 0, status: .running, progress: 0.5)
        try store.appendLog(job: job, level: .info, message: "working")
        #expect(try store.inventoryVersion() == afterInventory)
        try store.removeEnvironment(named: "staging")
        #expect(try store.inventoryVersion() > afterInventory)
    }
}
