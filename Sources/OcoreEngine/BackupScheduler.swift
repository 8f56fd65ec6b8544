import Foundation
import OcoreModel
import OcoreStore

/// Runs the schedule (`ocore daemon`, `backup run-due`): the backups and restore tests that are due.
public struct BackupScheduler: Sendable {
    public let store: SQLiteStateStore
    public let home: StateHome

    public init(store: SQLiteStateStore, home: StateHome) {
        self.store = store
        self.home = home
    }

    /// The latest scheduled time at or before `now` for a policy's "HH:MM" (local time).
    public static func latestSlot(at time: String, before now: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        ScheduleSlot.latest(at: time, before: now, calendar: calendar)
    }

    /// The latest weekly slot (weekday 1 = Sunday, at "HH:MM" local time) at or before `now`.
    public static func latestWeeklySlot(weekday: Int, at time: String, before now: Date,
                                        calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        guard var slot = latestSlot(at: time, before: now, calendar: calendar) else { return nil }
        for _ in 0..<7 {
            if calendar.component(.weekday, from: slot) == weekday { return slot }
            guard let earlier = calendar.date(byAdding: .day, value: -1, to: slot) else { return nil }
            slot = earlier
        }
        return nil
    }

    /// Environments whose weekly restore test is due, each with the backup to test: the newest
    /// verified, restorable one. Due when no restore test of the environment's backups started
    /// since the latest weekly slot — so a host that was down runs a missed test once.
    public func dueRestoreTests(now: Date) throws -> [(environment: String, backupID: String)] {
        var due: [(String, String)] = []
        for policy in try store.backupPolicies() where policy.enabled {
            guard let weekday = policy.restoreTestWeekday,
                  let slot = Self.latestWeeklySlot(weekday: weekday, at: policy.at, before: now) else { continue }
            let backups = try store.backups(environment: policy.environment)
            let lastTest = backups.compactMap { $0.restoreTestStartedAt }.max()
            if let lastTest, lastTest >= slot { continue }
            // The test proves the environment can be recovered: from a real backup, not a sanitized copy.
            guard let newest = backups.filter({ $0.status.isRestorable && $0.isVerified && $0.sanitized == nil }).max(by: { $0.createdAt < $1.createdAt }) else { continue }
            due.append((policy.environment, newest.id))
        }
        return due
    }

    /// Queues every scheduled backup whose latest slot has not run yet. A host that was down for
    /// days runs each missed environment once, not once per missed slot.
    /// One environment's problem (busy, its storage gone) never holds up the others: its error is
    /// returned beside what started, and it is tried again on the next pass.
    public func runDue(now: Date) throws -> [(environment: String, backupID: String)] {
        try runDueReporting(now: now).started
    }

    public func runDueReporting(now: Date) throws -> (started: [(environment: String, backupID: String)], failed: [(environment: String, error: String)]) {
        var started: [(String, String)] = []
        var failed: [(String, String)] = []
        for policy in try store.backupPolicies() where policy.enabled {
            guard let slot = policy.latestSlot(before: now) else { continue }
            if let last = policy.lastRunAt, last >= slot { continue }
            do {
                var request = BackupRequest(environment: policy.environment)
                request.storage = policy.storage
                request.type = .scheduled
                request.includeFilestore = policy.includeFilestore
                request.format = policy.format
                let (id, _) = try request.submit(store: store, home: home)
                try store.markPolicyRun(environment: policy.environment, at: now)
                started.append((policy.environment, id))
            } catch is JobStoreError {
                continue  // the environment is busy: try again on the next pass
            } catch {
                failed.append((policy.environment, "\(error)"))
            }
        }
        return (started, failed)
    }
}
