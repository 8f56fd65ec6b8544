import Foundation
import OcoreModel
import OcoreStore

/// Queues backups: on request (CLI, dashboard) and on schedule (`ocore daemon`, `backup run-due`).
public struct BackupScheduler: Sendable {
    public let store: SQLiteStateStore
    public let home: StateHome

    public init(store: SQLiteStateStore, home: StateHome) {
        self.store = store
        self.home = home
    }

    public enum SchedulerError: Error, CustomStringConvertible {
        case noDefaultStorage

        public var description: String { "no default storage: give --storage NAME (see `ocore storage list`)" }
    }

    /// Queues one backup; returns its id and its job's.
    public func submit(environment: String, storage: String?, type: BackupType, includeFilestore: Bool,
                       tier: RetentionTier?, format: BackupFormat = .odooZip) throws -> (backupID: String, jobID: Int64) {
        let env = try store.resolvedEnvironment(named: environment)
        guard let storageName = try storage ?? SafetyBackup.defaultStorage(store) else { throw SchedulerError.noDefaultStorage }
        let target = try store.storage(named: storageName)
        let id = BackupRecord.newID(at: Date())
        let parameters = BackupJob.Parameters(backupID: id, environment: environment, storage: target.name, type: type,
                                              includeFilestore: includeFilestore, tier: tier, format: format == .odooZip ? nil : format)
        let job = try JobQueue(store: store, home: home).submit(BackupJob(), parameters: parameters, environment: environment,
                                                                 server: env.server.name, locks: [JobLock.shared(environment).encoded])
        return (id, job)
    }

    /// The latest scheduled time at or before `now` for a policy's "HH:MM" (local time).
    public static func latestSlot(at time: String, before now: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        let parts = time.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2, (0..<24).contains(parts[0]), (0..<60).contains(parts[1]) else { return nil }
        guard let today = calendar.date(bySettingHour: parts[0], minute: parts[1], second: 0, of: now) else { return nil }
        return today <= now ? today : calendar.date(byAdding: .day, value: -1, to: today)
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
        for policy in try store.backupPolicies() {
            guard let weekday = policy.restoreTestWeekday,
                  let slot = Self.latestWeeklySlot(weekday: weekday, at: policy.at, before: now) else { continue }
            let backups = try store.backups(environment: policy.environment)
            let lastTest = backups.compactMap { $0.restoreTestStartedAt }.max()
            if let lastTest, lastTest >= slot { continue }
            guard let newest = backups.filter({ $0.status.isRestorable && $0.isVerified }).max(by: { $0.createdAt < $1.createdAt }) else { continue }
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
        for policy in try store.backupPolicies() {
            guard let slot = Self.latestSlot(at: policy.at, before: now) else { continue }
            if let last = policy.lastRunAt, last >= slot { continue }
            do {
                let (id, _) = try submit(environment: policy.environment, storage: policy.storage, type: .scheduled,
                                         includeFilestore: policy.includeFilestore, tier: nil)
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
