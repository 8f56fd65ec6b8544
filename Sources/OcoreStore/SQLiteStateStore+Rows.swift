import Foundation
import GRDB
import OcoreModel

/// Mapping between model values and rows, kept out of the model so it stays free of GRDB.
extension SQLiteStateStore {
    static func upsertServer(_ db: Database, _ s: Server) throws {
        var ssh: SSHEndpoint?
        if case .ssh(let e) = s.connection { ssh = e }
        try db.execute(sql: """
            INSERT INTO server (name, kind, ssh_user, ssh_host, ssh_port, identity_file, known_hosts_file,
                                accept_new_host_key, pg_host, pg_port, pg_user, data_dir, max_concurrent_jobs)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, ssh_user = excluded.ssh_user,
                ssh_host = excluded.ssh_host, ssh_port = excluded.ssh_port, identity_file = excluded.identity_file,
                known_hosts_file = excluded.known_hosts_file, accept_new_host_key = excluded.accept_new_host_key,
                pg_host = excluded.pg_host, pg_port = excluded.pg_port, pg_user = excluded.pg_user,
                data_dir = excluded.data_dir, max_concurrent_jobs = excluded.max_concurrent_jobs
            """, arguments: [s.name, ssh == nil ? "local" : "ssh", ssh?.user, ssh?.host, ssh?.port, ssh?.identityFile,
                             ssh?.knownHostsFile, ssh?.acceptNewHostKey ?? false, s.postgres.host, s.postgres.port,
                             s.postgres.user, s.dataDir, s.maxConcurrentJobs])
    }

    static func server(from row: Row) -> Server {
        let kind: String = row["kind"]
        let connection: ServerConnection = kind == "ssh"
            ? .ssh(SSHEndpoint(user: row["ssh_user"], host: row["ssh_host"], port: row["ssh_port"],
                               identityFile: row["identity_file"], knownHostsFile: row["known_hosts_file"],
                               acceptNewHostKey: row["accept_new_host_key"]))
            : .local
        return Server(id: row["id"], name: row["name"], connection: connection,
                      postgres: PostgresSettings(host: row["pg_host"], port: row["pg_port"], user: row["pg_user"]),
                      dataDir: row["data_dir"], maxConcurrentJobs: row["max_concurrent_jobs"])
    }

    static func upsertEnvironment(_ db: Database, _ e: Environment) throws {
        guard let serverID = try Int64.fetchOne(db, sql: "SELECT id FROM server WHERE name = ?", arguments: [e.server]) else {
            throw StoreError.notFound(kind: "server", name: e.server)
        }
        try db.execute(sql: "INSERT INTO project (name) VALUES (?) ON CONFLICT(name) DO NOTHING", arguments: [e.project])
        let projectID = try Int64.fetchOne(db, sql: "SELECT id FROM project WHERE name = ?", arguments: [e.project])
        let addons = String(decoding: try JSONEncoder().encode(e.addons), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO environment (name, project_id, type, server_id, db_name, pg_host, pg_port, pg_user,
                                     pg_password_env, filestore, addons, url, branch, protected, service_stop, service_start, filestore_owner, odoo_conf)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET project_id = excluded.project_id, type = excluded.type,
                server_id = excluded.server_id, db_name = excluded.db_name, pg_host = excluded.pg_host,
                pg_port = excluded.pg_port, pg_user = excluded.pg_user, pg_password_env = excluded.pg_password_env,
                filestore = excluded.filestore, addons = excluded.addons, url = excluded.url,
                branch = excluded.branch, protected = excluded.protected, service_stop = excluded.service_stop,
                service_start = excluded.service_start, filestore_owner = excluded.filestore_owner, odoo_conf = excluded.odoo_conf
            """, arguments: [e.name, projectID, e.type.rawValue, serverID, e.dbName, e.postgres.host, e.postgres.port,
                             e.postgres.user, e.pgPasswordEnv, e.filestore, addons, e.url, e.branch, e.isProtected,
                             try e.serviceStop.map(json), try e.serviceStart.map(json), e.filestoreOwner, e.odooConf])
    }

    private static func json(_ argv: [String]) throws -> String { String(decoding: try JSONEncoder().encode(argv), as: UTF8.self) }

    private static func vector(_ text: String?) -> [String]? {
        text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    static let environmentSelect = """
        SELECT e.*, p.name AS project_name, s.name AS server_name
        FROM environment e JOIN project p ON p.id = e.project_id JOIN server s ON s.id = e.server_id
        """

    static func environment(from row: Row) -> Environment {
        let addonsJSON: String = row["addons"]
        let addons = (try? JSONDecoder().decode([String].self, from: Data(addonsJSON.utf8))) ?? []
        return Environment(id: row["id"], name: row["name"], project: row["project_name"],
                           type: EnvironmentType(rawValue: row["type"]) ?? .development, server: row["server_name"],
                           dbName: row["db_name"],
                           postgres: PostgresSettings(host: row["pg_host"], port: row["pg_port"], user: row["pg_user"]),
                           pgPasswordEnv: row["pg_password_env"], filestore: row["filestore"], addons: addons,
                           url: row["url"], branch: row["branch"], isProtected: row["protected"],
                           serviceStop: vector(row["service_stop"]), serviceStart: vector(row["service_start"]),
                           filestoreOwner: row["filestore_owner"], odooConf: row["odoo_conf"])
    }

    static func upsertStorage(_ db: Database, _ t: StorageTarget) throws {
        if t.isDefault { try db.execute(sql: "UPDATE storage_target SET is_default = 0 WHERE name <> ?", arguments: [t.name]) }
        let location = String(decoding: try JSONEncoder().encode(t.location), as: UTF8.self)
        let encryption = try t.encryption.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try db.execute(sql: """
            INSERT INTO storage_target (name, kind, location, is_default, encryption) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, location = excluded.location, is_default = excluded.is_default,
                encryption = excluded.encryption
            """, arguments: [t.name, t.location.kind, location, t.isDefault, encryption])
    }

    static func storage(from row: Row) -> StorageTarget {
        let json: String = row["location"]
        let location = (try? JSONDecoder().decode(StorageLocation.self, from: Data(json.utf8))) ?? .directory(path: "?")
        let encryption = String.fromDatabaseValue(row["encryption"] as DatabaseValue).flatMap { try? JSONDecoder().decode(EncryptionKeyRef.self, from: Data($0.utf8)) }
        return StorageTarget(id: row["id"], name: row["name"], location: location, isDefault: row["is_default"], encryption: encryption)
    }
}
