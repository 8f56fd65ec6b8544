import Crypto
import _CryptoExtras
import Foundation
import OcoreModel
import OcoreRemote

/// Odoo's password hash: passlib's `pbkdf2_sha512` format, `$pbkdf2-sha512$ROUNDS$SALT$HASH` with
/// passlib's base64 alphabet ('.' for '+', no padding).
public enum OdooPassword {
    public static func hash(_ password: String, rounds: Int = 600_000, salt: [UInt8]? = nil) throws -> String {
        var saltBytes = salt ?? []
        if saltBytes.isEmpty { saltBytes = (0..<16).map { _ in UInt8.random(in: 0...255) } }
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: saltBytes, using: .sha512, outputByteCount: 64,
                                                    unsafeUncheckedRounds: rounds)
        let digest = key.withUnsafeBytes { Data($0) }
        return "$pbkdf2-sha512$\(rounds)$\(ab64(Data(saltBytes)))$\(ab64(digest))"
    }

    static func ab64(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: ".").replacingOccurrences(of: "=", with: "")
    }
}

/// What makes a copy a different database from its source, and Odoo's own neutralization.
public struct OdooTarget: Sendable {
    public let psql: PSQL

    public init(psql: PSQL) {
        self.psql = psql
    }

    /// New `database.uuid` and `database.secret`, no enterprise code, a fresh create date, and
    /// (unless `markNeutralized` is false) `database.is_neutralized` set — as Odoo's own duplicate
    /// and click-odoo do for a copy.
    public func resetIdentity(markNeutralized: Bool) throws {
        try psql.execute("BEGIN;\n" + Self.identityStatements(markNeutralized: markNeutralized) + "COMMIT;\n")
    }

    /// ``resetIdentity(markNeutralized:)``'s statements (a sanitized backup's `dump.sql` ends with them).
    public static func identityStatements(markNeutralized: Bool) -> String {
        var sql = """
            UPDATE ir_config_parameter SET value = gen_random_uuid()::text WHERE key = 'database.uuid';
            UPDATE ir_config_parameter SET value = gen_random_uuid()::text WHERE key = 'database.secret';
            UPDATE ir_config_parameter SET value = to_char(now(), 'YYYY-MM-DD HH24:MI:SS') WHERE key = 'database.create_date';
            DELETE FROM ir_config_parameter WHERE key = 'database.enterprise_code';

            """
        if markNeutralized {
            sql += """
                INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES ('database.is_neutralized', 'true', now(), now())
                    ON CONFLICT (key) DO UPDATE SET value = 'true';

                """
        }
        return sql
    }

    /// Makes `url` this copy's base URL and freezes it, so Odoo does not put back the URL of
    /// whoever logs in first as an administrator.
    public func setBaseURL(_ url: String) throws {
        try psql.execute("""
            BEGIN;
            INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES ('web.base.url', \(SQL.literal(url)), now(), now())
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = now();
            INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES ('web.base.url.freeze', 'True', now(), now())
                ON CONFLICT (key) DO UPDATE SET value = 'True', write_date = now();
            COMMIT;

            """)
    }

    /// The base URL the database holds (a copy's is still its source's until it is set).
    public func baseURL() throws -> String? {
        try psql.scalar("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'").flatMap { $0.isEmpty ? nil : $0 }
    }

    public typealias ModuleResult = NeutralizationResult

    /// Runs, for every installed module, the `data/neutralize.sql` found in the addons paths on
    /// the target's server — each module in its own transaction, so one broken file does not
    /// leave the whole database un-neutralized (Odoo runs them all in one). `only` limits it
    /// (Minimal runs base's part only).
    public func neutralize(addonsPaths: [String], only: Set<String>? = nil) throws -> [ModuleResult] {
        var results: [ModuleResult] = []
        for (module, text) in try neutralizeScripts(addonsPaths: addonsPaths, only: only) {
            do {
                try psql.execute("BEGIN;\n" + text + "\nCOMMIT;\n")
                results.append(ModuleResult(module: module, status: "applied", reason: nil))
            } catch {
                results.append(ModuleResult(module: module, status: "failed", reason: "\(error)"))
            }
        }
        return results
    }

    /// The `data/neutralize.sql` of every module installed in this database, found in the addons
    /// paths on its server, in module order.
    public func neutralizeScripts(addonsPaths: [String], only: Set<String>? = nil) throws -> [(module: String, sql: String)] {
        let modules = try psql.query("SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name").map { $0[0] }
        // One listing of every neutralize.sql in the addons paths (not one probe per module and path).
        var present: Set<String> = []
        let addonsPaths = addonsPaths.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if !addonsPaths.isEmpty {
            let listing = try psql.executor.run(Command(["find"] + addonsPaths + ["-mindepth", "3", "-maxdepth", "3", "-path", "*/data/neutralize.sql"]))
            present = Set(listing.stdoutText.split(separator: "\n").map(String.init))
        }
        var scripts: [(module: String, sql: String)] = []
        for module in modules where only?.contains(module) ?? true {
            for path in addonsPaths where present.contains("\(path)/\(module)/data/neutralize.sql") {
                let result = try psql.executor.run(Command(["cat", "--", "\(path)/\(module)/data/neutralize.sql"]))
                if result.succeeded { scripts.append((module, result.stdoutText)); break }
            }
        }
        return scripts
    }
}
