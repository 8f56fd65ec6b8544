import ArgumentParser
import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension DemoScale: ExpressibleByArgument {}

/// `ocore demo`: a complete, private playground — a PostgreSQL 15 cluster, an Odoo-17-shaped
/// production database with realistic fake data and filestore, staging and development copies,
/// local backup storage — registered in the inventory, then the dashboard.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Set up (or reuse) a private demo: PostgreSQL cluster, Odoo-shaped databases and filestores, inventory; then open the dashboard.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Size of the production dataset: small, medium, large (≈1.4 GB database + 1 GB filestore) or xl (≈5 GB + 3 GB, for benchmarks).") var scale: DemoScale = .small
    @Flag(name: .customLong("no-tui"), help: "Stop after setting up.") var noTUI = false
    @Flag(help: "Stop the demo's PostgreSQL cluster and exit.") var stop = false
    @Flag(help: "Drop and rebuild the demo databases and filestores.") var reset = false
    @OptionGroup var dashboard: DashboardOptions

    func run() throws {
        let home = global.stateHome
        try home.ensureExists()
        let site = DemoSite(home: home.path)
        if stop {
            guard let state = site.loadState() else { return print("no demo set up in \(home.path)") }
            try site.cluster(state).stop()
            return print("demo PostgreSQL cluster stopped (\(state.clusterRoot))")
        }
        let store = try global.openStore()
        try checkNoConflicts(store: store, site: site)

        try FileManager.default.createDirectory(atPath: site.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var state: DemoSite.State
        if let saved = site.loadState() {
            state = saved
        } else {
            state = DemoSite.State(port: freeLoopbackPort(), clusterRoot: site.defaultClusterRoot(), productionScale: nil)
            // A cluster left behind by an earlier demo home at this path belongs to nothing now.
            if FileManager.default.fileExists(atPath: state.clusterRoot) { try site.cluster(state).destroy(root: state.clusterRoot) }
        }
        let cluster = site.cluster(state)
        try step("PostgreSQL 15 cluster on port \(state.port) (\(state.clusterRoot))") {
            try LocalPostgresCluster.checkInstalled()
            try cluster.initialise()
            try cluster.start()
            if geteuid() == 0, !FileManager.default.fileExists(atPath: site.directory + "/postgres") {
                try? FileManager.default.createSymbolicLink(atPath: site.directory + "/postgres", withDestinationPath: state.clusterRoot)
            }
        }
        try site.saveState(state)

        try step("addons with Odoo 17's neutralize.sql files (\(site.addonsDir))") { try DemoDatabase.writeAddons(to: site.addonsDir) }
        try FileManager.default.createDirectory(atPath: site.backupsDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let admin = PSQL(executor: LocalExecutor(), connection: cluster.connection())
        for d in DemoSite.databases {
            let scale = d.type == .production ? scale : .small
            let db = DemoDatabase(server: admin, name: d.db, scale: scale, seed: d.seed, filestore: site.filestore(for: d.db),
                                  baseURL: site.inventory(state).environments.first { $0.name == d.env }?.url ?? "")
            let built = try db.exists()
            let stale = d.type == .production && built && state.productionScale != nil && state.productionScale != scale
            if built && !reset && !stale {
                print("✓ database \(d.db) ready (reused)")
                continue
            }
            if built { try db.drop() }
            try step("database \(d.db): \(scale.partners.formatted()) partners, \(scale.files.formatted()) filestore files") {
                try db.create()
                if d.type != .production { try db.neutralize(addonsPath: site.addonsDir) }
            }
            if d.type == .production {
                state.productionScale = scale
                try site.saveState(state)
            }
        }

        try store.importInventory(site.inventory(state))
        print("✓ inventory: server local, project demo (production, staging, development), storage local (default)")
        print("  state home: \(home.path)")
        if noTUI { return }
        try DashboardCommand.openDashboard(global: global, options: dashboard)
    }

    /// The demo registers `local`, `production`, `staging`, `development` and storage `local`;
    /// it refuses to overwrite records of those names that are not the demo's own.
    private func checkNoConflicts(store: SQLiteStateStore, site: DemoSite) throws {
        let hint = "use --home DIR (or OCORE_HOME) for a separate demo home"
        if let server = try? store.server(named: "local"), server.dataDir != site.dataDir {
            throw CLIError("a server named \"local\" already exists and is not the demo's: \(hint)")
        }
        for d in DemoSite.databases {
            if let env = try? store.environment(named: d.env), env.project != "demo" || env.dbName != d.db {
                throw CLIError("an environment named \"\(d.env)\" already exists outside the demo: \(hint)")
            }
        }
        if let storage = try? store.storage(named: "local"), storage.location != .directory(path: site.backupsDir) {
            throw CLIError("a storage target named \"local\" already exists and is not the demo's: \(hint)")
        }
    }

    private func step(_ title: String, _ body: () throws -> Void) throws {
        let start = ContinuousClock.now
        print("• \(title) …", terminator: "")
        fflush(nil)
        do {
            try body()
        } catch {
            print(" failed")
            throw error
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
        print(String(format: " done (%.1f s)", seconds))
    }
}
