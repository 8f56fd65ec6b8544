import Foundation
import OcoreModel
import OcoreRemote

/// Looks at an environment as it is now: database reachable and its size, Odoo version and
/// neutralization flag, filestore size, and (when it has a URL) the HTTP answer. Read-only.
public struct EnvironmentProbe: Sendable {
    public let environment: ResolvedEnvironment
    public let executor: any Executor
    /// Fetches the URL and returns the HTTP status (injected: the HTTP client lives with storage).
    public let httpCheck: (@Sendable (String) throws -> Int)?

    public init(environment: ResolvedEnvironment, executor: any Executor, httpCheck: (@Sendable (String) throws -> Int)?) {
        self.environment = environment
        self.executor = executor
        self.httpCheck = httpCheck
    }

    public func run(now: Double) -> EnvironmentStatus {
        var status = EnvironmentStatus(checkedAt: now)
        let psql = PSQL(executor: executor, connection: PostgresConnection(environment))
        do {
            let row = try psql.query("""
                SELECT pg_database_size(current_database()),
                       (SELECT latest_version FROM ir_module_module WHERE name = 'base' AND to_regclass('ir_module_module') IS NOT NULL),
                       (SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized')
                """, timeout: .seconds(20)).first ?? []
            status.reachability = .reachable
            status.databaseSize = row.first.flatMap { Int64($0) }
            status.odooVersion = row.count > 1 && !row[1].isEmpty ? row[1] : nil
            status.neutralized = row.count > 2 ? ["true", "True", "1"].contains(row[2]) : false
        } catch {
            status.reachability = .unreachable(Self.shortReason(error))
        }
        status.filestoreSize = try? RemoteFileSystem(executor).treeSize(environment.filestore)
        if let url = environment.environment.url, let httpCheck {
            do { status.httpStatus = try httpCheck(url) } catch { status.httpError = Self.shortReason(error) }
        }
        return status
    }

    static func shortReason(_ error: Error) -> String {
        let text = "\(error)"
        for marker in ["error: ", "failed: "] {
            if let range = text.range(of: marker) { return String(text[range.upperBound...].prefix(120)) }
        }
        return String(text.prefix(120))
    }
}
