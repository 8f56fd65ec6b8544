import Foundation
import OcoreModel

/// The Restore points tab: the environment's backups as a timeline (grouped by day, week and
/// month, filtered by type and tier), and the restores made into it.
public struct TimelineState: Equatable, Sendable {
    public var typeFilter: BackupType?
    public var tierFilter: RetentionTier?
    /// Index into the selectable (backup) rows.
    public var list = ListState()

    public init() {}
}

/// One line of the timeline: a period heading or a backup.
public enum TimelineRow: Equatable, Sendable {
    case heading(String)
    case backup(BackupRecord)
}

/// Groups backups, newest first, under "Today", "Yesterday", "This week", "Earlier this month",
/// then one heading per month ("October 2026"): the periods an operator thinks in during an incident.
public func timelineRows(_ backups: [BackupRecord], filter: TimelineState, now: Date, calendar: Calendar = .current) -> [TimelineRow] {
    let shown = backups.filter { b in
        b.status.isRestorable && (filter.typeFilter.map { b.type == $0 } ?? true) && (filter.tierFilter.map { b.tier == $0 } ?? true)
    }.sorted { $0.createdAt > $1.createdAt }
    var rows: [TimelineRow] = []
    var current: String?
    let month = DateFormatter()
    month.locale = Locale(identifier: "en_US_POSIX")
    month.dateFormat = "MMMM yyyy"
    for b in shown {
        let heading: String
        if calendar.isDate(b.createdAt, inSameDayAs: now) { heading = "Today" }
        else if let y = calendar.date(byAdding: .day, value: -1, to: now), calendar.isDate(b.createdAt, inSameDayAs: y) { heading = "Yesterday" }
        else if calendar.isDate(b.createdAt, equalTo: now, toGranularity: .weekOfYear) { heading = "This week" }
        else if calendar.isDate(b.createdAt, equalTo: now, toGranularity: .month) { heading = "Earlier this month" }
        else { heading = month.string(from: b.createdAt) }
        if heading != current {
            rows.append(.heading(heading))
            current = heading
        }
        rows.append(.backup(b))
    }
    return rows
}

extension DashboardState {
    var timeline: [TimelineRow] { timelineRows(environmentBackups, filter: timelineState, now: Date(timeIntervalSince1970: now)) }

    var timelineBackups: [BackupRecord] { timeline.compactMap { if case .backup(let b) = $0 { b } else { nil } } }

    /// The latest restore into the focused environment, when it failed and left it broken.
    var brokenRestore: RestorePointRecord? {
        guard let last = environmentRestorePoints.first, last.status == "failed", last.targetState == "broken" else { return nil }
        return last
    }
}

/// Keys of the Restore points tab: ↑↓ move, Enter/R restore the chosen backup, f/g cycle the type
/// and tier filters, u restore the safety backup of a restore that failed and left the target broken.
func restorePointsKey(_ key: Key, _ state: inout DashboardState) -> [Effect]? {
    let backups = state.timelineBackups
    let visible = max(state.bodyHeight / 2, 1)
    switch key {
    case .down, .character("j"): state.timelineState.list.move(1, count: backups.count, visible: visible)
    case .up, .character("k"): state.timelineState.list.move(-1, count: backups.count, visible: visible)
    case .character("f"):
        let types: [BackupType?] = [nil] + BackupType.allCases
        let i = types.firstIndex(of: state.timelineState.typeFilter) ?? 0
        state.timelineState.typeFilter = types[(i + 1) % types.count]
        state.timelineState.list = ListState()
    case .character("g"):
        let tiers: [RetentionTier?] = [nil] + RetentionTier.allCases
        let i = tiers.firstIndex(of: state.timelineState.tierFilter) ?? 0
        state.timelineState.tierFilter = tiers[(i + 1) % tiers.count]
        state.timelineState.list = ListState()
    case .enter, .character("R"):
        guard let env = state.focusedEnvironment, let b = backups[safe: state.timelineState.list.selected] else { return [] }
        return showRestoreDialog(RestoreDialogState(backup: b, target: env, environments: state.environments), &state)
    case .character("u"):
        guard let env = state.focusedEnvironment, let broken = state.brokenRestore, let id = broken.safetyBackupID else {
            state.toast = Toast(message: "u restores the safety backup of a restore that failed and left the environment broken: there is none",
                                kind: .info, expiresAt: state.now + 6)
            return []
        }
        guard let safety = state.environmentBackups.first(where: { $0.id == id }) else {
            state.toast = Toast(message: "safety backup \(id) is not listed (deleted or expired?)", kind: .error, expiresAt: state.now + 10)
            return []
        }
        // The target's database is gone: a safety backup of it would fail, and is not needed.
        var dialog = RestoreDialogState(backup: safety, target: env, environments: state.environments)
        dialog.safetyBackup = false
        state.overlay = .restoreDialog(dialog)
        return []
    default:
        return nil
    }
    return []
}
