import Foundation

/// An environment's scheduled backups: a daily time (and, for a frequent schedule, every N
/// hours from it), the GFS tiers kept, where they go, and an optional weekly restore test
/// (`ocore policy set`, `P` in the dashboard). A disabled schedule keeps its settings and its
/// retention but runs nothing.
public struct BackupPolicyRecord: Sendable, Equatable {
    public var environment: String
    /// Local time of day, "HH:MM": the day's first backup.
    public var at: String
    /// Hours between backups from `at` on (1, 2, 3, 4, 6, 8 or 12, so every day has the same
    /// slots); nil for once a day.
    public var everyHours: Int?
    public var enabled: Bool
    /// A second storage each completed backup is copied to and checked on (3-2-1).
    public var copyTo: String?
    public var retention: RetentionPolicy
    public var storage: String?
    public var includeFilestore: Bool
    /// Weekday (1 = Sunday) of a weekly restore test of the newest backup, if any.
    public var restoreTestWeekday: Int?
    public var lastRunAt: Date?
    /// How its backups are laid out: incremental (the default for a new schedule: only what the
    /// storage lacks is sent) or an Odoo ZIP / folder each time.
    public var format: BackupFormat

    public init(environment: String, at: String, retention: RetentionPolicy = RetentionPolicy(), storage: String? = nil,
                includeFilestore: Bool = true, restoreTestWeekday: Int? = nil, lastRunAt: Date? = nil,
                everyHours: Int? = nil, enabled: Bool = true, copyTo: String? = nil, format: BackupFormat = .incremental) {
        self.copyTo = copyTo
        self.format = format
        self.environment = environment
        self.at = at
        self.everyHours = everyHours
        self.enabled = enabled
        self.retention = retention
        self.storage = storage
        self.includeFilestore = includeFilestore
        self.restoreTestWeekday = restoreTestWeekday
        self.lastRunAt = lastRunAt
    }
}

extension BackupPolicyRecord {
    /// The intervals a frequent schedule may take: each divides the day.
    public static let intervals = [1, 2, 3, 4, 6, 8, 12]

    /// How often it runs, in words: "daily at 02:00", "every 6h from 02:00".
    public var cadence: String {
        everyHours.map { "every \($0)h from \(at)" } ?? "daily at \(at)"
    }

    /// The schedule in one sentence, as `ocore policy set` and the dashboard confirm it.
    public var summary: String {
        let r = retention
        let weekday = RetentionPolicy.weekdays[max(0, min(6, r.weeklyWeekday - 1))]
        return "backed up \(cadence)" + (copyTo.map { ", copied to \($0)" } ?? "") + "; keep " + (r.hourlyHours.map { "the others \($0) hours, " } ?? "")
            + "\(r.dailyDays) days, \(r.weeklyWeeks) weeks (\(weekday)), \(r.monthlyMonths) months, \(r.yearlyYears) years"
            + (restoreTestWeekday.map { "; restore test every \(RetentionPolicy.weekdays[max(0, min(6, $0 - 1))])" } ?? "")
            + (enabled ? "" : " (switched off: `ocore policy enable \(environment)` turns it on)")
    }
}

/// Slots of a schedule in the operator's calendar (`calendar.timeZone`): when the scheduler runs
/// a backup and when the dashboard says the next one comes, from one rule.
public enum ScheduleSlot {
    /// The latest time of day `time` ("HH:MM") at or before `now`; nil for a malformed time.
    public static func latest(at time: String, before now: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        let parts = time.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2, (0..<24).contains(parts[0]), (0..<60).contains(parts[1]) else { return nil }
        guard let today = calendar.date(bySettingHour: parts[0], minute: parts[1], second: 0, of: now) else { return nil }
        return today <= now ? today : calendar.date(byAdding: .day, value: -1, to: today)
    }
}

extension BackupPolicyRecord {
    /// The latest slot at or before `now`: the daily time, or for a frequent schedule the latest
    /// of the slots every N hours from it, counted in elapsed hours so a DST change neither skips
    /// nor doubles one.
    public func latestSlot(before now: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        guard let daily = ScheduleSlot.latest(at: at, before: now, calendar: calendar) else { return nil }
        guard let every = everyHours, every > 0 else { return daily }
        let elapsed = Int(now.timeIntervalSince(daily) / 3600) / every * every
        return daily.addingTimeInterval(Double(elapsed) * 3600)
    }

    /// The first slot after `now`: the next of the day's slots, or tomorrow's daily time.
    public func nextSlot(after now: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        guard let daily = ScheduleSlot.latest(at: at, before: now, calendar: calendar),
              let tomorrow = calendar.date(byAdding: .day, value: 1, to: daily) else { return nil }
        guard let every = everyHours, every > 0, let latest = latestSlot(before: now, calendar: calendar) else { return tomorrow }
        return min(latest.addingTimeInterval(Double(every) * 3600), tomorrow)
    }
}

