import Foundation
import GRDB
import OcoreModel

public enum BackupStoreError: Error, CustomStringConvertible, Equatable {
    case noSuchBackup(String)

    public var description: String {
        switch self {
        case .noSuchBackup(let id): "no backup \(id) (see `ocore backup list`)"
        }
    }
}

/// The backups half of the state store: one row per backup attempt, kept after expiry for audit.
extension SQLiteStateStore {
    public func insertBackup(_ b: BackupRecord) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO backup (id, environment, project, storage, key, format, type, status, include_filestore, created_at, completed_at,
                                    size, sha256, tier, expires_at, pinned, verified_at, job_id, database_name, odoo_version, neutralized,
                                    restore_test, error, added_bytes, sanitized)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: Self.arguments(b))
        }
    }

    /// Replaces every column of an existing row.
    public func updateBackup(_ b: BackupRecord) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE backup SET environment = ?, project = ?, storage = ?, key = ?, format = ?, type = ?, status = ?, include_filestore = ?,
                    created_at = ?, completed_at = ?, size = ?, sha256 = ?, tier = ?, expires_at = ?, pinned = ?, verified_at = ?, job_id = ?,
                    database_name = ?, odoo_version = ?, neutralized = ?, restore_test = ?, error = ?, added_bytes = ?, sanitized = ?
                WHERE id = ?
                """, arguments: StatementArguments(Array(Self.argumentValues(b).dropFirst()) + [b.id]))
            guard db.changesCount == 1 else { throw BackupStoreError.noSuchBackup(b.id) }
        }
    }

    public func backup(_ id: String) throws -> BackupRecord {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.backupColumns) FROM backup WHERE id = ?", arguments: [id]) else { throw BackupStoreError.noSuchBackup(id) }
            return Self.backup(from: row)
        }
    }

    /// Backups, newest first; of one environment when given.
    public func backups(environment: String? = nil, includeGone: Bool = true, limit: Int = 10_000) throws -> [BackupRecord] {
        try pool.read { db in
            var sql = "SELECT \(Self.backupColumns) FROM backup"
            var clauses: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let environment { clauses.append("environment = ?"); args.append(environment) }
            if !includeGone { clauses.append("status NOT IN ('expired', 'deleted')") }
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.backup(from:))
        }
    }

    // MARK: Policies

    public func setBackupPolicy(_ p: BackupPolicyRecord) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO backup_policy (environment, at, weekday, daily, weekly, monthly, yearly, storage, include_filestore, restore_test_weekday,
                                           last_run_at, every_hours, hourly, enabled, copy_to, format)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(environment) DO UPDATE SET at = excluded.at, weekday = excluded.weekday, daily = excluded.daily, weekly = excluded.weekly,
                    monthly = excluded.monthly, yearly = excluded.yearly, storage = excluded.storage, include_filestore = excluded.include_filestore,
                    restore_test_weekday = excluded.restore_test_weekday, last_run_at = COALESCE(excluded.last_run_at, backup_policy.last_run_at),
                    every_hours = excluded.every_hours, hourly = excluded.hourly, enabled = excluded.enabled, copy_to = excluded.copy_to,
                    format = excluded.format
                """, arguments: [p.environment, p.at, p.retention.weeklyWeekday, p.retention.dailyDays, p.retention.weeklyWeeks,
                                 p.retention.monthlyMonths, p.retention.yearlyYears, p.storage, p.includeFilestore, p.restoreTestWeekday,
                                 p.lastRunAt.map(Self.iso), p.everyHours, p.retention.hourlyHours, p.enabled, p.copyTo, p.format.rawValue])
        }
    }

    /// Switches a schedule off or on; false when the environment has none.
    @discardableResult
    public func setBackupPolicyEnabled(environment: String, _ enabled: Bool) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE backup_policy SET enabled = ? WHERE environment = ?", arguments: [enabled, environment])
            return db.changesCount > 0
        }
    }

    /// Forgets a schedule; false when the environment had none. Its backups keep their expiry.
    @discardableResult
    public func removeBackupPolicy(environment: String) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM backup_policy WHERE environment = ?", arguments: [environment])
            return db.changesCount > 0
        }
    }

    public func backupPolicies() throws -> [BackupPolicyRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM backup_policy ORDER BY environment").map(Self.policy(from:)) }
    }

    public func backupPolicy(environment: String) throws -> BackupPolicyRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM backup_policy WHERE environment = ?", arguments: [environment]).map(Self.policy(from:))
        }
    }

    /// Records a copy of a backup on another storage (or its new state).
    public func saveBackupCopy(_ c: BackupCopy) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO backup_copy (backup_id, storage, status, created_at, verified_at, error) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(backup_id, storage) DO UPDATE SET status = excluded.status, verified_at = excluded.verified_at, error = excluded.error
                """, arguments: [c.backupID, c.storage, c.status.rawValue, Self.iso(c.createdAt), c.verifiedAt.map(Self.iso), c.error])
        }
    }

    /// The copies of one backup, of one environment's backups, or of every backup, oldest first.
    public func backupCopies(of backupID: String? = nil, environment: String? = nil) throws -> [BackupCopy] {
        try pool.read { db in
            var sql = "SELECT c.* FROM backup_copy c"
            var args: [any DatabaseValueConvertible] = []
            if let environment { sql += " JOIN backup b ON b.id = c.backup_id AND b.environment = ?"; args.append(environment) }
            if let backupID { sql += " WHERE c.backup_id = ?"; args.append(backupID) }
            return try Row.fetchAll(db, sql: sql + " ORDER BY c.created_at", arguments: StatementArguments(args)).map { row in
                BackupCopy(backupID: row["backup_id"], storage: row["storage"], status: BackupCopy.Status(rawValue: row["status"]) ?? .failed,
                           createdAt: Self.date(row["created_at"]) ?? Date(timeIntervalSince1970: 0), verifiedAt: Self.date(row["verified_at"]),
                           error: row["error"])
            }
        }
    }

    public func markPolicyRun(environment: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE backup_policy SET last_run_at = ? WHERE environment = ?", arguments: [Self.iso(date), environment])
        }
    }

    // MARK: Rows

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let fast = Timestamp.parse(text) { return fast }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    private static func argumentValues(_ b: BackupRecord) -> [(any DatabaseValueConvertible)?] {
        [b.id, b.environment, b.project, b.storage, b.key, b.format.rawValue, b.type.rawValue, b.status.rawValue, b.includeFilestore,
         iso(b.createdAt), b.completedAt.map(iso), b.size, b.sha256, b.tier.rawValue, b.expiresAt.map(iso), b.pinned, b.verifiedAt.map(iso),
         b.jobID, b.databaseName, b.odooVersion, b.neutralized, b.restoreTest, b.error, b.addedBytes, b.sanitized]
    }

    private static func arguments(_ b: BackupRecord) -> StatementArguments {
        StatementArguments(argumentValues(b))
    }

    /// The columns in the order ``backup(from:)`` reads them, by position (a history of 100,000
    /// backups is read without looking 25 names up per row).
    static let backupColumns = """
        id, environment, project, storage, key, format, type, status, include_filestore, created_at, completed_at, size, sha256, tier,
        expires_at, pinned, verified_at, job_id, database_name, odoo_version, neutralized, restore_test, error, added_bytes, sanitized
        """

    static func backup(from row: Row) -> BackupRecord {
        func text(_ i: Int) -> String? { String.fromDatabaseValue(row[i] as DatabaseValue) }
        func int(_ i: Int) -> Int64? { Int64.fromDatabaseValue(row[i] as DatabaseValue) }
        var record = BackupRecord(
            id: text(0) ?? "", environment: text(1) ?? "", project: text(2) ?? "", storage: text(3) ?? "",
            key: text(4) ?? "", format: BackupFormat(rawValue: text(5) ?? "") ?? .odooZip,
            type: BackupType(rawValue: text(6) ?? "") ?? .manual, status: BackupStatus(rawValue: text(7) ?? "") ?? .failed,
            includeFilestore: int(8) == 1, createdAt: date(text(9)) ?? Date(timeIntervalSince1970: 0),
            completedAt: date(text(10)), size: int(11), sha256: text(12),
            tier: RetentionTier(rawValue: text(13) ?? "") ?? .daily, expiresAt: date(text(14)), pinned: int(15) == 1,
            verifiedAt: date(text(16)), jobID: int(17), databaseName: text(18) ?? "",
            odooVersion: text(19), neutralized: int(20).map { $0 == 1 }, restoreTest: text(21), error: text(22))
        record.addedBytes = int(23)
        record.sanitized = text(24)
        return record
    }

    static func policy(from row: Row) -> BackupPolicyRecord {
        func int(_ column: String) -> Int? { Int.fromDatabaseValue(row[column] as DatabaseValue) }
        return BackupPolicyRecord(
            environment: String.fromDatabaseValue(row["environment"] as DatabaseValue) ?? "",
            at: String.fromDatabaseValue(row["at"] as DatabaseValue) ?? "02:00",
            retention: RetentionPolicy(dailyDays: int("daily") ?? 7, weeklyWeeks: int("weekly") ?? 4, monthlyMonths: int("monthly") ?? 12,
                                       yearlyYears: int("yearly") ?? 2, weeklyWeekday: int("weekday") ?? 1, hourlyHours: int("hourly")),
            storage: String.fromDatabaseValue(row["storage"] as DatabaseValue), includeFilestore: int("include_filestore") != 0,
            restoreTestWeekday: int("restore_test_weekday"), lastRunAt: date(String.fromDatabaseValue(row["last_run_at"] as DatabaseValue)),
            everyHours: int("every_hours"), enabled: int("enabled") ?? 1 != 0, copyTo: String.fromDatabaseValue(row["copy_to"] as DatabaseValue),
            // Schedules from before incremental backups keep making what they made.
            format: String.fromDatabaseValue(row["format"] as DatabaseValue).flatMap(BackupFormat.init(rawValue:)) ?? .odooZip)
    }
}
