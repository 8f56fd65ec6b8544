import OcoreModel

/// A change the dashboard's dialogs ask of an environment; the runtime hands each to the engine's
/// request for it (the same as `ocore env set`, `ocore refresh set|rm` and `ocore env config set`),
/// so the rules are checked once, there.
public enum EnvironmentEdit: Equatable, Sendable {
    case settings(EnvironmentEditRequest)
    case refreshSchedule(RefreshScheduleForm)
    case removeRefreshSchedule(target: String)
    case odooConfig(OdooConfigEdit)
    case backupPolicy(BackupPolicyForm)
    case switchBackupPolicy(environment: String, enabled: Bool)
    case removeBackupPolicy(environment: String)

    public var environment: String {
        switch self {
        case .settings(let r): r.environment
        case .refreshSchedule(let r): r.target
        case .removeRefreshSchedule(let target): target
        case .odooConfig(let r): r.environment
        case .backupPolicy(let r): r.environment
        case .switchBackupPolicy(let environment, _), .removeBackupPolicy(let environment): environment
        }
    }
}

/// What the edit dialog asks the runtime to change. An empty text removes the value.
public struct EnvironmentEditRequest: Equatable, Sendable {
    public var environment: String
    public var type: EnvironmentType
    public var url: String
    public var filestoreOwner: String
    public var serviceStop: String
    public var serviceStart: String
    public var odooConf: String
    public var protected: Bool
    public var confirmation: String?
}

/// `E` on an environment: its type, URL, filestore owner, service commands, odoo.conf path and
/// protection, edited in place. On a protected environment, lowering the protection or changing
/// the type needs its name typed.
public struct EditEnvironmentState: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case type, url, owner, stop, start, odooConf, protect, confirm, save }

    public var environment: EnvironmentRow
    public var type: EnvironmentType
    public var url: TextFieldState
    public var owner: TextFieldState
    public var stop: TextFieldState
    public var start: TextFieldState
    public var odooConf: TextFieldState
    public var protected: Bool
    public var confirmation = TextFieldState()
    public var field = Field.type
    public var error: String?

    public init(environment: EnvironmentRow) {
        self.environment = environment
        type = environment.type
        url = TextFieldState(text: environment.url ?? "")
        owner = TextFieldState(text: environment.filestoreOwner ?? "")
        stop = TextFieldState(text: environment.serviceStop ?? "")
        start = TextFieldState(text: environment.serviceStart ?? "")
        odooConf = TextFieldState(text: environment.odooConf ?? "")
        protected = environment.isProtected
    }

    var lowersProtection: Bool { environment.isProtected && !protected }
    var needsConfirmation: Bool { environment.isProtected && (!protected || type != environment.type) }
    public var fields: [Field] { [.type, .url, .owner, .stop, .start, .odooConf, .protect] + (needsConfirmation ? [.confirm] : []) + [.save] }

    public var request: EnvironmentEditRequest {
        EnvironmentEditRequest(environment: environment.name, type: type, url: url.text, filestoreOwner: owner.text, serviceStop: stop.text,
                               serviceStart: start.text, odooConf: odooConf.text, protected: protected,
                               confirmation: needsConfirmation ? confirmation.text : nil)
    }
}

extension EditEnvironmentState.Field {
    var control: FormControl {
        switch self {
        case .url, .owner, .stop, .start, .odooConf, .confirm: .text
        case .type: .choice
        case .protect: .toggle
        case .save: .button
        }
    }
}

func handleEditDialog(_ key: Key, _ dialog: inout EditEnvironmentState, _ state: inout DashboardState) -> [Effect] {
    var saving = false
    switch FormKeys.onePage(key, focus: &dialog.field, fields: dialog.fields, control: \.control) {
    case .close:
        state.overlay = .none
        return []
    case .change(let delta) where dialog.field == .type:
        stepType(&dialog, by: delta)
    case .change where dialog.field == .protect:
        dialog.protected.toggle()
        dialog.confirmation = TextFieldState()
    case .submit: saving = true
    case .edit(let key):
        switch dialog.field {
        case .url: _ = dialog.url.handle(key)
        case .owner: _ = dialog.owner.handle(key)
        case .stop: _ = dialog.stop.handle(key)
        case .start: _ = dialog.start.handle(key)
        case .odooConf: _ = dialog.odooConf.handle(key)
        case .confirm: _ = dialog.confirmation.handle(key)
        case .type, .protect, .save: break
        }
        dialog.error = nil
    case .change, .none: break
    }
    if saving {
        if dialog.stop.text.isEmpty != dialog.start.text.isEmpty {
            dialog.error = "give both service commands, or neither"
        } else if dialog.needsConfirmation && dialog.confirmation.text != dialog.environment.name {
            dialog.error = "type \(dialog.environment.name) to \(dialog.lowersProtection ? "remove its protection" : "change its type")"
            dialog.field = .confirm
        } else {
            state.overlay = .none
            return [.editEnvironment(.settings(dialog.request))]
        }
    }
    state.overlay = .editEnvironment(dialog)
    return []
}

/// The next type; choosing production turns protection on, as the CLI does.
private func stepType(_ dialog: inout EditEnvironmentState, by delta: Int) {
    let all = EnvironmentType.allCases
    let index = all.firstIndex(of: dialog.type) ?? 0
    dialog.type = all[FormKeys.stepped(index, by: delta, count: all.count)]
    if dialog.type == .production && dialog.environment.type != .production { dialog.protected = true }
    dialog.confirmation = TextFieldState()
}
