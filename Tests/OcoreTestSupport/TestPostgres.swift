import Foundation
import OcoreOdoo
import OcoreRemote

/// A throwaway PostgreSQL 15 cluster for this test process: initdb into a temp directory (as the
/// `postgres` user when run as root), unix socket plus 127.0.0.1 on a free port, fsync off.
/// Started on first use, stopped and deleted when the process exits.
public enum TestPostgres {
    public static let cluster: LocalPostgresCluster = {
        do {
            try LocalPostgresCluster.checkInstalled()
        } catch {
            fatalError("\(error)\nThe test suite needs PostgreSQL 15: run scripts/test.sh, or apt-get install postgresql-15")
        }
        let root = TestDirectories.make("ocore-test-pg", worldTraversable: true)
        let cluster = LocalPostgresCluster(dataDirectory: root + "/data", socketDirectory: root + "/run",
                                           port: freeLoopbackPort(), durable: false)
        do {
            try cluster.initialise()
            try cluster.start()
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
        Cleanup.register { try? cluster.stop(); try? FileManager.default.removeItem(atPath: root) }
        return cluster
    }()

    /// psql as the superuser on `database` of the test cluster.
    public static func psql(_ database: String = "postgres") -> PSQL {
        PSQL(executor: LocalExecutor(), connection: cluster.connection(database: database))
    }

    /// A fresh, uniquely named empty database.
    public static func createDatabase(prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try psql().execute("CREATE DATABASE \(SQL.identifier(name));")
        return name
    }
}

/// Temporary directories and exit-time cleanup shared by the fixtures.
public enum TestDirectories {
    /// A new directory under /tmp. `worldTraversable` lets the `postgres` user reach inside it
    /// when tests run as root.
    public static func make(_ prefix: String, worldTraversable: Bool = false) -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { fatalError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let dir = String(cString: path)
        if worldTraversable { chmod(dir, 0o755) }
        return dir
    }
}

/// Runs registered actions once when the test process exits (services stop, temp dirs go).
public enum Cleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var actions: [() -> Void] = []
    private static let installed: Void = { atexit { Cleanup.runAll() } }()

    public static func register(_ action: @escaping () -> Void) {
        _ = installed
        lock.withLock { actions.append(action) }
    }

    static func runAll() {
        let all = lock.withLock { () -> [() -> Void] in defer { actions = [] }; return actions }
        for action in all.reversed() { action() }
    }
}
