import Foundation
import OcoreModel

/// What the Backups tab asks the runtime to do to one backup (carried out as `ocore backup …` does).
public enum BackupAction: Equatable, Sendable {
    case verify(String)
    case pin(String, Bool)
    /// The id as the operator typed it: the engine checks it again.
    case delete(String, confirmation: String)
    case export(String, path: String)
}

/// Deleting a backup cannot be undone: its id is typed out first.
public struct DeleteBackupState: Equatable, Sendable {
    public var backup: BackupRecord
    public var confirmation = TextFieldState()
    public var isConfirmed: Bool { confirmation.text == backup.id }
}

/// Where to download a backup's archive on this host.
public struct ExportBackupState: Equatable, Sendable {
    public var backup: BackupRecord
    public var path: TextFieldState
}

/// The retention plan of an environment (a dry run), before anything is swept.
public struct RetentionViewState: Equatable, Sendable {
    public var environment: String
    public var lines: [Retention.Decision]?
    public var list = ListState()
    public var confirming = false
    public var swept = false

    public var deletions: Int { lines?.filter(\.delete).count ?? 0 }
}

/// Keys of the Backups tab beyond moving and restoring: v verify, p pin/unpin, d delete, e export,
/// t the retention plan. Returns nil for keys it does not handle.
func backupsTabKey(_ key: Key, _ state: inout DashboardState, cwd: String = FileManager.default.currentDirectoryPath) -> [Effect]? {
    guard let env = state.focusedEnvironment else { return nil }
    if key == .character("t") {
        state.overlay = .retention(RetentionViewState(environment: env.name))
        return [.loadRetention(environment: env.name, sweep: false)]
    }
    guard let backup = state.environmentBackups[safe: state.backupsList.selected] else { return nil }
    switch key {
    case .character("v"):
        guard backup.status.isRestorable else { return refuse(&state, "backup \(backup.id) is \(backup.status.rawValue): nothing to verify") }
        state.toast = Toast(message: "verifying \(backup.id)…", kind: .info, expiresAt: state.now + 30)
        return [.backupAction(.verify(backup.id))]
    case .character("p"):
        return [.backupAction(.pin(backup.id, !backup.pinned))]
    case .character("d"):
        guard backup.status != .running else { return refuse(&state, "backup \(backup.id) is still running") }
        state.overlay = .deleteBackup(DeleteBackupState(backup: backup))
        return []
    case .character("e"):
        guard backup.status.isRestorable else { return refuse(&state, "backup \(backup.id) is \(backup.status.rawValue): nothing to download") }
        let name = "\(backup.project)-\(backup.environment)-\(backup.id).zip"
        state.overlay = .exportBackup(ExportBackupState(backup: backup, path: TextFieldState(text: (cwd == "/" ? "" : cwd) + "/" + name)))
        return []
    default:
        return nil
    }
}

private func refuse(_ state: inout DashboardState, _ message: String) -> [Effect] {
    state.toast = Toast(message: message, kind: .error, expiresAt: state.now + 8)
    return []
}

func handleDeleteBackup(_ key: Key, _ dialog: inout DeleteBackupState, _ state: inout DashboardState) -> [Effect] {
    switch promptKey(key, &dialog.confirmation) {
    case .close: state.overlay = .none; return []
    case .answer where dialog.isConfirmed:
        state.overlay = .none
        return [.backupAction(.delete(dialog.backup.id, confirmation: dialog.confirmation.text))]
    case .answer: dialog.confirmation.error = "type \(dialog.backup.id) to delete it"
    case .edited: break
    }
    state.overlay = .deleteBackup(dialog)
    return []
}

/// A one-line prompt's keys: Escape closes it, Enter answers it, any other key edits its text
/// (and clears the error shown under it).
private enum PromptKey { case close, answer, edited }

private func promptKey(_ key: Key, _ field: inout TextFieldState) -> PromptKey {
    switch key {
    case .escape: return .close
    case .enter: return .answer
    default:
        _ = field.handle(key)
        field.error = nil
        return .edited
    }
}

func handleExportBackup(_ key: Key, _ dialog: inout ExportBackupState, _ state: inout DashboardState) -> [Effect] {
    let path = dialog.path.text.trimmingCharacters(in: .whitespaces)
    switch promptKey(key, &dialog.path) {
    case .close: state.overlay = .none; return []
    case .answer where path.hasPrefix("/"):
        state.overlay = .none
        state.toast = Toast(message: "downloading \(dialog.backup.id) to \(path)…", kind: .info, expiresAt: state.now + 60)
        return [.backupAction(.export(dialog.backup.id, path: path))]
    case .answer: dialog.path.error = "give an absolute path"
    case .edited: break
    }
    state.overlay = .exportBackup(dialog)
    return []
}

func handleRetentionView(_ key: Key, _ view: inout RetentionViewState, _ state: inout DashboardState) -> [Effect] {
    let count = view.lines?.count ?? 0
    let visible = max(state.height - 12, 1)
    if view.confirming {
        view.confirming = false
        state.overlay = .retention(view)
        guard key == .character("y") else { return [] }
        return [.loadRetention(environment: view.environment, sweep: true)]
    }
    switch key {
    case .escape, .character("q"), .character("t"):
        state.overlay = .none
        return []
    case .down, .character("j"): view.list.move(1, count: count, visible: visible)
    case .up, .character("k"): view.list.move(-1, count: count, visible: visible)
    case .pageDown: view.list.move(10, count: count, visible: visible)
    case .pageUp: view.list.move(-10, count: count, visible: visible)
    case .character("S"):
        if view.deletions > 0 && !view.swept { view.confirming = true }
    default: break
    }
    state.overlay = .retention(view)
    return []
}

/// A retention plan (or the result of a sweep) came back from the runtime.
func retentionLoaded(_ state: inout DashboardState, environment: String, lines: [Retention.Decision], swept: Bool) -> [Effect] {
    guard case .retention(var view) = state.overlay, view.environment == environment else { return [] }
    view.lines = lines
    view.swept = swept
    view.list.clamp(count: lines.count, visible: max(state.height - 12, 1))
    state.overlay = .retention(view)
    if swept {
        state.toast = Toast(message: "retention: \(lines.filter(\.delete).count) backup(s) of \(environment) removed", kind: .success, expiresAt: state.now + 8)
        return [.loadDetails(environment: environment, job: nil)]
    }
    return []
}
