import Foundation
import OcoreModel

/// A new environment to restore into (the dialog's "new" mode; cross-server when its server is
/// not the backup's).
public struct RestoreNewTarget: Equatable, Sendable {
    public var type: EnvironmentType
    public var server: String
}

/// What the restore dialog asks the runtime to start: the engine validates it exactly as it
/// validates `ocore restore` (the dialog's own checks only say so sooner).
public struct RestoreDialogRequest: Equatable, Sendable {
    public var backupID: String
    public var target: String
    /// Set when the target is a new environment.
    public var newEnvironment: RestoreNewTarget? = nil
    public var safetyBackup: Bool
    public var includeFilestore: Bool
    /// The sanitization preset when production data lands outside production (nil: none applies);
    /// `none` there is only sent once the risk was acknowledged.
    public var preset: SanitizationCatalog.Preset? = nil
    /// "I understand the risk" was ticked (preset None for production data).
    public var riskAccepted = false
    /// The name typed to confirm overwriting a protected target.
    public var confirmation: String? = nil
    /// The operator answered yes to the engine's question about another Odoo version.
    public var acceptsVersionMismatch = false
    /// Read the backup from its second copy on this storage (nil: where it was made).
    public var fromStorage: String? = nil
}

/// How the engine answered a restore request: started, or a question first.
public enum RestoreStart: Equatable, Sendable {
    case started(Int64)
    case needsConfirmation(String)
}


/// Restore a backup: into the environment it is listed under, another environment of the same
/// project, or a new environment on any server. The data-loss warning, safety backup and
/// filestore switches, and for a protected target its name typed out.
public struct RestoreDialogState: Equatable, Sendable {
    public enum Mode: Int, CaseIterable, Sendable { case here, other, new }
    public enum Field: Int, CaseIterable, Sendable { case mode, from, other, newName, newType, newServer, safety, filestore, preset, risk, confirm, start }

    public var backup: BackupRecord
    /// The environment whose tab the dialog was opened from.
    public var listed: EnvironmentRow
    public var environments: [EnvironmentRow]
    public var mode = Mode.here
    public var otherIndex = 0
    public var newName: TextFieldState
    public var newType = EnvironmentType.staging
    public var serverIndex = 0
    public var servers: [String]
    public var serverFacts: [String: ServerFacts] = [:]
    public var safetyBackup = true
    public var includeFilestore: Bool
    public var confirmation = TextFieldState()
    public var field = Field.safety
    public var error: String?
    /// Sanitization of production data restored outside production, as in the clone wizard.
    public var preset = SanitizationCatalog.defaultPreset
    public var riskAccepted = false
    /// Rows each option would change, counted on the backup's source environment (read-only).
    public var impacts: [String: Int?] = [:]
    public var counting = false
    /// Storages holding a verified second copy of the backup; 0 reads it where it was made,
    /// 1… the copies, in this order.
    public var copies: [String] = []
    public var fromIndex = 0

    public init(backup: BackupRecord, target: EnvironmentRow, environments: [EnvironmentRow] = []) {
        self.backup = backup
        self.listed = target
        self.environments = environments.isEmpty ? [target] : environments
        includeFilestore = backup.includeFilestore
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd"
        newName = TextFieldState(text: "\(backup.environment)-restore-\(f.string(from: backup.createdAt))")
        var seen: [String] = []
        for e in self.environments where !seen.contains(e.server) { seen.append(e.server) }
        servers = seen
        serverIndex = servers.firstIndex(of: target.server) ?? 0
    }

    /// Other environments of the backup's project (their own domain and config stay; database
    /// and filestore come from the backup).
    public var others: [EnvironmentRow] { environments.filter { $0.project == backup.project && $0.name != listed.name } }

    /// The environment that will be overwritten, if any.
    public var existingTarget: EnvironmentRow? {
        switch mode {
        case .here: listed
        case .other: others[safe: otherIndex]
        case .new: nil
        }
    }

    public var targetName: String { existingTarget?.name ?? newName.text }
    public var server: String? { servers[safe: serverIndex] }

    var fields: [Field] {
        var f: [Field] = [.mode] + (copies.isEmpty ? [] : [.from])
        switch mode {
        case .here: break
        case .other: f.append(.other)
        case .new: f += [.newName, .newType, .newServer]
        }
        if mode != .new { f.append(.safety) }
        f.append(.filestore)
        if sanitizes {
            f.append(.preset)
            if preset == .none { f.append(.risk) }
        }
        if existingTarget?.isProtected == true { f.append(.confirm) }
        f.append(.start)
        return f
    }

