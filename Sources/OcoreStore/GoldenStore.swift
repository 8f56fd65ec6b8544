import Foundation
import GRDB
import OcoreModel

/// Golden copies and their schedules.
extension SQLiteStateStore {
    /// Records a golden copy (a refresh replaces the record of the one it replaced).
    public func saveGoldenCopy(_ golden: GoldenCopy) throws {
        let document = String(decoding: try Self.goldenEncoder.encode(golden), as: UTF8.self)
        try write { db in
            try db.execute(sql: """
                INSERT INTO golden_copy (source, server, document) VALUES (?, ?, ?)
                ON CONFLICT(source, server) DO UPDATE SET document = excluded.document
                """, arguments: [golden.source, golden.server, document])
        }
    }

    /// Every golden copy, by source then server.
    public func goldenCopies(of source: String? = nil) throws -> [GoldenCopy] {
        try pool.read { db in
            let rows = try source.map { try String.fetchAll(db, sql: "SELECT document FROM golden_copy WHERE source = ? ORDER BY server", arguments: [$0]) }
                ?? String.fetchAll(db, sql: "SELECT document FROM golden_copy ORDER BY source, server")
            return try rows.map { try Self.goldenDecoder.decode(GoldenCopy.self, from: Data($0.utf8)) }
        }
    }

    public func goldenCopy(of source: String, on server: String) throws -> GoldenCopy? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT document FROM golden_copy WHERE source = ? AND server = ?", arguments: [source, server])
                .map { try Self.goldenDecoder.decode(GoldenCopy.self, from: Data($0.utf8)) }
        }
    }

    public func removeGoldenCopy(of source: String, on server: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM golden_copy WHERE source = ? AND server = ?", arguments: [source, server])
            guard db.changesCount > 0 else { throw StoreError.notFound(kind: "golden copy", name: "\(source) on \(server)") }
        }
    }

    // MARK: Schedules

    public func setGoldenSchedule(_ s: GoldenSchedule) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO golden_schedule (source, server, at, preset, last_run_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(source, server) DO UPDATE SET at = excluded.at, preset = excluded.preset
                """, arguments: [s.source, s.server, s.at, s.preset.rawValue, s.lastRunAt.map(Self.iso)])
        }
    }

    public func goldenSchedules() throws -> [GoldenSchedule] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM golden_schedule ORDER BY source, server").map { row in
                GoldenSchedule(source: row["source"], server: row["server"], at: row["at"],
                               preset: SanitizationCatalog.Preset(rawValue: row["preset"]) ?? .recommended, lastRunAt: Self.date(row["last_run_at"]))
            }
        }
    }

    public func removeGoldenSchedule(of source: String, on server: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM golden_schedule WHERE source = ? AND server = ?", arguments: [source, server])
            guard db.changesCount > 0 else { throw StoreError.notFound(kind: "golden copy schedule", name: "\(source) on \(server)") }
        }
    }

    public func markGoldenScheduleRun(source: String, server: String, at date: Date) throws {
        try write { db in
            try db.execute(sql: "UPDATE golden_schedule SET last_run_at = ? WHERE source = ? AND server = ?", arguments: [Self.iso(date), source, server])
        }
    }

    private static var goldenEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    private static var goldenDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
