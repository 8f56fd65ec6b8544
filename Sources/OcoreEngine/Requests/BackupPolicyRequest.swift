import Foundation
import OcoreModel
import OcoreStore

/// An environment's backup schedule and its GFS retention, as `ocore policy set` describes it:
/// a daily time, the weekday whose backup becomes the weekly, how long each tier is kept, and
/// an optional weekly restore test.
public struct BackupPolicyRequest: Sendable, Equatable {
    public var environment: String
    /// Local time of day, "HH:MM".
    public var at: String
    public var weeklyWeekday = "sun"
    public var daily = 7, weekly = 4, monthly = 12, yearly = 2
    public var storage: String?
    public var includeFilestore = true
    /// A weekday name (sun…sat) for the weekly restore test; nil for none.
    public var restoreTest: String?
    /// A frequent schedule: "6h", "1h" or "hourly" (hours between backups from `at` on); nil
    /// for once a day.
    public var every: String?
    /// Hours the backups between the day's first are kept (a frequent schedule only).
    public var hourly = 48
    /// A second storage each completed backup is copied to and checked on (3-2-1).
    public var copyTo: String?
    /// nil: the schedule's format so far, incremental for a new one.
    public var format: BackupFormat?

    public init(environment: String, at: String) {
        self.environment = environment
        self.at = at
    }

    /// Checks every value and stores the schedule; returns it.
    @discardableResult
    public func save(store: SQLiteStateStore, by who: Requester) throws -> BackupPolicyRecord {
        let testDay = try restoreTest.map { name in
            guard let day = RetentionPolicy.weekday(named: name) else { throw RequestRefusal("--restore-test takes sun, mon, tue, wed, thu, fri or sat") }
            return day
        }
        guard BackupScheduler.latestSlot(at: at, before: Date()) != nil else { throw RequestRefusal("--at takes a time of day as HH:MM (e.g. 02:30)") }
        guard let day = RetentionPolicy.weekday(named: weeklyWeekday) else { throw RequestRefusal("--weekday takes sun, mon, tue, wed, thu, fri or sat") }
        let everyHours = try every.map(Self.interval(parsing:))
        let retention = RetentionPolicy(dailyDays: daily, weeklyWeeks: weekly, monthlyMonths: monthly, yearlyYears: yearly, weeklyWeekday: day,
                                        hourlyHours: everyHours == nil ? nil : hourly)
        try retention.validate()
        _ = try store.environment(named: environment)
        if let storage { _ = try store.storage(named: storage) }
        if let copyTo { try Self.checkCopyTarget(copyTo, primary: storage, store: store) }
        // Changing a switched-off schedule leaves it off: `policy enable` is what turns it on.
        let existing = try store.backupPolicy(environment: environment)
        let enabled = existing?.enabled ?? true
        let policy = BackupPolicyRecord(environment: environment, at: at, retention: retention, storage: storage, includeFilestore: includeFilestore,
                                        restoreTestWeekday: testDay, everyHours: everyHours, enabled: enabled, copyTo: copyTo,
                                        format: format ?? existing?.format ?? .incremental)
        try store.setBackupPolicy(policy)
        try store.audit(user: who.user, from: who.from, action: "policy.set", environment: environment,
                        detail: "\(policy.cadence); " + (everyHours == nil ? "" : "\(hourly)h ") + "\(daily)d \(weekly)w \(monthly)m \(yearly)y"
                            + (restoreTest.map { "; restore test \($0)" } ?? ""))
        return policy
    }

    /// A second copy goes to another storage, and one a backup's own key opens: the copy is the
    /// same bytes, so an encrypted backup's copy needs the same key reference.
    static func checkCopyTarget(_ name: String, primary: String?, store: SQLiteStateStore) throws {
        let copy = try store.storage(named: name)
        guard let primaryName = try primary ?? SafetyBackup.defaultStorage(store) else {
            throw RequestRefusal("--copy-to needs a storage for the backups themselves first (--storage, or a default storage)")
        }
        guard primaryName != name else { throw RequestRefusal("--copy-to \(name) is where the backups go already: a second copy needs another storage") }
        let first = try store.storage(named: primaryName)
        guard first.encryption == copy.encryption else {
            throw RequestRefusal("--copy-to \(name): its encryption differs from \(primaryName)'s, and a copy is the same bytes; give both the same key (or neither)")
        }
    }

    /// "6h", "6", "hourly" → 6 / 1; an interval that does not divide the day is refused, so
    /// every day has the same slots.
    public static func interval(parsing text: String) throws -> Int {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces)
        let hours = t == "hourly" ? 1 : Int(t.hasSuffix("h") ? String(t.dropLast()) : t)
        guard let hours, BackupPolicyRecord.intervals.contains(hours) else {
            throw RequestRefusal("--every takes hours that divide the day: " + BackupPolicyRecord.intervals.map { "\($0)h" }.joined(separator: ", ")
                                 + " (or hourly)")
        }
        return hours
    }
}

/// Switches an environment's backup schedule off (`ocore policy disable`) or on again: its
/// settings and its retention stay; a switched-off schedule starts no backup or restore test.
public struct BackupPolicySwitch: Sendable, Equatable {
    public var environment: String
    public var enabled: Bool

    public init(environment: String, enabled: Bool) {
        self.environment = environment
        self.enabled = enabled
    }

    public func apply(store: SQLiteStateStore, by who: Requester) throws {
        _ = try store.environment(named: environment)
        guard try store.setBackupPolicyEnabled(environment: environment, enabled) else {
            throw RequestRefusal("\(environment) has no backup schedule (`ocore policy set \(environment) --at HH:MM`)")
        }
        try store.audit(user: who.user, from: who.from, action: enabled ? "policy.enable" : "policy.disable", environment: environment, detail: nil)
    }
}

/// Forgets an environment's backup schedule (`ocore policy rm`). Its backups keep the expiry
/// they were given; later sweeps use the default retention.
public struct BackupPolicyRemoval: Sendable, Equatable {
    public var environment: String

    public init(environment: String) { self.environment = environment }

    public func apply(store: SQLiteStateStore, by who: Requester) throws {
        _ = try store.environment(named: environment)
        guard try store.removeBackupPolicy(environment: environment) else { throw RequestRefusal("\(environment) has no backup schedule") }
        try store.audit(user: who.user, from: who.from, action: "policy.rm", environment: environment, detail: nil)
    }
}
