import Foundation
import OcoreRemote

/// A private PostgreSQL 15 cluster on this host: the demo's, and the throwaway one tests use.
///
/// PostgreSQL refuses to run as root, so when ocore runs as root the server programs run as the
/// `postgres` user (`runuser`), and the data and socket directories are owned by it and must be
/// somewhere that user can reach. The cluster listens on its own socket directory and on
/// 127.0.0.1 at `port`, and trusts local connections: it is for one operator's machine only.
public struct LocalPostgresCluster: Sendable {
    public let dataDirectory: String
    public let socketDirectory: String
    public let port: Int
    public let superuser: String
    /// Test clusters trade durability for speed (fsync off); the demo keeps it on.
    public let durable: Bool

    public static let binDirectory = "/usr/lib/postgresql/15/bin"

    public init(dataDirectory: String, socketDirectory: String, port: Int, superuser: String = "odoo", durable: Bool = true) {
        self.dataDirectory = dataDirectory
        self.socketDirectory = socketDirectory
        self.port = port
        self.superuser = superuser
        self.durable = durable
    }

    static var runningAsRoot: Bool { geteuid() == 0 }

    /// How to connect to a database of this cluster from this host.
    public func connection(database: String = "postgres") -> PostgresConnection {
        PostgresConnection(host: socketDirectory, port: port, user: superuser, database: database)
    }

    public var isInitialised: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") }

    /// Fails loudly, with the install hint, when the server binaries are missing.
    public static func checkInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/initdb") else {
            throw ClusterError.notInstalled
        }
    }

    /// Creates the cluster (initdb) if it does not exist yet and writes its settings.
    public func initialise() throws {
        try Self.checkInstalled()
        let fm = FileManager.default
        for dir in [dataDirectory, socketDirectory] {
            // Parents must be traversable by the server's user; the directories themselves are private.
            let parent = (dir as NSString).deletingLastPathComponent
            if !fm.fileExists(atPath: parent) {
                try fm.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            }
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if Self.runningAsRoot { try chownToPostgres(dir) }
        }
        if !isInitialised {
            var args = [Self.binDirectory + "/initdb", "-D", dataDirectory, "-U", superuser, "--auth=trust",
                        "-E", "UTF8", "--no-locale"]
            if !durable { args.append("--no-sync") }
            try runServerProgram(args)
        }
        // A clone holds ~8 sessions at its peak (the snapshot, pg_dump -j, two streams of two ends,
        // pg_restore -j); the test suite runs several at once.
        var settings = """

            # Written by ocore
            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = \(SQL.literal(socketDirectory))
            max_connections = 200
            shared_buffers = '128MB'
            """
        if !durable { settings += "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" }
        let conf = dataDirectory + "/postgresql.auto.conf"
        try settings.write(toFile: conf, atomically: false, encoding: .utf8)
        if Self.runningAsRoot { try chownToPostgres(conf) }
    }

    /// Starts the server if it is not running and waits until it accepts connections.
    /// A server already running with other settings (an earlier port) is restarted.
    public func start() throws {
        if try isRunning() {
            if FileManager.default.fileExists(atPath: "\(socketDirectory)/.s.PGSQL.\(port)") { return }
            try runServerProgram([Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", dataDirectory + "/server.log",
                                  "-m", "fast", "-w", "-t", "60", "restart"])
            return
        }
        try runServerProgram([Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "-l", dataDirectory + "/server.log",
                              "-w", "-t", "60", "start"])
    }

    /// Stops the server if it runs and deletes the cluster's files.
    public func destroy(root: String) throws {
        if isInitialised { try? runServerProgram([Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"]) }
        try? FileManager.default.removeItem(atPath: root)
    }

    public func stop() throws {
        guard isInitialised, try isRunning() else { return }
        try runServerProgram([Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    public func isRunning() throws -> Bool {
        guard isInitialised else { return false }
        let result = try LocalExecutor().run(serverCommand([Self.binDirectory + "/pg_ctl", "-D", dataDirectory, "status"]))
        return result.succeeded
    }

    func serverCommand(_ args: [String]) -> Command {
        Command(Self.runningAsRoot ? ["runuser", "-u", "postgres", "--"] + args : args, timeout: .seconds(120))
    }

    private func runServerProgram(_ args: [String]) throws {
        let command = serverCommand(args)
        let result = try LocalExecutor().run(command)
        guard result.succeeded else {
            var detail = result.summary
            if let log = try? String(contentsOfFile: dataDirectory + "/server.log", encoding: .utf8) {
                detail += " — server log: " + (log.split(separator: "\n").suffix(3).joined(separator: " | "))
            }
            throw ClusterError.commandFailed(program: (args[0] as NSString).lastPathComponent, detail: detail)
        }
    }

    private func chownToPostgres(_ path: String) throws {
        guard let pw = getpwnam("postgres") else { throw ClusterError.noPostgresUser }
        guard chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else {
            throw ClusterError.commandFailed(program: "chown", detail: "\(path): \(String(cString: strerror(errno)))")
        }
    }
}

public enum ClusterError: Error, CustomStringConvertible, Sendable {
    case notInstalled
    case noPostgresUser
    case commandFailed(program: String, detail: String)

    public var description: String {
        switch self {
        case .notInstalled:
            "PostgreSQL 15 server programs are missing (\(LocalPostgresCluster.binDirectory)/initdb): apt-get install postgresql-15"
        case .noPostgresUser:
            "running as root needs the 'postgres' system user to run the server: apt-get install postgresql-15"
        case let .commandFailed(program, detail):
            "\(program) failed: \(detail)"
        }
    }
}

/// Finds a TCP port that is free on 127.0.0.1 right now.
public func freeLoopbackPort(address: String = "127.0.0.1") -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    inet_pton(AF_INET, address, &addr.sin_addr)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
