import OcoreModel

/// What the edit dialog asks the runtime to change (the engine checks it as it checks `ocore env set`).
/// An empty text removes the value.
public struct EnvironmentEditRequest: Equatable, Sendable {
    public var environment: String
    public var url: String
    public var filestoreOwner: String
    public var serviceStop: String
    public var serviceStart: String
    public var protected: Bool
    public var confirmation: String?
}

/// `E` on an environment: its URL, filestore owner, service commands and protection, edited in
/// place. Lowering a protected environment's protection needs its name typed.
public struct EditEnvironmentState: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case url, owner, stop, start, protect, confirm, save }

    public var environment: EnvironmentRow
    public var url: TextFieldState
    public var owner: TextFieldState
    public var stop: TextFieldState
    public var start: TextFieldState
    public var protected: Bool
    public var confirmation = TextFieldState()
    public var field = Field.url
    public var error: String?

    public init(environment: EnvironmentRow) {
        self.environment = environment
        url = TextFieldState(text: environment.url ?? "")
        owner = TextFieldState(text: environment.filestoreOwner ?? "")
        stop = TextFieldState(text: environment.serviceStop ?? "")
        start = TextFieldState(text: environment.serviceStart ?? "")
        protected = environment.isProtected
    }

    var lowersProtection: Bool { environment.isProtected && !protected }
    public var fields: [Field] { [.url, .owner, .stop, .start, .protect] + (lowersProtection ? [.confirm] : []) + [.save] }

    public var request: EnvironmentEditRequest {
        EnvironmentEditRequest(environment: environment.name, url: url.text, filestoreOwner: owner.text, serviceStop: stop.text, serviceStart: start.text,
                               protected: protected, confirmation: lowersProtection ? confirmation.text : nil)
    }
}

extension EditEnvironmentState.Field {
    var control: FormControl {
        switch self {
        case .url, .owner, .stop, .start, .confirm: .text
        case .protect: .toggle
        case .save: .button
        }
    }
}

func handleEditDialog(_ key: Key, _ dialog: inout EditEnvironmentState, _ state: inout DashboardState) -> [Effect] {
    var saving = false
    switch FormInput.interpret(key, on: dialog.field.control) {
    case .close:
        state.overlay = .none
        return []
    case .move(let delta), .page(let delta): dialog.field = FormKeys.moved(dialog.field, by: delta, in: dialog.fields)
    case .change where dialog.field == .protect, .activate where dialog.field == .protect:
        dialog.protected.toggle()
        dialog.confirmation = TextFieldState()
    case .activate: saving = dialog.field == .save
    case .advance:
        if let next = FormKeys.advanced(dialog.field, in: dialog.fields) { dialog.field = next } else { saving = true }
    case .edit(let key):
        switch dialog.field {
        case .url: _ = dialog.url.handle(key)
        case .owner: _ = dialog.owner.handle(key)
        case .stop: _ = dialog.stop.handle(key)
        case .start: _ = dialog.start.handle(key)
        case .confirm: _ = dialog.confirmation.handle(key)
        case .protect, .save: break
        }
        dialog.error = nil
    case .change, .none: break
    }
    if saving {
        if dialog.stop.text.isEmpty != dialog.start.text.isEmpty {
            dialog.error = "give both service commands, or neither"
        } else if dialog.lowersProtection && dialog.confirmation.text != dialog.environment.name {
            dialog.error = "type \(dialog.environment.name) to remove its protection"
            dialog.field = .confirm
        } else {
            state.overlay = .none
            return [.editEnvironment(dialog.request)]
        }
    }
    state.overlay = .editEnvironment(dialog)
    return []
}
