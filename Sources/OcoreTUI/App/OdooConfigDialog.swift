/// An environment's odoo.conf as the dashboard shows and edits it: its tuning keys, each with the
/// value the file sets (nil when it sets none), or why the file could not be read. Secret keys
/// never come here.
public struct OdooConfigSummary: Equatable, Sendable {
    public struct Value: Equatable, Sendable {
        public var key: String
        public var value: String?
        public init(key: String, value: String?) { (self.key, self.value) = (key, value) }
    }

    public var path: String
    public var tuning: [Value]
    public var error: String?

    public init(path: String, tuning: [Value], error: String? = nil) {
        (self.path, self.tuning, self.error) = (path, tuning, error)
    }

    /// One line for the Overview.
    public var line: String {
        if let error { return "\(path) cannot be read: \(error)" }
        let set = tuning.compactMap { v in v.value.map { "\(v.key) \($0)" } }
        return (set.isEmpty ? "no tuning keys set" : set.joined(separator: " · ")) + " · \(path)"
    }
}

/// What the config dialog asks the runtime to write (`ocore env config NAME set K=V… [--restart]`).
public struct OdooConfigEdit: Equatable, Sendable {
    public struct Change: Equatable, Sendable {
        public var key: String
        public var value: String
    }

    public var environment: String
    public var changes: [Change]
    public var restart: Bool
}

/// `C` on an environment: the tuning keys of its odoo.conf, edited in place on its server (the
/// file keeps its comments and order, a `.bak` beside it); Odoo reads them when it restarts.
public struct OdooConfigDialogState: Equatable, Sendable {
    public enum Field: Hashable, Sendable {
        case key(Int)
        case restart, save
    }

    public var environment: EnvironmentRow
    public var config: OdooConfigSummary
    public var values: [TextFieldState]
    public var restart = false
    public var field = Field.key(0)
    public var error: String?

    public init(environment: EnvironmentRow, config: OdooConfigSummary) {
        self.environment = environment
        self.config = config
        values = config.tuning.map { TextFieldState(text: $0.value ?? "") }
    }

    /// Restarting needs the service commands; without them the box is not offered.
    public var canRestart: Bool { environment.serviceStop != nil && environment.serviceStart != nil }

    public var fields: [Field] { config.tuning.indices.map(Field.key) + (canRestart ? [.restart] : []) + [.save] }

    /// The keys whose text differs from the file.
    public var changes: [OdooConfigEdit.Change] {
        zip(config.tuning, values).compactMap { original, field in
            let text = field.text.trimmingCharacters(in: .whitespaces)
            return text == (original.value ?? "") ? nil : OdooConfigEdit.Change(key: original.key, value: text)
        }
    }
}

extension OdooConfigDialogState.Field {
    var control: FormControl {
        switch self {
        case .key: .text
        case .restart: .toggle
        case .save: .button
        }
    }
}

func handleOdooConfigDialog(_ key: Key, _ dialog: inout OdooConfigDialogState, _ state: inout DashboardState) -> [Effect] {
    var saving = false
    switch FormKeys.onePage(key, focus: &dialog.field, fields: dialog.fields, control: \.control) {
    case .close:
        state.overlay = .none
        return []
    case .change: if dialog.field == .restart { dialog.restart.toggle() }
    case .submit: saving = true
    case .edit(let key):
        if case .key(let i) = dialog.field { _ = dialog.values[i].handle(key) }
        dialog.error = nil
    case .none: break
    }
    if saving {
        let changes = dialog.changes
        if let cleared = changes.first(where: { $0.value.isEmpty }) {
            dialog.error = "\(cleared.key) cannot be emptied here: give it a value (remove a line in the file itself)"
        } else if changes.isEmpty && !dialog.restart {
            dialog.error = "nothing changed"
        } else {
            state.overlay = .none
            return [.editEnvironment(.odooConfig(OdooConfigEdit(environment: dialog.environment.name, changes: changes, restart: dialog.restart)))]
        }
    }
    state.overlay = .odooConfig(dialog)
    return []
}
