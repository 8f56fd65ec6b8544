import Foundation
import OcoreRemote

/// Builds one Odoo-17-shaped database with its filestore, for the demo and the benchmarks.
public struct DemoDatabase: Sendable {
    public let server: PSQL
    public let name: String
    public let scale: DemoScale
    public let seed: Int
    public let filestore: String
    public let baseURL: String

    /// - Parameter server: a psql runner connected to any database of the target cluster, as a
    ///   role that can create databases.
    public init(server: PSQL, name: String, scale: DemoScale, seed: Int, filestore: String, baseURL: String) {
        self.server = server
        self.name = name
        self.scale = scale
        self.seed = seed
        self.filestore = filestore
        self.baseURL = baseURL
    }

    public func exists() throws -> Bool {
        try server.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(name))") == "1"
    }

    /// Drops the database (disconnecting its sessions) and removes its filestore.
    public func drop() throws {
        try server.execute("DROP DATABASE IF EXISTS \(SQL.identifier(name)) WITH (FORCE);")
        try? FileManager.default.removeItem(atPath: filestore)
    }

    /// Creates the database, loads schema and data, writes the filestore and its attachments,
    /// then builds indexes and statistics. Fails if the database already exists.
    public func create() throws {
        try server.execute("CREATE DATABASE \(SQL.identifier(name)) ENCODING 'UTF8' TEMPLATE template0;")
        let db = PSQL(executor: server.executor, connection: server.connection.database(name))
        do {
            try db.execute(DemoSchema.tables, timeout: nil)
            try db.execute(DemoSchema.modelFields, timeout: nil)
            try db.execute(DemoData.load(scale: scale, seed: seed, baseURL: baseURL), timeout: nil)
            try db.execute(DemoAddons.moduleRowsSQL)
            try? FileManager.default.removeItem(atPath: filestore)
            let files = try DemoFilestore(directory: filestore, seed: UInt64(seed) &* 7919 &+ 17)
                .generate(count: scale.files, meanSize: scale.meanFileSize, partners: scale.partners)
            try db.load(DataSource(Data(Self.attachmentCopy(files).utf8)))
            try db.execute(DemoSchema.indexes + "\nANALYZE;", timeout: nil)
        } catch {
            try? drop()
            throw error
        }
    }

    /// `COPY ir_attachment FROM STDIN` for the generated files.
    static func attachmentCopy(_ files: [DemoFilestore.File]) -> String {
        var text = "COPY ir_attachment (name, res_model, res_field, res_id, company_id, type, store_fname, file_size, checksum, mimetype, public, create_date, write_date) FROM STDIN;\n"
        for f in files {
            let resField = f.resModel == "ir.ui.view" ? "arch_db" : "\\N"
            let resID = f.resID.map(String.init) ?? "\\N"
            text += "\(f.name)\t\(f.resModel ?? "\\N")\t\(resField)\t\(resID)\t1\tbinary\t\(f.storeFname)\t\(f.size)\t\(f.checksum)\t\(f.mimetype)\tf\tnow\tnow\n"
        }
        return text + "\\.\n"
    }

    /// Runs every installed module's `data/neutralize.sql` found under `addonsPath`, the way
    /// `odoo-bin neutralize` does, to make a staging-like database.
    public func neutralize(addonsPath: String) throws {
        let db = PSQL(executor: server.executor, connection: server.connection.database(name))
        let installed = try db.query("SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name")
        var sql = "BEGIN;\n"
        for row in installed {
            let path = "\(addonsPath)/\(row[0])/data/neutralize.sql"
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { sql += text + "\n" }
        }
        try db.execute(sql + "COMMIT;\n")
    }

    /// Writes the addons tree (`<module>/__manifest__.py`, `<module>/data/neutralize.sql`).
    public static func writeAddons(to path: String) throws {
        let fm = FileManager.default
        for module in DemoAddons.modules {
            let dir = "\(path)/\(module.name)"
            try fm.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            try DemoAddons.manifest(for: module).write(toFile: dir + "/__manifest__.py", atomically: true, encoding: .utf8)
            if let sql = module.neutralizeSQL {
                try sql.write(toFile: dir + "/data/neutralize.sql", atomically: true, encoding: .utf8)
            }
        }
    }
}