    /// Production data going anywhere but production is sanitized (Recommended unless chosen);
    /// a sanitized backup's data already is.
    public var sanitizes: Bool {
        guard backup.sanitized == nil else { return false }
        let source = environments.first { $0.name == backup.environment }?.type ?? .production
        let target = existingTarget?.type ?? newType
        return source == .production && target != .production
    }

    /// Rows the chosen preset would change, from the counts that have arrived.
    public var affectedRecords: Int { SanitizationCatalog.keys(for: preset).compactMap { impacts[$0] ?? nil }.reduce(0, +) }

    public var isConfirmed: Bool { !(existingTarget?.isProtected ?? false) || confirmation.text == existingTarget?.name }

    /// The restore's mode as the engine names it.
    public var modeLabel: String {
        switch mode {
        case .here: return backup.environment == listed.name ? "original (in place)" : "existing"
        case .other: return "existing"
        case .new:
            let backupServer = environments.first { $0.name == backup.environment }?.server
            return backupServer != nil && backupServer != server ? "cross-server (new)" : "new"
        }
    }

    /// A one-line verdict on a server for this backup: room for it, and a PostgreSQL to load it.
    public func serverVerdict(_ name: String) -> String {
        guard let facts = serverFacts[name] else { return "checking…" }
        if let error = facts.error { return "unreachable: \(error)" }
        // A loaded database and its filestore take a few times the compressed archive.
        let needed = (backup.size ?? 0) * 3
        let disk = facts.freeBytes.map { free in free >= needed ? "\(bytesText(free)) free ✓" : "\(bytesText(free)) free ✗ needs ~\(bytesText(needed))" } ?? "free disk unknown"
        return "\(disk) · PostgreSQL \(facts.postgresVersion ?? "?")"
    }

    public var request: RestoreDialogRequest {
        RestoreDialogRequest(backupID: backup.id, target: targetName,
                             newEnvironment: mode == .new ? RestoreNewTarget(type: newType, server: server ?? listed.server) : nil,
                             safetyBackup: mode != .new && safetyBackup, includeFilestore: includeFilestore, preset: sanitizes ? preset : nil,
                             riskAccepted: sanitizes && preset == .none && riskAccepted,
                             confirmation: existingTarget?.isProtected == true ? confirmation.text : nil,
                             fromStorage: fromIndex == 0 ? nil : copies[safe: fromIndex - 1])
    }
}

func openRestoreDialog(_ state: inout DashboardState) -> [Effect] {
    guard state.tab == .backups, let env = state.focusedEnvironment,
          let backup = state.environmentBackups[safe: state.backupsList.selected], backup.status.isRestorable else { return [] }
    var dialog = RestoreDialogState(backup: backup, target: env, environments: state.environments)
    dialog.copies = state.backupCopies[backup.id] ?? []
    return showRestoreDialog(dialog, &state)
}

/// Opens the dialog and, when the backup's source is still reachable, starts counting what
/// sanitization would change there.
func showRestoreDialog(_ dialog: RestoreDialogState, _ state: inout DashboardState) -> [Effect] {
    var dialog = dialog
    // Every server is offered for a new environment, also one that hosts nothing yet.
    for server in state.servers.map(\.name) where !dialog.servers.contains(server) { dialog.servers.append(server) }
    dialog.serverFacts.merge(state.serverFacts) { _, known in known }
    let sourceKnown = dialog.environments.contains { $0.name == dialog.backup.environment }
    dialog.counting = sourceKnown
    state.overlay = .restoreDialog(dialog)
    return sourceKnown ? [.loadImpacts(source: dialog.backup.environment)] : []
}

