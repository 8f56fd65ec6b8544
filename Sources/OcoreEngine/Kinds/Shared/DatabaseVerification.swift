import OcoreOdoo
import OcoreRemote

/// The checks that end a clone and a restore: Odoo's key tables are there, and every attachment
/// the database names has its file in the filestore.
enum DatabaseVerification {
    /// Fails unless `res_users` and `ir_module_module` exist; returns the values of `counts`
    /// (scalar subqueries) in order.
    static func keyTables(_ psql: PSQL, database: String, counts: [String]) throws -> [String] {
        let row = try psql.query("SELECT to_regclass('res_users') IS NOT NULL AND to_regclass('ir_module_module') IS NOT NULL"
                                 + counts.map { ", (\($0))" }.joined()).first ?? []
        guard row.first == "t" else { throw StepFailure.check("verification", "key tables missing in \(database)") }
        return Array(row.dropFirst())
    }

    /// How many distinct attachment files the database names, and how many of them are not in `filestore`.
    static func attachmentFiles(_ psql: PSQL, filestore: String, on executor: any Executor) throws -> (attachments: Int, missing: Int) {
        let names = Set(try psql.query("SELECT DISTINCT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL").map { $0[0] })
        let listing = try executor.run(Command(["find", filestore, "-type", "f", "-printf", "%P\\n"]), outputLimit: 256 << 20)
        let files = Set(listing.stdoutText.split(separator: "\n").map(String.init))
        return (names.count, names.subtracting(files).count)
    }
}
