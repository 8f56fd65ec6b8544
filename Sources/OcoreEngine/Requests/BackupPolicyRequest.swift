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
        let retention = RetentionPolicy(dailyDays: daily, weeklyWeeks: weekly, monthlyMonths: monthly, yearlyYears: yearly, weeklyWeekday: day)
        try retention.validate()
        _ = try store.environment(named: environment)
        if let storage { _ = try store.storage(named: storage) }
        let policy = BackupPolicyRecord(environment: environment, at: at, retention: retention, storage: storage, includeFilestore: includeFilestore,
                                        restoreTestWeekday: testDay)
        try store.setBackupPolicy(policy)
        try store.audit(user: who.user, from: who.from, action: "policy.set", environment: environment,
                        detail: "daily at \(at); \(daily)d \(weekly)w \(monthly)m \(yearly)y" + (restoreTest.map { "; restore test \($0)" } ?? ""))
        return policy
    }
}
