import Foundation

/// GFS tiers, shortest-lived first. `hourly` is a backup of a frequent schedule (`--every`)
/// taken after the day's first: it is kept hours, not days.
public enum RetentionTier: String, Sendable, Codable, CaseIterable, Comparable {
    case hourly, daily, weekly, monthly, yearly, permanent

    public static func < (a: RetentionTier, b: RetentionTier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public var badge: String {
        switch self {
        case .hourly: "H"
        case .daily: "D"
        case .weekly: "W"
        case .monthly: "M"
        case .yearly: "Y"
        case .permanent: "P"
        }
    }
}

/// How long each tier is kept, and which weekday makes a weekly. Defaults are the seeds'.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    public var dailyDays: Int
    public var weeklyWeeks: Int
    public var monthlyMonths: Int
    public var yearlyYears: Int
    /// 1 = Sunday … 7 = Saturday (Calendar's numbering).
    public var weeklyWeekday: Int
    /// Hours an `hourly` backup is kept; nil when the schedule runs once a day, and then every
    /// backup of a day is at least a daily.
    public var hourlyHours: Int?

    public init(dailyDays: Int = 7, weeklyWeeks: Int = 4, monthlyMonths: Int = 12, yearlyYears: Int = 2, weeklyWeekday: Int = 1,
                hourlyHours: Int? = nil) {
        self.hourlyHours = hourlyHours
        self.dailyDays = dailyDays
        self.weeklyWeeks = weeklyWeeks
        self.monthlyMonths = monthlyMonths
        self.yearlyYears = yearlyYears
        self.weeklyWeekday = weeklyWeekday
    }

    public static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// The longest any tier may be kept: a century. Past it dates overflow and a backup would
    /// expire the moment it is made, so each backup would delete the one before.
    public static let maxDays = 36_500

    /// Refuses counts that are not positive or keep a tier longer than ``maxDays``.
    public func validate() throws {
        let fields: [(String, Int, Int)] = [("--daily", dailyDays, Self.maxDays), ("--weekly", weeklyWeeks, Self.maxDays / 7),
                                            ("--monthly", monthlyMonths, Self.maxDays / 30), ("--yearly", yearlyYears, Self.maxDays / 365)]
        let hourly: [(String, Int, Int)] = hourlyHours.map { [("--hourly", $0, Self.maxDays * 24)] } ?? []
        for (field, value, limit) in hourly + fields where value < 1 || value > limit {
            throw ModelError.invalidValue(field: field, value: String(value), reason: "must be 1 to \(limit) (at most 100 years)")
        }
        guard (1...7).contains(weeklyWeekday) else { throw ModelError.invalidValue(field: "--weekday", value: String(weeklyWeekday), reason: "must be 1 to 7") }
    }

    public static func weekday(named name: String) -> Int? {
        weekdays.firstIndex(of: String(name.lowercased().prefix(3))).map { $0 + 1 }
    }
}

/// GFS retention: which tier a new backup takes, when it expires, and what a sweep may delete.
/// Dates are read in the operator's calendar (`calendar.timeZone`), so "the 1st of the month"
/// and "Sunday" mean what they say across DST changes.
public struct Retention: Sendable {
    public var policy: RetentionPolicy
    public var calendar: Calendar

    public init(policy: RetentionPolicy = RetentionPolicy(), calendar: Calendar = Calendar(identifier: .gregorian)) {
        self.policy = policy
        self.calendar = calendar
    }

    /// The tier for a backup created at `date`, given the environment's earlier backups.
    ///
    /// The seeds promote on the day itself: yearly on 1 January, monthly on the 1st, weekly on
    /// the configured weekday. Here the *first successful backup of the period* (periods start
    /// on those days) takes the tier, so a failed backup on the 1st does not leave the month
    /// without a monthly: the next good one fills the hole. When the promotion-day backup
    /// succeeds this is exactly the seeds' rule; a history that starts mid-period gets its
    /// long-lived copy at once.
    ///
    /// A sanitized backup is a copy to hand out, not a restore point: it never holds a period's
    /// tier for the environment's real backups (and takes none itself, see ``handOutTier``).
    public func tier(for date: Date, earlier: [BackupRecord]) -> RetentionTier {
        let kept = earlier.filter { ($0.status.isRestorable || $0.status == .expired) && $0.sanitized == nil }
        // With a frequent schedule the day's first good backup is the daily, the others hourly.
        let tiers: [RetentionTier] = policy.hourlyHours == nil ? [.yearly, .monthly, .weekly] : [.yearly, .monthly, .weekly, .daily]
        for tier in tiers {
            let start = periodStart(tier, containing: date)
            let taken = kept.contains { $0.tier >= tier && $0.tier != .permanent && $0.createdAt >= start && $0.createdAt <= date }
            if !taken { return tier }
        }
        return policy.hourlyHours == nil ? .daily : .hourly
    }

