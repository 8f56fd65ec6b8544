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
                                     pg_password_env, filestore, addons, url, branch, protected, service_stop, service_start, filestore_owner, odoo_conf, strict_sanitization)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET project_id = excluded.project_id, type = excluded.type,
                server_id = excluded.server_id, db_name = excluded.db_name, pg_host = excluded.pg_host,
                pg_port = excluded.pg_port, pg_user = excluded.pg_user, pg_password_env = excluded.pg_password_env,
                filestore = excluded.filestore, addons = excluded.addons, url = excluded.url,
                branch = excluded.branch, protected = excluded.protected, service_stop = excluded.service_stop,
                service_start = excluded.service_start, filestore_owner = excluded.filestore_owner, odoo_conf = excluded.odoo_conf,
                strict_sanitization = excluded.strict_sanitization
            """, arguments: [e.name, projectID, e.type.rawValue, serverID, e.dbName, e.postgres.host, e.postgres.port,
                             e.postgres.user, e.pgPasswordEnv, e.filestore, addons, e.url, e.branch, e.isProtected,
                             try e.serviceStop.map(json), try e.serviceStart.map(json), e.filestoreOwner, e.odooConf, e.strictSanitization])
    }

    private static func json(_ argv: [String]) throws -> String { String(decoding: try JSONEncoder().encode(argv), as: UTF8.self) }

    private static func vector(_ text: String?) -> [String]? {
        text.map(stringArray)
    }

    /// A JSON array of strings ocore wrote (addons, a command, a job's locks): none or one is
    /// read without a decoder, which is most of them, a thousand times per screen.
    static func stringArray(_ json: String) -> [String] {
        if json == "[]" { return [] }
        if json.hasPrefix("[\""), json.hasSuffix("\"]"), !json.dropFirst(2).dropLast(2).contains(where: { $0 == "\"" || $0 == "\\" }) {
            return [String(json.dropFirst(2).dropLast(2))]
        }
        return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// The columns in the order ``environment(from:)`` reads them, by position: looking 20
    /// columns up by name over 1,000 environments was most of the dashboard's first read.
    static let environmentSelect = """
        SELECT e.id, e.name, p.name, e.type, s.name, e.db_name, e.pg_host, e.pg_port, e.pg_user, e.pg_password_env, e.filestore, e.addons,
               e.url, e.branch, e.protected, e.service_stop, e.service_start, e.filestore_owner, e.odoo_conf,
               e.strict_sanitization
        FROM environment e JOIN project p ON p.id = e.project_id JOIN server s ON s.id = e.server_id
        """

    static func environment(from row: Row) -> Environment {
        var e = Environment(id: row[0], name: row[1], project: row[2], type: EnvironmentType(rawValue: row[3]) ?? .development, server: row[4],
                    dbName: row[5], postgres: PostgresSettings(host: row[6], port: row[7], user: row[8]),
                    pgPasswordEnv: row[9], filestore: row[10], addons: stringArray(row[11]),
                    url: row[12], branch: row[13], isProtected: row[14],
                    serviceStop: vector(row[15]), serviceStart: vector(row[16]), filestoreOwner: row[17], odooConf: row[18])
        e.strictSanitization = row[19]
        return e
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
