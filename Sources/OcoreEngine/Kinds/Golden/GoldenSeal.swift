import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// The built copy, checked as a clone's target is (key tables, attachment files); nothing is
    /// registered: a golden copy is no environment.
    func verifyGoldenBuild(_ context: StepContext) throws {
        let sides = try sides(context)
        let verification = try verifyCopy(context, sides: sides)
        try record(context) { state in
            var outcome = state.outcome ?? JobOutcome(sanitizationResult: [], neutralization: [], verification: [:], proof: nil)
            outcome.verification = verification
            state.outcome = outcome
        }
        context.log(.info, "the copy checks out (\(verification["active_users"] ?? "?") active users)")
    }

    /// The build becomes the golden copy: sealed (a template that accepts no connections), the
    /// previous golden copy renamed aside, the build renamed into its place, its filestore
    /// likewise, and the record saved. Every rename is recorded before it is made.
    func sealGoldenCopy(_ context: StepContext) throws {
        guard let destination = p.goldenBuild else { throw StepFailure.check("golden copy", "no destination") }
        let sides = try sides(context)
        let catalog = DatabaseCatalog(admin: PSQL(executor: sides.targetExecutor, connection: sides.target)), admin = catalog.admin
        let fs = RemoteFileSystem(sides.targetExecutor)
        let build = p.targetDatabase, buildFilestore = targetFilestore(sides)
        let aside = destination.database + "_previous", asideFilestore = destination.filestore + ".previous"
        // What the copy is, read while it still accepts connections.
        let built = PSQL(executor: sides.targetExecutor, connection: targetDatabase(sides))
        let modules = try ModuleVersions.installed(built)
        let identity = try built.query("SELECT value FROM ir_config_parameter WHERE key IN ('database.uuid', 'database.secret') AND value <> ''").map { $0[0] }
        let size = Int64(try admin.scalar("SELECT pg_database_size(\(SQL.literal(build)))") ?? "")
        let previous = try context.store.goldenCopy(of: p.source, on: p.targetServer)
        try recoverLeftovers(destination, aside: aside, asideFilestore: asideFilestore, catalog: catalog, fs: fs, context)
        try context.record(GoldenSealState.self) { $0.previous = previous; $0.asideDatabase = aside; $0.asideFilestore = asideFilestore }

        try admin.execute("ALTER DATABASE \(SQL.identifier(build)) WITH ALLOW_CONNECTIONS false IS_TEMPLATE true;")
        try context.record(GoldenSealState.self) { $0.movedAside = true }
        if try catalog.exists(destination.database) {
            try admin.execute("ALTER DATABASE \(SQL.identifier(destination.database)) RENAME TO \(SQL.identifier(aside));")
        }
        if try fs.stat(destination.filestore) != nil { try fs.rename(destination.filestore, to: asideFilestore) }
        try context.record(GoldenSealState.self) { $0.swapped = true }
        try admin.execute("ALTER DATABASE \(SQL.identifier(build)) RENAME TO \(SQL.identifier(destination.database));")
        let hasFilestore = try fs.stat(buildFilestore) != nil
        if hasFilestore { try fs.rename(buildFilestore, to: destination.filestore) }

        let done = state(context)
        var golden = GoldenCopy(source: p.source, server: p.targetServer, database: destination.database, filestore: hasFilestore ? destination.filestore : nil,
                                preset: p.preset, options: p.options, verdict: done.outcome?.proof?.verdict ?? "NONE",
                                dataAsOf: p.replicaOf?.dataAsOf ?? (try? context.store.job(context.jobID)).flatMap { $0.startedAt.flatMap(Timestamp.parse) } ?? Date(),
                                jobID: context.jobID, databaseSize: size, filestoreSize: done.filestoreSize, moduleVersions: modules)
        golden.identity = identity
        try context.record(GoldenSealState.self) { $0.recorded = true }
        try context.store.saveGoldenCopy(golden)
        if let outcome = done.outcome { try context.store.setJobResult(context.jobID, String(decoding: try JSONEncoder().encode(outcome), as: UTF8.self)) }
        context.log(.info, "golden copy of \(p.source) on \(p.targetServer): \(destination.database) (\(size.map(formatBytes) ?? "?")), \(golden.summary()); "
                    + "no connection to it is possible, clones copy it with `ocore clone \(p.source) --new NAME --from-golden`")
    }

    /// What an earlier refresh left: a previous golden copy still aside while none is in place is
    /// put back (it is the only one); one aside beside a golden copy is dropped (that refresh completed).
    private func recoverLeftovers(_ destination: GoldenRefreshJob.Destination, aside: String, asideFilestore: String, catalog: DatabaseCatalog,
                                  fs: RemoteFileSystem, _ context: StepContext) throws {
        if try catalog.exists(aside) {
            if try catalog.exists(destination.database) {
                try catalog.dropTemplate(aside)
                context.log(.info, "dropped \(aside), left by an earlier refresh")
            } else {
                try catalog.admin.execute("ALTER DATABASE \(SQL.identifier(aside)) RENAME TO \(SQL.identifier(destination.database));")
                context.log(.warning, "\(aside) was left aside by an interrupted refresh with no golden copy in place: put back as \(destination.database)")
            }
        }
        if try fs.stat(asideFilestore) != nil {
            if try fs.stat(destination.filestore) != nil { try fs.removeTree(asideFilestore) } else { try fs.rename(asideFilestore, to: destination.filestore) }
        }
    }

    /// Puts things back as they were before the seal, by what is really there: the new copy
    /// renamed back to its build name (and unsealed, so the clone's undo drops it), the previous
    /// golden copy renamed back into place, its record restored.
    func undoSeal(_ context: StepContext) throws {
        let s = context.state(GoldenSealState.self)
        guard let destination = p.goldenBuild, let aside = s.asideDatabase, let asideFilestore = s.asideFilestore else { return }
        let sides = try sides(context)
        let catalog = DatabaseCatalog(admin: PSQL(executor: sides.targetExecutor, connection: sides.target)), admin = catalog.admin
        let fs = RemoteFileSystem(sides.targetExecutor)
        let build = p.targetDatabase, buildFilestore = targetFilestore(sides)
        if s.swapped, try !catalog.exists(build), try catalog.exists(destination.database) {
            try admin.execute("ALTER DATABASE \(SQL.identifier(destination.database)) RENAME TO \(SQL.identifier(build));")
        }
        if s.swapped, try fs.stat(buildFilestore) == nil, try fs.stat(destination.filestore) != nil, p.includeFilestore {
            try fs.rename(destination.filestore, to: buildFilestore)
        }
        if try catalog.exists(build) { try admin.execute("ALTER DATABASE \(SQL.identifier(build)) WITH IS_TEMPLATE false ALLOW_CONNECTIONS true;") }
        if s.movedAside, try !catalog.exists(destination.database), try catalog.exists(aside) {
            try admin.execute("ALTER DATABASE \(SQL.identifier(aside)) RENAME TO \(SQL.identifier(destination.database));")
            context.log(.info, "the previous golden copy is back as \(destination.database)")
        }
        if s.movedAside, try fs.stat(destination.filestore) == nil, try fs.stat(asideFilestore) != nil {
            try fs.rename(asideFilestore, to: destination.filestore)
        }
        if s.recorded {
            if let previous = s.previous { try context.store.saveGoldenCopy(previous) } else { try? context.store.removeGoldenCopy(of: p.source, on: p.targetServer) }
        }
        try context.record(GoldenSealState.self) { $0 = GoldenSealState() }
    }

    /// The previous golden copy, set aside by the seal, is removed. Never fails the job: the new
    /// golden copy is in place, and what could not be removed is said (the next refresh removes it).
    func removePreviousGolden(_ context: StepContext) throws {
        let s = context.state(GoldenSealState.self)
        guard let aside = s.asideDatabase, let asideFilestore = s.asideFilestore else { return }
        do {
            let sides = try sides(context)
            let catalog = DatabaseCatalog(admin: PSQL(executor: sides.targetExecutor, connection: sides.target))
            if try catalog.exists(aside) {
                try catalog.dropTemplate(aside)
                context.log(.info, "dropped the previous golden copy (\(aside))")
            }
            let fs = RemoteFileSystem(sides.targetExecutor)
            if try fs.stat(asideFilestore) != nil { try fs.removeTree(asideFilestore) }
        } catch {
            context.log(.warning, "the previous golden copy is left as \(aside) (\(error)); the next refresh removes it")
        }
    }
}

/// Databases of a server as its administrator sees them.
struct DatabaseCatalog {
    let admin: PSQL

    /// The server's maintenance database, as its administrator.
    static func admin(on server: Server) -> DatabaseCatalog {
        DatabaseCatalog(admin: PSQL(executor: Executors.forServer(server), connection: .maintenance(of: server)))
    }

    func drop(_ name: String) throws {
        try admin.execute("DROP DATABASE IF EXISTS \(SQL.identifier(name)) WITH (FORCE);")
    }

    func exists(_ name: String) throws -> Bool {
        try admin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(name))") == "1"
    }

    /// A template is dropped only once it is one no more.
    func dropTemplate(_ name: String) throws {
        try admin.execute("ALTER DATABASE \(SQL.identifier(name)) WITH IS_TEMPLATE false;\nDROP DATABASE IF EXISTS \(SQL.identifier(name)) WITH (FORCE);")
    }
}
