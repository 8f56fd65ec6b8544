import Foundation
import GRDB
import OcoreModel

extension SQLiteStateStore {
    public func setRefreshSchedule(_ r: RefreshSchedule) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO refresh_schedule (target, source, weekday, at, preset, keep_users, last_run_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(target) DO UPDATE SET source = excluded.source, weekday = excluded.weekday, at = excluded.at, preset = excluded.preset,
                    keep_users = excluded.keep_users
                """, arguments: [r.target, r.source, r.weekday, r.at, r.preset.rawValue, r.keepUsers.joined(separator: ","), r.lastRunAt.map(Self.iso)])
        }
    }

    public func refreshSchedules() throws -> [RefreshSchedule] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM refresh_schedule ORDER BY target").map(Self.refresh(from:)) }
    }

    public func refreshSchedule(target: String) throws -> RefreshSchedule? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM refresh_schedule WHERE target = ?", arguments: [target]).map(Self.refresh(from:)) }
    }

    public func removeRefreshSchedule(target: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM refresh_schedule WHERE target = ?", arguments: [target])
            guard db.changesCount > 0 else { throw StoreError.notFound(kind: "refresh schedule", name: target) }
        }
    }

    public func markRefreshRun(target: String, at date: Date) throws {
        try write { db in try db.execute(sql: "UPDATE refresh_schedule SET last_run_at = ? WHERE target = ?", arguments: [Self.iso(date), target]) }
    }

    static func refresh(from row: Row) -> RefreshSchedule {
        var schedule = RefreshSchedule(target: row["target"], source: row["source"], weekday: row["weekday"], at: row["at"],
                                       preset: SanitizationCatalog.Preset(rawValue: row["preset"]) ?? .recommended)
        schedule.keepUsers = ((row["keep_users"] as String?) ?? "").split(separator: ",").map(String.init)
        schedule.lastRunAt = date(row["last_run_at"])
        return schedule
    }
}
