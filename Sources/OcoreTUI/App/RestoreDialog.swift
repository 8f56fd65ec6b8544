import Foundation
import OcoreModel

/// What the restore dialog asks the runtime to start (validated as `ocore restore` validates it).
public struct RestoreDialogRequest: Equatable, Sendable {
    public var backupID: String
    public var target: String
    public var safetyBackup: Bool
    public var includeFilestore: Bool
}

/// Restore the selected backup into the environment it is listed under: the data-loss warning,
/// safety backup and filestore switches, and for a protected environment its name typed out.
public struct RestoreDialogState: Equatable, Sendable {
    public enum Field: Int, CaseIterable, Sendable { case safety, filestore, confirm, start }

    public var backup: BackupRecord
    public var target: EnvironmentRow
    public var safetyBackup = true
    public var includeFilestore: Bool
    public var confirmation = TextFieldState()
    public var field = Field.safety
    public var error: String?

    public init(backup: BackupRecord, target: EnvironmentRow) {
        self.backup = backup
        self.target = target
        includeFilestore = backup.includeFilestore
    }

    var fields: [Field] { target.isProtected ? Field.allCases : [.safety, .filestore, .start] }
    public var isConfirmed: Bool { !target.isProtected || confirmation.text == target.name }

    public var request: RestoreDialogRequest {
        RestoreDialogRequest(backupID: backup.id, target: target.name, safetyBackup: safetyBackup, includeFilestore: includeFilestore)
    }
}

func openRestoreDialog(_ state: inout DashboardState) -> [Effect] {
    guard state.tab == .backups, let env = state.focusedEnvironment,
          let backup = state.environmentBackups[safe: state.backupsList.selected], backup.status.isRestorable else { return [] }
    state.overlay = .restoreDialog(RestoreDialogState(backup: backup, target: env))
    return []
}

func handleRestoreDialog(_ key: Key, _ dialog: inout RestoreDialogState, _ state: inout DashboardState) -> [Effect] {
    let fields = dialog.fields
    let index = fields.firstIndex(of: dialog.field) ?? 0
    if dialog.field == .confirm, key != .tab, key != .backTab, key != .enter, key != .escape, key != .down, key != .up {
        _ = dialog.confirmation.handle(key)
        state.overlay = .restoreDialog(dialog)
        return []
    }
    switch key {
    case .escape:
        state.overlay = .none
        return []
    case .tab, .down, .character("j"):
        dialog.field = fields[(index + 1) % fields.count]
    case .backTab, .up, .character("k"):
        dialog.field = fields[(index + fields.count - 1) % fields.count]
    case .character(" "):
        if dialog.field == .safety { dialog.safetyBackup.toggle() }
        if dialog.field == .filestore { dialog.includeFilestore.toggle() }
    case .enter:
        guard dialog.field == .start || dialog.field == .confirm else {
            dialog.field = fields[(index + 1) % fields.count]
            break
        }
        guard dialog.isConfirmed else {
            dialog.error = "type \(dialog.target.name) to confirm"
            dialog.field = .confirm
            break
        }
        state.overlay = .none
        return [.startRestore(dialog.request)]
    default: break
    }
    state.overlay = .restoreDialog(dialog)
    return []
}
