import Foundation

/// What a backup's manifest records about the database it came from, read in one query.
public struct OdooSnapshot: Sendable, Equatable {
    /// Odoo's series ("17.0"), from `base`'s installed version ("17.0.1.3").
    public var version: String?
    public var pgVersion: String
    public var modules: [String: String]
    public var neutralized: Bool
    public var databaseSize: Int64

    public static func read(_ psql: PSQL) throws -> OdooSnapshot {
        let rows = try psql.query("""
            SELECT 'pg', current_setting('server_version_num'), ''
            UNION ALL SELECT 'size', pg_database_size(current_database())::text, ''
            UNION ALL SELECT 'odoo', (to_regclass('ir_module_module') IS NOT NULL AND to_regclass('ir_config_parameter') IS NOT NULL)::text, ''
            """)
        // A database that is not (yet) Odoo's still has a version and a size: it can be backed up.
        let isOdoo = rows.contains { $0.count == 3 && $0[0] == "odoo" && $0[1] == "true" }
        let odooRows = isOdoo ? try psql.query("""
            SELECT 'm', name, coalesce(latest_version, '') FROM ir_module_module WHERE state = 'installed'
            UNION ALL SELECT 'n', coalesce((SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'), ''), ''
            """) : []
        var modules: [String: String] = [:]
        var snapshot = OdooSnapshot(version: nil, pgVersion: "", modules: [:], neutralized: false, databaseSize: 0)
        for row in rows + odooRows where row.count == 3 {
            switch row[0] {
            case "m": modules[row[1]] = row[2]
            case "pg": if let n = Int(row[1]) { snapshot.pgVersion = n >= 100_000 ? "\(n / 10_000).\(n % 10_000)" : "\(n / 10_000).\(n / 100 % 100)" }
            case "size": snapshot.databaseSize = Int64(row[1]) ?? 0
            case "n": snapshot.neutralized = ["true", "1", "t"].contains(row[1].lowercased())
            default: break
            }
        }
        snapshot.modules = modules
        snapshot.version = modules["base"].map { $0.split(separator: ".").prefix(2).joined(separator: ".") }
        return snapshot
    }

    /// The PostgreSQL major version (15 for "15.4").
    public var pgMajor: Int? { Int(pgVersion.split(separator: ".").first ?? "") }
}
