import Crypto
import Foundation
import OcoreModel
import OcoreRemote

/// Where the demo lives under a state home, and its private PostgreSQL cluster.
///
/// Everything is under `<home>/demo/` except, when running as root, the cluster itself: the
/// `postgres` user that must run it cannot enter root's 0700 directories, so its data and socket
/// live in `/var/lib/ocore-demo/<id>/` (with a `postgres` symlink beside the rest of the demo).
public struct DemoSite: Sendable {
    public struct State: Codable, Sendable, Equatable {
        public var port: Int
        public var clusterRoot: String
        public var productionScale: DemoScale?

        public init(port: Int, clusterRoot: String, productionScale: DemoScale?) {
            self.port = port
            self.clusterRoot = clusterRoot
            self.productionScale = productionScale
        }
    }

    public let directory: String

    public init(home: String) {
        self.directory = home + "/demo"
    }

    public var dataDir: String { directory + "/odoo-data" }
    public var addonsDir: String { directory + "/addons" }
    public var backupsDir: String { directory + "/backups" }
    var statePath: String { directory + "/demo.json" }

    public static let databases: [(env: String, db: String, type: EnvironmentType, seed: Int)] = [
        ("production", "demo_production", .production, 1),
        ("staging", "demo_staging", .staging, 2),
        ("development", "demo_development", .development, 3),
    ]

    public func loadState() -> State? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    public func saveState(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: statePath))
    }

    /// The cluster root for a new demo: under the demo directory, or in /var/lib when root.
    public func defaultClusterRoot() -> String {
        guard geteuid() == 0 else { return directory + "/postgres" }
        let id = SHA256.hash(data: Data(directory.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return "/var/lib/ocore-demo/" + id
    }

    public func cluster(_ state: State) -> LocalPostgresCluster {
        LocalPostgresCluster(dataDirectory: state.clusterRoot + "/data", socketDirectory: state.clusterRoot + "/run", port: state.port)
    }

    public func filestore(for db: String) -> String { dataDir + "/filestore/" + db }

    /// The inventory the demo registers: server `local`, project `demo`, three environments and
    /// the `local` backup directory (default).
    public func inventory(_ state: State) -> Inventory {
        let cluster = cluster(state)
        let server = Server(name: "local", connection: .local,
                            postgres: PostgresSettings(host: cluster.socketDirectory, port: cluster.port, user: cluster.superuser),
                            dataDir: dataDir)
        let envs = Self.databases.map { d in
            Environment(name: d.env, project: "demo", type: d.type, server: "local", dbName: d.db, addons: [addonsDir],
                        url: d.type == .production ? "https://erp.demo-company.example.com" : "https://\(d.env).demo-company.example.com",
                        branch: d.type == .production ? "main" : d.env)
        }
        return Inventory(servers: [server], environments: envs,
                         storage: [StorageTarget(name: "local", location: .directory(path: backupsDir), isDefault: true)])
    }
}
