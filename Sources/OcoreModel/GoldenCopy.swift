import Foundation

/// A sanitized copy of an environment kept on a server as a PostgreSQL template that accepts no
/// connections, its filestore beside it: sanitized once, then stamped out as new environments in
/// seconds (`CREATE DATABASE … TEMPLATE`, the filestore reflinked or hard-linked). Production
/// itself can never be a template (it always has sessions); this copy of it can.
public struct GoldenCopy: Sendable, Equatable, Codable {
    /// The environment it is a copy of.
    public var source: String
    /// The server it lives on (clones from it are made on that server).
    public var server: String
    public var database: String
    public var filestore: String?
    public var preset: SanitizationCatalog.Preset
    /// The options its sanitization applied (the preset as resolved then).
    public var options: [String]
    /// The proof's verdict when it was made: NEUTRALIZED, PARTIAL or NONE.
    public var verdict: String
    /// When the source was read: the data is production as of then.
    public var dataAsOf: Date
    /// The refresh job that made it.
    public var jobID: Int64
    public var databaseSize: Int64?
    public var filestoreSize: Int64?
    /// The source's installed modules and their versions when it was read: a clone from a copy
    /// whose source has changed schema since warns.
    public var moduleVersions: [String: String]
    /// Its database.uuid and database.secret: no clone of it may keep them.
    public var identity: [String]?

    public init(source: String, server: String, database: String, filestore: String?, preset: SanitizationCatalog.Preset, options: [String],
                verdict: String, dataAsOf: Date, jobID: Int64, databaseSize: Int64?, filestoreSize: Int64?, moduleVersions: [String: String]) {
        (self.source, self.server, self.database, self.filestore, self.preset, self.options) = (source, server, database, filestore, preset, options)
        (self.verdict, self.dataAsOf, self.jobID, self.databaseSize, self.filestoreSize) = (verdict, dataAsOf, jobID, databaseSize, filestoreSize)
        self.moduleVersions = moduleVersions
    }

    /// The template's database name for a source database: one golden copy per source and server.
    public static func databaseName(forSource database: String) -> String { "golden_" + database }

    /// Where a refresh builds the next golden copy before it takes the place of the current one.
    public static func buildName(forSource database: String) -> String { "golden_" + database + "_next" }

    /// A copy of a golden copy that a refresh on another server reads (a template accepts no
    /// connections, so pg_dump cannot read it), made beside it and dropped once read.
    public static func readerName(forGolden database: String) -> String { database + "_reader" }

    /// The name a job locks while it refreshes this copy (exclusive) or clones from it (shared).
    public static func lockName(source: String, server: String) -> String { "golden:\(source)@\(server)" }

    /// "production as of 02:00, sanitized with Recommended", for every face that offers a clone from it.
    public func summary(now: Date = Date()) -> String {
        "\(source) as of \(Self.asOf(dataAsOf, now: now)), sanitized with \(preset.rawValue.capitalized) (\(verdict))"
    }

    /// The modules whose version in the source differs from the copy's (added, removed or upgraded since).
    public func schemaChanges(comparedWith current: [String: String]) -> [String] {
        Set(moduleVersions.keys).union(current.keys).sorted().compactMap { name in
            let was = moduleVersions[name], now = current[name]
            guard was != now else { return nil }
            return "\(name) (\(was ?? "not installed") → \(now ?? "not installed"))"
        }
    }

    /// A time of today as HH:MM, an older one with its date.
    public static func asOf(_ date: Date, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = Calendar.current.isDate(date, inSameDayAs: now) ? "HH:mm" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// A golden copy refreshed every day at a time (`ocore golden schedule`), run by the daemon.
public struct GoldenSchedule: Sendable, Equatable {
    public var source: String
    public var server: String
    /// Local time of day, "HH:MM".
    public var at: String
    public var preset: SanitizationCatalog.Preset
    public var lastRunAt: Date?

    public init(source: String, server: String, at: String, preset: SanitizationCatalog.Preset, lastRunAt: Date? = nil) {
        (self.source, self.server, self.at, self.preset, self.lastRunAt) = (source, server, at, preset, lastRunAt)
    }
}
