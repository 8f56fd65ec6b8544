import OcoreModel

/// What the destroy dialog asks the runtime to start (the engine checks it as it checks `ocore env destroy`).
public struct DestroyDialogRequest: Equatable, Sendable {
    public var environment: String
    public var confirmation: String
    public var backup: Bool
    public var productionConfirmed: Bool
}

/// `D` on an environment: drop its database and filestore (after a verified backup) and remove
/// its record. The name must be typed; a protected one also needs "I am sure this is production".
public struct DestroyDialogState: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case backup, sure, confirm, start }

    public var environment: EnvironmentRow
    public var backup = true
    public var sure = false
    public var confirmation = TextFieldState()
    public var field = Field.confirm
    public var error: String?

    public var fields: [Field] { [.backup] + (environment.isProtected ? [.sure] : []) + [.confirm, .start] }
    public var isConfirmed: Bool { confirmation.text == environment.name && (!environment.isProtected || sure) }

    public var request: DestroyDialogRequest {
        DestroyDialogRequest(environment: environment.name, confirmation: confirmation.text, backup: backup, productionConfirmed: sure)
    }
}

extension DestroyDialogState.Field {
    var control: FormControl {
        switch self {
        case .backup, .sure: .toggle
        case .confirm: .text
        case .start: .button
        }
    }
}

func handleDestroyDialog(_ key: Key, _ dialog: inout DestroyDialogState, _ state: inout DashboardState) -> [Effect] {
    var submitting = false
    switch FormInput.interpret(key, on: dialog.field.control) {
    case .close:
        state.overlay = .none
        return []
    case .move(let delta), .page(let delta): dialog.field = FormKeys.moved(dialog.field, by: delta, in: dialog.fields)
    case .change, .activate where dialog.field != .start:
        if dialog.field == .backup { dialog.backup.toggle() }
        if dialog.field == .sure { dialog.sure.toggle() }
    case .activate: submitting = true
    case .advance:
        if let next = FormKeys.advanced(dialog.field, in: dialog.fields) { dialog.field = next } else { submitting = true }
    case .edit(let key):
        _ = dialog.confirmation.handle(key)
        dialog.error = nil
    case .none: break
    }
    if submitting {
        if dialog.environment.isProtected && !dialog.sure {
            dialog.error = "\(dialog.environment.name) is protected: tick \"I am sure this is production\""
            dialog.field = .sure
        } else if dialog.confirmation.text != dialog.environment.name {
            dialog.error = "type \(dialog.environment.name) to destroy it"
            dialog.field = .confirm
        } else {
            state.overlay = .none
            return [.destroyEnvironment(dialog.request)]
        }
    }
    state.overlay = .destroyEnvironment(dialog)
    return []
}
