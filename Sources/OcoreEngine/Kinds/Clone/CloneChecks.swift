import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension CloneRun {
    /// Nothing is created before these pass: the target name is free (or, replacing, an environment
    /// other than the source), both servers answer, and the target has room for the copy.
    func checkSourceTargetAndDisk(_ context: StepContext) throws {
        let sides = try sides(context)
        if p.isReplace {
            guard p.target != p.source, (try? context.store.environment(named: p.target)) != nil else {
                throw StepFailure.check("target", "replace needs an existing environment other than the source")
            }
        } else if (try? context.store.environment(named: p.target)) != nil {
            throw StepFailure.check("target name", "an environment named \(p.target) already exists")
        }
        let sourcePSQL = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        do { _ = try sourcePSQL.scalar("SELECT 1") } catch { throw StepFailure.check("source reachable", "\(error)") }
        let targetAdmin = PSQL(executor: sides.targetExecutor, connection: sides.target)
        do {
            if !p.isReplace, try targetAdmin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(p.targetDatabase))") == "1" {
                throw StepFailure.check("target name", "database \(p.targetDatabase) already exists on \(sides.targetServer.name)")
            }
        } catch let error as StepFailure { throw error } catch {
            throw StepFailure.check("target server reachable", "\(error)")
        }
        let databaseSize = Int64(try sourcePSQL.scalar("SELECT pg_database_size(current_database())") ?? "") ?? 0
        let filestoreSize = p.includeFilestore ? (try RemoteFileSystem(sides.sourceExecutor).treeSize(sides.source.filestore) ?? 0) : 0
        // Hard links cost no space on the same server, but the parallel dump is kept there while it restores.
        let needed = Double(databaseSize + (sides.sameServer ? databaseSize : filestoreSize)) * 1.2
        let free = try RemoteFileSystem(sides.targetExecutor).diskSpace(at: sides.targetServer.effectiveDataDir).free
        guard Double(free) >= needed else {
            throw StepFailure.check("free disk", "\(formatBytes(free)) free on \(sides.targetServer.name), \(formatBytes(Int64(needed))) needed (database + filestore + 20 %)")
        }
        try record(context) { $0.databaseSize = databaseSize; $0.filestoreSize = filestoreSize }
        context.log(.info, "source \(formatBytes(databaseSize)) database, \(formatBytes(filestoreSize)) filestore; \(formatBytes(free)) free on \(sides.targetServer.name)")
    }

    func checkSourceIsOdoo(_ context: StepContext) throws {
        let sides = try sides(context)
        let psql = PSQL(executor: sides.sourceExecutor, connection: PostgresConnection(sides.source))
        let present = try psql.query("SELECT to_regclass('res_users') IS NOT NULL, to_regclass('ir_module_module') IS NOT NULL").first ?? []
        guard present == ["t", "t"] else {
            throw StepFailure.check("source is an Odoo database", "res_users or ir_module_module missing in \(sides.source.environment.dbName)")
        }
    }

}
