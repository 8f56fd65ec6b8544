import Foundation
import OcoreRemote

/// The role a restore loads a dump as, and works in the restored database as, until the end:
/// never a superuser, so the dump's SQL (and any trigger or function it brings) cannot run
/// commands on the server (`COPY … PROGRAM`), read its files, create roles or change settings.
///
/// When the environment's own role has no superuser rights it is that role. When it is a
/// superuser, ocore makes a temporary login role (`ocore_load_<job>`, no rights beyond owning the
/// new database, a random password held only in memory) and hands the database to its final
/// owner once the restore is verified.
public struct LoadRole: Sendable {
    /// The role that logs in for the load.
    public let name: String
    /// Only for a temporary role: its one-off password, in memory only.
    let password: String?
    public var isTemporary: Bool { password != nil }

    /// A job's temporary role: its job and a random part, unique across the state homes that
    /// share a server (job numbers are per home). The job records it before creating it.
    public static func temporaryName(job: Int64) -> String {
        "ocore_load_\(job)_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    /// The environment's role when it is not a superuser, otherwise a new temporary role.
    public static func choose(admin: PSQL, job: Int64) throws -> LoadRole {
        let superuser = try admin.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t"
        guard superuser else { return LoadRole(name: admin.connection.user, password: nil) }
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return LoadRole(name: temporaryName(job: job), password: bytes.map { String(format: "%02x", $0) }.joined())
    }

    /// Creates the temporary role (nothing for the environment's own role). It inherits, or it
    /// would not get the rights of `pg_database_owner` (the owner of schema `public`).
    public func create(admin: PSQL) throws {
        guard let password else { return }
        try admin.execute("""
            DROP ROLE IF EXISTS \(SQL.identifier(name));
            CREATE ROLE \(SQL.identifier(name)) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
                CONNECTION LIMIT 16 PASSWORD \(SQL.literal(password));
            """)
    }

    /// How the load connects: the environment's server and database, as this role.
    public func connection(_ base: PostgresConnection) -> PostgresConnection {
        guard isTemporary else { return base }
        var c = base
        c.user = name
        c.passwordEnv = nil
        return c
    }

    /// The client environment for `connection(_:)`: the one-off password, never written anywhere.
    public func clientEnvironment(_ base: PostgresConnection) -> [String: String] {
        var env = connection(base).clientEnvironment
        if let password { env["PGPASSWORD"] = password }
        return env
    }

    /// psql in the restored database as this role.
    public func psql(executor: any Executor, base: PostgresConnection) -> PSQL {
        PSQL(executor: executor, connection: connection(base), environment: clientEnvironment(base))
    }

    /// Checks the role can log in to the server as the load will (pg_hba.conf may not let it):
    /// refused here, before anything is touched, with what to change.
    public func checkLogin(admin: PSQL) throws {
        guard isTemporary else { return }
        try create(admin: admin)
        defer { try? Self.remove(name: name, admin: admin) }
        do { _ = try psql(executor: admin.executor, base: admin.connection).scalar("SELECT 1") } catch {
            throw LoadRoleError(message: "a restore loads the dump as a role without superuser rights; \(admin.connection.user) is a superuser, so ocore makes a temporary role, which could not log in (\(error)): allow password logins in pg_hba.conf, or give the environment a role without superuser rights (--pg-user) that owns its databases")
        }
    }

    /// Gives the database and everything in it to `owner` and removes the temporary role.
    public static func handOver(name: String, database: String, to owner: String, admin: PSQL) throws {
        guard name != owner else { return }
        let inDatabase = PSQL(executor: admin.executor, connection: admin.connection.database(database))
        if try admin.scalar("SELECT 1 FROM pg_roles WHERE rolname = \(SQL.literal(name))") == "1",
           try admin.scalar("SELECT 1 FROM pg_database WHERE datname = \(SQL.literal(database))") == "1" {
            try inDatabase.execute("REASSIGN OWNED BY \(SQL.identifier(name)) TO \(SQL.identifier(owner)); DROP OWNED BY \(SQL.identifier(name));")
        }
        try remove(name: name, admin: admin)
    }

    /// Drops a temporary role that owns nothing any more.
    public static func remove(name: String, admin: PSQL) throws {
        try admin.execute("DROP ROLE IF EXISTS \(SQL.identifier(name));")
    }
}

public struct LoadRoleError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
