import Foundation
import OcoreModel
import OcoreStore

/// A weekly refresh set up (`ocore refresh set`): the target is replaced by a sanitized copy of
/// the source on a weekly slot. A protected target is refused; the name of the target is typed
/// once here, since every run replaces it.
public struct RefreshScheduleRequest: Sendable, Equatable {
    public var target: String
    public var source: String
    public var weekday: String
    public var at: String
    public var preset = SanitizationCatalog.defaultPreset
    public var keepUsers: [String] = []
    /// The target's name typed again: each run replaces its database and filestore.
    public var confirmation: String?

    public init(target: String, source: String, weekday: String, at: String) {
        self.target = target
        self.source = source
        self.weekday = weekday
        self.at = at
    }

    @discardableResult
    public func save(store: SQLiteStateStore, by who: Requester) throws -> RefreshSchedule {
        guard let day = RetentionPolicy.weekday(named: weekday) else { throw RequestRefusal("--weekday takes sun, mon, tue, wed, thu, fri or sat") }
        guard BackupScheduler.latestSlot(at: at, before: Date()) != nil else { throw RequestRefusal("--at takes a time of day as HH:MM (e.g. 03:00)") }
        guard target != source else { throw RequestRefusal("an environment cannot be refreshed from itself") }
        _ = try store.environment(named: source)
        _ = try store.environment(named: target)
        if let protectedBy = try store.protection(of: target) {
            throw RequestRefusal("\(target) is protected\(protectedBy == target ? "" : " (it shares \(protectedBy)'s data)"): a refresh replaces it every week; refresh an unprotected environment")
        }
        if preset == .none { throw RequestRefusal("a scheduled refresh sanitizes: --preset none is not offered for it") }
        guard confirmation == target else {
            throw RequestRefusal("every refresh replaces \(target)'s database and filestore (a verified safety backup first): repeat its name with --confirm \(target)")
        }
        var schedule = RefreshSchedule(target: target, source: source, weekday: day, at: at, preset: preset)
        schedule.keepUsers = keepUsers
        try store.setRefreshSchedule(schedule)
        try store.audit(user: who.user, from: who.from, action: "refresh.set", environment: target, detail: schedule.summary)
        return schedule
    }
}

/// A weekly refresh stopped (`ocore refresh rm`): the schedule goes, the environment stays as it is.
public struct RefreshScheduleRemoval: Sendable, Equatable {
    public var target: String

    public init(target: String) { self.target = target }

    public func apply(store: SQLiteStateStore, by who: Requester) throws {
        guard try store.refreshSchedule(target: target) != nil else { throw RequestRefusal("\(target) has no refresh schedule") }
        try store.removeRefreshSchedule(target: target)
        try store.audit(user: who.user, from: who.from, action: "refresh.rm", environment: target, detail: nil)
    }
}

extension BackupScheduler {
    /// Starts one refresh now: the replace a schedule describes, with every rule of `ocore clone --replace`.
    public func startRefresh(_ schedule: RefreshSchedule) throws -> Int64 {
        var request = CloneRequest(source: schedule.source, target: .replace(schedule.target))
        request.preset = schedule.preset
        request.confirmation = schedule.target
        request.keepUsers = schedule.keepUsers
        return try request.prepare(store: store, home: home).submit(store: store, home: home)
    }

    /// Starts the refreshes whose weekly slot has come since they last ran (a missed slot runs
    /// once); one whose environments are busy is tried again on the next pass.
    public func runDueRefreshes(now: Date) throws -> (started: [(target: String, job: Int64)], failed: [(target: String, error: String)]) {
        var started: [(String, Int64)] = []
        var failed: [(String, String)] = []
        for schedule in try store.refreshSchedules() {
            guard let slot = Self.latestWeeklySlot(weekday: schedule.weekday, at: schedule.at, before: now) else { continue }
            if let last = schedule.lastRunAt, last >= slot { continue }
            do {
                let job = try startRefresh(schedule)
                try store.markRefreshRun(target: schedule.target, at: now)
                started.append((schedule.target, job))
            } catch is JobStoreError {
                continue
            } catch {
                try? store.markRefreshRun(target: schedule.target, at: now)
                failed.append((schedule.target, "\(error)"))
            }
        }
        return (started, failed)
    }
}
