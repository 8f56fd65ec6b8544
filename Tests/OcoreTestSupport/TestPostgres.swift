import Foundation
import OcoreOdoo
import OcoreRemote

/// A throwaway PostgreSQL 15 cluster for this test process: initdb into a temp directory (as the
/// `postgres` user when run as root), unix socket plus 127.0.0.1 on a free port, fsync off.
/// Started on first use, stopped and deleted when the process exits.
public enum TestPostgres {
    public static let cluster: LocalPostgresCluster = started("ocore-test-pg")

    /// A second cluster, for what lives on two servers (a golden copy on each).
    public static let far: LocalPostgresCluster = started("ocore-test-pg-far")

    private static func started(_ prefix: String) -> LocalPostgresCluster {
        do {
            try LocalPostgresCluster.checkInstalled()
        } catch {
            fatalError("\(error)\nThe test suite needs PostgreSQL 15: run scripts/test.sh, or apt-get install postgresql-15")
        }
        let root = TestDirectories.make(prefix, worldTraversable: true)
        let cluster = LocalPostgresCluster(dataDirectory: root + "/data", socketDirectory: root + "/run",
                                           port: freeLoopbackPort(), durable: false)
        do {
            try cluster.initialise()
            try cluster.start()
        } catch {
            fatalError("cannot start the test PostgreSQL cluster: \(error)")
        }
        let pgCtl = [LocalPostgresCluster.binDirectory + "/pg_ctl", "-D", cluster.dataDirectory, "-m", "immediate", "stop"]
        Cleanup.register(shell: [geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] + pgCtl : pgCtl, ["rm", "-rf", root]]) {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: root)
        }
        return cluster
    }

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
        Cleanup.register(shell: [["rm", "-rf", dir]]) { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }
}

/// Stops services and removes temporary directories when the test process ends — normally
/// (`atexit`) or not (a crash, `kill -9`): a detached watcher waits for this process to disappear
/// and then runs the same cleanup as shell commands, so no server outlives a test run.
public enum Cleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var actions: [() -> Void] = []
    private static let script = "/tmp/ocore-test-cleanup-\(getpid()).sh"
    private static let installed: Void = {
        atexit { Cleanup.runAll() }
        FileManager.default.createFile(atPath: script, contents: Data())
        let watcher = "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; sh \(script); rm -f \(script)"
        _ = try? BackgroundProcess.spawn(["sh", "-c", watcher], logPath: "/dev/null", newSession: true)
    }()

    /// Registers `action` for a normal exit and `shell` (an argument vector per command) for any exit.
    public static func register(shell: [[String]] = [], _ action: @escaping () -> Void) {
        _ = installed
        lock.withLock {
            actions.append(action)
            if let handle = FileHandle(forWritingAtPath: script) {
                handle.seekToEndOfFile()
                for command in shell {
                    handle.write(Data((command.map(ShellQuote.quote).joined(separator: " ") + " >/dev/null 2>&1\n").utf8))
                }
                handle.closeFile()
            }
        }
    }

    static func runAll() {
        let all = lock.withLock { () -> [() -> Void] in defer { actions = [] }; return actions }
        for action in all.reversed() { action() }
    }
}