func handleRestoreDialog(_ key: Key, _ dialog: inout RestoreDialogState, _ state: inout DashboardState) -> [Effect] {
    let fields = dialog.fields
    var effects: [Effect] = []
    var submitting = false
    switch FormInput.interpret(key, on: dialog.field.control) {
    case .close:
        state.overlay = .none
        return []
    case .move(let delta), .page(let delta): dialog.field = FormKeys.moved(dialog.field, by: delta, in: fields)
    case .change(let delta): effects = dialog.change(by: delta)
    case .activate:
        if dialog.field == .start { submitting = true } else { effects = dialog.change(by: 1) }
    case .advance:
        if let next = FormKeys.advanced(dialog.field, in: fields) { dialog.field = next } else { submitting = true }
    case .edit(let key):
        if dialog.field == .confirm { _ = dialog.confirmation.handle(key) } else { _ = dialog.newName.handle(key) }
        dialog.error = nil
    case .none: break
    }
    submit: if submitting {
        if dialog.mode == .other && dialog.others.isEmpty {
            dialog.error = "no other environment in project \(dialog.backup.project)"
            break submit
        }
        if dialog.mode == .new {
            let name = dialog.newName.text
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), name.first?.isLetter == true || name.first?.isNumber == true else {
                dialog.error = "a new environment needs a name of letters, digits, '.', '_' or '-'"
                dialog.field = .newName
                break submit
            }
            guard !dialog.environments.contains(where: { $0.name == name }) else {
                dialog.error = "an environment named \(name) already exists"
                dialog.field = .newName
                break submit
            }
        }
        if dialog.sanitizes && dialog.preset == .none && !dialog.riskAccepted {
            dialog.error = "preset None keeps real customer data: tick \"I understand the risk\""
            dialog.field = .risk
            break submit
        }
        guard dialog.isConfirmed else {
            dialog.error = "type \(dialog.targetName) to confirm"
            dialog.field = .confirm
            break submit
        }
        state.overlay = .none
        return [.startRestore(dialog.request)]
    }
    state.overlay = .restoreDialog(dialog)
    return effects
}

/// The engine asked a question before starting a restore (another Odoo version): the operator
/// answers it here, and a yes sends the same request with the answer.
public struct RestoreConfirmationState: Equatable, Sendable {
    public var request: RestoreDialogRequest
    public var question: String
}

func handleRestoreConfirmation(_ key: Key, _ confirmation: RestoreConfirmationState, _ state: inout DashboardState) -> [Effect] {
    switch key {
    case .character("y"), .character("Y"):
        var request = confirmation.request
        request.acceptsVersionMismatch = true
        state.overlay = .none
        return [.startRestore(request)]
    case .escape, .character("n"), .character("N"), .character("q"):
        state.overlay = .none
        state.toast = Toast(message: "restore not started", kind: .info, expiresAt: state.now + 5)
    default: break
    }
    return []
}

/// Facts about a server arrived for the dialog.
func serverFactsLoaded(_ state: inout DashboardState, server: String, facts: ServerFacts) {
    guard case .restoreDialog(var dialog) = state.overlay else { return }
    dialog.serverFacts[server] = facts
    state.overlay = .restoreDialog(dialog)
}

extension RestoreDialogState.Field {
    var control: FormControl {
        switch self {
        case .mode, .from, .other, .newType, .newServer, .preset: .choice
        case .safety, .filestore, .risk: .toggle
        case .newName, .confirm: .text
        case .start: .button
        }
    }
}

extension RestoreDialogState {
    /// Steps the focused choice (or flips the toggle); a new mode loads the servers' facts.
    mutating func change(by step: Int) -> [Effect] {
        switch field {
        case .mode:
            let modes = Mode.allCases
            mode = modes[FormKeys.stepped(mode.rawValue, by: step, count: modes.count)]
            confirmation = TextFieldState()
            if mode == .new { return servers.map { .loadServerFacts($0) } }
        case .from:
            fromIndex = FormKeys.stepped(fromIndex, by: step, count: copies.count + 1)
        case .other where !others.isEmpty:
            otherIndex = FormKeys.stepped(otherIndex, by: step, count: others.count)
            confirmation = TextFieldState()
        case .newType:
            let types = EnvironmentType.allCases
            newType = types[FormKeys.stepped(types.firstIndex(of: newType) ?? 0, by: step, count: types.count)]
        case .newServer where !servers.isEmpty:
            serverIndex = FormKeys.stepped(serverIndex, by: step, count: servers.count)
        case .preset:
            let presets = SanitizationCatalog.Preset.allCases
            preset = presets[FormKeys.stepped(presets.firstIndex(of: preset) ?? 0, by: step, count: presets.count)]
            riskAccepted = false
        case .safety: safetyBackup.toggle()
        case .filestore: includeFilestore.toggle()
        case .risk: riskAccepted.toggle()
        default: break
        }
        return []
    }
}
