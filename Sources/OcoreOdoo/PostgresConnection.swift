import Foundation
import OcoreModel
import OcoreRemote

/// How to reach one database from the server the commands run on.
public struct PostgresConnection: Sendable, Equatable {
    public var host: String?
    public var port: Int
    public var user: String
    public var database: String
    /// Name of a variable in ocore's own environment holding the password (never the password).
    public var passwordEnv: String?

    public init(host: String?, port: Int, user: String, database: String, passwordEnv: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.passwordEnv = passwordEnv
    }

    public init(_ env: ResolvedEnvironment) {
        self.init(host: env.postgres.host, port: env.postgres.port ?? 5432, user: env.postgres.user ?? "odoo",
                  database: env.environment.dbName, passwordEnv: env.environment.pgPasswordEnv)
    }

    /// A server's maintenance database, as its administrator (its PostgreSQL settings, else the
    /// built-in defaults): where databases are created, renamed and dropped.
    public static func maintenance(of server: Server) -> PostgresConnection {
        let pg = server.postgres.applying(defaults: .builtInDefaults)
        return PostgresConnection(host: pg.host, port: pg.port ?? 5432, user: pg.user ?? "odoo", database: "postgres")
    }

    /// The same server and role, another database.
    public func database(_ name: String) -> PostgresConnection {
        var copy = self
        copy.database = name
        return copy
    }

    /// libpq connection flags for client programs (psql, pg_dump, pg_restore, createdb…).
    public var clientArguments: [String] {
        var args: [String] = []
        if let host { args += ["-h", host] }
        args += ["-p", String(port), "-U", user]
        return args
    }

    /// The password travels in PGPASSWORD, read from ocore's environment at run time.
    public var clientEnvironment: [String: String] {
        var env = ["PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "ocore"]
        if let name = passwordEnv, let value = ProcessInfo.processInfo.environment[name] { env["PGPASSWORD"] = value }
        return env
    }
}

/// SQL text helpers. Identifiers and literals are always quoted, whatever their content.
public enum SQL {
    public static func identifier(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    public static func literal(_ value: String) -> String {
        "'" + value.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    /// Turns JIT compilation off for the rest of the current transaction (PostgreSQL 11 and
    /// later; older servers have none). A scan with a hundred aggregates over a sample is costed
    /// high enough to be compiled: on the large demo LLVM spent 4.7 s on a read that runs in
    /// 0.17 s. Must run inside `BEGIN … COMMIT`.
    public static let jitOffInTransaction = """
        DO $$ BEGIN IF current_setting('server_version_num')::int >= 110000 THEN PERFORM set_config('jit', 'off', true); END IF; END $$;
        """
}

extension PostgresConnection {
    /// The client environment for a `pg_restore -j jobs` that builds indexes: each session gets
    /// a larger `maintenance_work_mem` (sorts in memory; measured 17 % faster index builds on the
    /// large demo), sized from the server's available memory: a quarter of it shared by the jobs,
    /// between PostgreSQL's 64 MB default and 1 GB each.
    public func indexBuildEnvironment(on executor: any Executor, jobs: Int) -> [String: String] {
        var env = clientEnvironment
        guard let available = try? RemoteFileSystem(executor).memory().available, available > 0 else { return env }
        let perJob = min(max((available / 4 / Int64(max(jobs, 1))) >> 20, 64), 1024)
        env["PGOPTIONS"] = "-c maintenance_work_mem=\(perJob)MB"
        return env
    }
}