    /// The tier of a sanitized backup when none is asked for: kept as a daily one, never a
    /// period's long-lived copy.
    public static let handOutTier = RetentionTier.daily

    /// Start of the calendar period of `tier` that contains `date` (year, month, or the week
    /// beginning on the configured weekday).
    public func periodStart(_ tier: RetentionTier, containing date: Date) -> Date {
        let day = calendar.startOfDay(for: date)
        switch tier {
        case .yearly:
            return calendar.date(from: calendar.dateComponents([.year], from: date))!
        case .monthly:
            return calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        case .weekly:
            let weekday = calendar.component(.weekday, from: day)
            let back = (weekday - policy.weeklyWeekday + 7) % 7
            return calendar.date(byAdding: .day, value: -back, to: day)!
        case .hourly, .daily, .permanent:
            return day
        }
    }

    /// When a backup of `tier` created at `date` expires; nil for permanent.
    public func expiry(of tier: RetentionTier, createdAt date: Date) -> Date? {
        // A policy stored before counts were bounded is read within the bounds, never overflowing.
        let limit = RetentionPolicy.maxDays
        func bounded(_ n: Int, _ per: Int) -> Int { min(max(n, 1), limit / per) }
        switch tier {
        case .hourly: return calendar.date(byAdding: .hour, value: min(max(policy.hourlyHours ?? 48, 1), limit * 24), to: date)
        case .daily: return calendar.date(byAdding: .day, value: bounded(policy.dailyDays, 1), to: date)
        case .weekly: return calendar.date(byAdding: .day, value: 7 * bounded(policy.weeklyWeeks, 7), to: date)
        case .monthly: return calendar.date(byAdding: .month, value: bounded(policy.monthlyMonths, 30), to: date)
        case .yearly: return calendar.date(byAdding: .year, value: bounded(policy.yearlyYears, 365), to: date)
        case .permanent: return nil
        }
    }

    /// One line of a sweep plan.
    public struct Decision: Sendable, Equatable {
        public var backup: BackupRecord
        public var delete: Bool
        public var reason: String
        /// Set when the deletion was tried and failed (the backup is then still there).
        public var failure: String?

        /// Why, as a plan or a sweep's result shows it: a deletion that failed says so first.
        public var explanation: String { failure.map { "NOT removed: \($0)" } ?? reason }
    }

    /// What a sweep does with one environment's backups at `now`. Deletes only expired,
    /// non-permanent backups; never the newest verified one of each storage, whatever the
    /// policy says; and nothing at all unless the environment's latest backup attempt succeeded
    /// (old backups are not thinned while new ones fail).
    /// Sanitized backups are not restore points: they neither count as the latest attempt nor
    /// stand in for the newest verified backup of a storage (a real one is never deleted because
    /// a sanitized one is newer); they go when they expire.
    public func sweep(_ backups: [BackupRecord], now: Date) -> [Decision] {
        let live = backups.filter { $0.status.isRestorable }.sorted { $0.createdAt > $1.createdAt }
        let latest = backups.filter { $0.status != .running && $0.sanitized == nil }.max { $0.createdAt < $1.createdAt }
        let latestSucceeded = latest.map { $0.status.isRestorable } ?? false
        var newestVerified: Set<String> = []
        for storage in Set(live.map(\.storage)) {
            if let id = live.first(where: { $0.storage == storage && $0.isVerified && $0.sanitized == nil })?.id { newestVerified.insert(id) }
        }
        return live.map { b in
            if b.isPermanent { return Decision(backup: b, delete: false, reason: b.pinned ? "pinned" : "permanent") }
            if newestVerified.contains(b.id) { return Decision(backup: b, delete: false, reason: "newest verified backup") }
            guard let expires = b.expiresAt, expires <= now else {
                return Decision(backup: b, delete: false, reason: "\(b.tier.rawValue), expires \(b.expiresAt.map(Self.day) ?? "never")")
            }
            guard latestSucceeded else { return Decision(backup: b, delete: false, reason: "expired, but the latest backup did not succeed") }
            return Decision(backup: b, delete: true, reason: "\(b.tier.rawValue), expired \(Self.day(expires))")
        }
    }

    static func day(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.string(from: date)
    }
}
