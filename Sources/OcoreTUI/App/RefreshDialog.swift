import OcoreModel

/// The refresh dialog's schedule, as `ocore refresh set` takes it.
public struct RefreshScheduleForm: Equatable, Sendable {
    public var target: String
    public var source: String
    /// sun … sat
    public var weekday: String
    /// HH:MM, local time.
    public var at: String
    public var preset: SanitizationCatalog.Preset
    public var keepUsers: [String]
    public var confirmation: String
}

/// `F` on an environment: its weekly refresh, set up, changed, run now or removed. Saving needs
/// the target's name typed (every run replaces it); running it now is what the schedule would do.
public struct RefreshDialogState: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case source, weekday, at, preset, keepUsers, confirm, save, runNow, remove }

    /// Presets a refresh may use: a scheduled copy always sanitizes.
    public static let presets = SanitizationCatalog.Preset.allCases.filter { $0 != .none }

    public var target: EnvironmentRow
    public var existing: RefreshSchedule?
    /// Every other environment, the possible sources.
    public var sources: [String]
    public var source: Int
    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int
    public var at: TextFieldState
    public var preset: Int
    public var keepUsers: TextFieldState
    public var confirmation = TextFieldState()
    public var field = Field.source
    public var error: String?

    public init(target: EnvironmentRow, existing: RefreshSchedule?, environments: [EnvironmentRow]) {
        self.target = target
        self.existing = existing
        let others = environments.filter { $0.name != target.name }
        let names = others.map(\.name)
        sources = names
        // The schedule's source, else the project's production, else the first other environment.
        let preferred = existing?.source ?? others.first { $0.project == target.project && $0.type == .production }?.name
        source = preferred.flatMap { names.firstIndex(of: $0) } ?? 0
        weekday = max(0, min(6, (existing?.weekday ?? 1) - 1))
        at = TextFieldState(text: existing?.at ?? "03:00")
        preset = Self.presets.firstIndex(of: existing?.preset ?? SanitizationCatalog.defaultPreset) ?? 0
        keepUsers = TextFieldState(text: existing?.keepUsers.joined(separator: ",") ?? "")
    }

    public var fields: [Field] {
        [.source, .weekday, .at, .preset, .keepUsers, .confirm, .save] + (existing == nil ? [] : [.runNow, .remove])
    }

    public var form: RefreshScheduleForm {
        RefreshScheduleForm(target: target.name, source: sources.isEmpty ? "" : sources[source], weekday: RetentionPolicy.weekdays[weekday],
                            at: at.text.trimmingCharacters(in: .whitespaces), preset: Self.presets[preset],
                            keepUsers: keepUsers.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                            confirmation: confirmation.text)
    }
}

extension RefreshDialogState.Field {
    var control: FormControl {
        switch self {
        case .at, .keepUsers, .confirm: .text
        case .source, .weekday, .preset: .choice
        case .save, .runNow, .remove: .button
        }
    }
}

func handleRefreshDialog(_ key: Key, _ dialog: inout RefreshDialogState, _ state: inout DashboardState) -> [Effect] {
    var pressed: RefreshDialogState.Field?
    switch FormInput.interpret(key, on: dialog.field.control) {
    case .close:
        state.overlay = .none
        return []
    case .move(let delta), .page(let delta): dialog.field = FormKeys.moved(dialog.field, by: delta, in: dialog.fields)
    case .change(let delta): step(&dialog, by: delta)
    case .activate:
        if dialog.field.control == .button { pressed = dialog.field } else { step(&dialog, by: 1) }
    case .advance:
        if let next = FormKeys.advanced(dialog.field, in: Array(dialog.fields.prefix { $0 != .runNow })) { dialog.field = next } else { pressed = .save }
    case .edit(let key):
        switch dialog.field {
        case .at: _ = dialog.at.handle(key)
        case .keepUsers: _ = dialog.keepUsers.handle(key)
        case .confirm: _ = dialog.confirmation.handle(key)
        default: break
        }
        dialog.error = nil
    case .none: break
    }
    switch pressed {
    case .save?:
        if dialog.sources.isEmpty {
            dialog.error = "there is no other environment to refresh \(dialog.target.name) from"
        } else if dialog.confirmation.text != dialog.target.name {
            dialog.error = "every refresh replaces \(dialog.target.name): type its name to save"
            dialog.field = .confirm
        } else {
            state.overlay = .none
            return [.editEnvironment(.refreshSchedule(dialog.form))]
        }
    case .runNow?:
        state.overlay = .none
        return [.runRefresh(dialog.target.name)]
    case .remove?:
        state.overlay = .none
        return [.editEnvironment(.removeRefreshSchedule(target: dialog.target.name))]
    default: break
    }
    state.overlay = .refreshDialog(dialog)
    return []
}

private func step(_ dialog: inout RefreshDialogState, by delta: Int) {
    switch dialog.field {
    case .source: dialog.source = FormKeys.stepped(dialog.source, by: delta, count: dialog.sources.count)
    case .weekday: dialog.weekday = FormKeys.stepped(dialog.weekday, by: delta, count: 7)
    case .preset: dialog.preset = FormKeys.stepped(dialog.preset, by: delta, count: RefreshDialogState.presets.count)
    default: break
    }
}
