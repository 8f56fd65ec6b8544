import Foundation
import GRDB
import OcoreModel

extension SQLiteStateStore {
    /// Records a restore as it starts (one per job; a retry of the job updates the same row).
    public func beginRestorePoint(_ r: RestorePointRecord) throws -> Int64 {
        try write { db in
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM restore_point WHERE job_id = ?", arguments: [r.jobID]) { return id }
            try db.execute(sql: """
                INSERT INTO restore_point (job_id, backup_id, source_file, environment, mode, status, requested_by, started_at)
                VALUES (?, ?, ?, ?, ?, 'running', ?, ?)
                """, arguments: [r.jobID, r.backupID, r.sourceFile, r.environment, r.mode.rawValue, r.requestedBy, Self.iso(r.startedAt)])
            return db.lastInsertedRowID
        }
    }

    public func updateRestorePoint(job: Int64, status: String? = nil, safetyBackupID: String? = nil, failedStep: String? = nil,
                                   error: String? = nil, targetState: String? = nil, ended: Bool = false) throws {
        try write { db in
            try db.execute(sql: """
                UPDATE restore_point SET status = COALESCE(?, status), safety_backup_id = COALESCE(?, safety_backup_id),
                    failed_step = COALESCE(?, failed_step), error = COALESCE(?, error), target_state = COALESCE(?, target_state),
                    ended_at = CASE WHEN ? THEN ? ELSE ended_at END
                WHERE job_id = ?
                """, arguments: [status, safetyBackupID, failedStep, error, targetState, ended, Self.iso(Date()), job])
        }
    }

    public func restorePoints(environment: String? = nil, limit: Int = 200) throws -> [RestorePointRecord] {
        try pool.read { db in
            let rows = try environment.map {
                try Row.fetchAll(db, sql: "SELECT * FROM restore_point WHERE environment = ? ORDER BY id DESC LIMIT ?", arguments: [$0, limit])
            } ?? Row.fetchAll(db, sql: "SELECT * FROM restore_point ORDER BY id DESC LIMIT ?", arguments: [limit])
            return rows.map { row in
                func text(_ c: String) -> String? { String.fromDatabaseValue(row[c] as DatabaseValue) }
                return RestorePointRecord(
                    id: Int64.fromDatabaseValue(row["id"] as DatabaseValue) ?? 0, jobID: Int64.fromDatabaseValue(row["job_id"] as DatabaseValue) ?? 0,
                    backupID: text("backup_id"), sourceFile: text("source_file"), environment: text("environment") ?? "",
                    mode: RestoreMode(rawValue: text("mode") ?? "") ?? .original, status: text("status") ?? "failed",
                    requestedBy: text("requested_by") ?? "", startedAt: Self.date(text("started_at")) ?? Date(timeIntervalSince1970: 0),
                    endedAt: Self.date(text("ended_at")), safetyBackupID: text("safety_backup_id"), failedStep: text("failed_step"),
                    error: text("error"), targetState: text("target_state"))
            }
        }
    }
}
