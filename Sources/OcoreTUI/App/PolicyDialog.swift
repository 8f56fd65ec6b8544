import OcoreModel
import OcoreStore

/// The policy dialog's schedule, as `ocore policy set` takes it.
public struct BackupPolicyForm: Equatable, Sendable {
    public var environment: String
    /// HH:MM, local time: the day's first backup.
    public var at: String
    /// "6h" for a backup every six hours from `at`; nil for once a day.
    public var every: String?
    /// Hours the day's later backups are kept (with `every`).
    public var hourly: String
    /// The weekday whose backup becomes the weekly (sun … sat).
    public var weeklyWeekday: String
    public var daily: String, weekly: String, monthly: String, yearly: String
    /// nil = the default storage.
    public var storage: String?
    /// A second storage each backup is copied to; nil for none.
    public var copyTo: String?
    public var includeFilestore: Bool
    /// sun … sat, or nil for no weekly restore test.
    public var restoreTest: String?
    /// incremental, odoo-zip or folder.
    public var format: String = BackupFormat.incremental.rawValue
}

/// `P` on an environment: its daily backup (or every few hours from it), the GFS tiers it keeps,
/// and the weekly restore test; an existing schedule can also be switched off or on, or removed.
/// The numbers stay text here: the engine checks them, as it checks `ocore policy set`.
public struct PolicyDialogState: Equatable, Sendable {
    public enum Field: Equatable, Sendable { case at, every, hourly, storage, copyTo, filestore, format, weekday, daily, weekly, monthly, yearly, restoreTest, save, onOff, remove }

    /// The formats a schedule can take, the default first.
    public static let formats: [BackupFormat] = [.incremental, .odooZip, .folder]

    public var environment: EnvironmentRow
    public var existing: BackupPolicyRecord?
    /// "default storage" first, then every storage target by name.
    public var storages: [String]
    public var storage = 0
    /// 0 = no second copy, else an index into `storages` (past "default storage").
    public var copyTo = 0
    public var at: TextFieldState
    /// 0 = once a day, else an index + 1 into ``BackupPolicyRecord/intervals``.
    public var every: Int
    public var hourly: TextFieldState
    public var includeFilestore: Bool
    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int
    public var daily: TextFieldState, weekly: TextFieldState, monthly: TextFieldState, yearly: TextFieldState
    /// 0 = none, 1 … 7 = Sunday … Saturday.
    public var restoreTest: Int
    /// An index into ``formats``.
    public var format = 0
    public var field = Field.at
    public var error: String?

    public init(environment: EnvironmentRow, existing: BackupPolicyRecord?, storages: [StorageChoice]) {
        self.environment = environment
        self.existing = existing
        let names = storages.map(\.name)
        self.storages = ["default storage"] + names
        if let chosen = existing?.storage, let index = names.firstIndex(of: chosen) { storage = index + 1 }
        if let chosen = existing?.copyTo, let index = names.firstIndex(of: chosen) { copyTo = index + 1 }
        let r = existing?.retention ?? RetentionPolicy()
        at = TextFieldState(text: existing?.at ?? "02:00")
        every = existing?.everyHours.flatMap { BackupPolicyRecord.intervals.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        hourly = TextFieldState(text: String(r.hourlyHours ?? 48))
        includeFilestore = existing?.includeFilestore ?? true
        weekday = max(0, min(6, r.weeklyWeekday - 1))
        daily = TextFieldState(text: String(r.dailyDays))
        weekly = TextFieldState(text: String(r.weeklyWeeks))
        monthly = TextFieldState(text: String(r.monthlyMonths))
        yearly = TextFieldState(text: String(r.yearlyYears))
        restoreTest = existing?.restoreTestWeekday ?? 0
        format = existing.flatMap { Self.formats.firstIndex(of: $0.format) } ?? 0
    }

    public var fields: [Field] {
        [.at, .every] + (every == 0 ? [] : [.hourly]) + [.storage, .copyTo, .filestore, .format, .weekday, .daily, .weekly, .monthly, .yearly, .restoreTest, .save]
            + (existing == nil ? [] : [.onOff, .remove])
    }

    /// "6h", or nil for once a day.
    public var everyText: String? { every == 0 ? nil : "\(BackupPolicyRecord.intervals[every - 1])h" }

    public var form: BackupPolicyForm {
        BackupPolicyForm(environment: environment.name, at: at.text.trimmingCharacters(in: .whitespaces), every: everyText, hourly: hourly.text,
                         weeklyWeekday: RetentionPolicy.weekdays[weekday],
                         daily: daily.text, weekly: weekly.text, monthly: monthly.text, yearly: yearly.text,
                         storage: storage == 0 ? nil : storages[storage], copyTo: copyTo == 0 ? nil : storages[copyTo], includeFilestore: includeFilestore,
                         restoreTest: restoreTest == 0 ? nil : RetentionPolicy.weekdays[restoreTest - 1], format: Self.formats[format].rawValue)
    }
}

extension PolicyDialogState.Field {
    var control: FormControl {
        switch self {
        case .at, .hourly, .daily, .weekly, .monthly, .yearly: .text
        case .every, .storage, .copyTo, .format, .weekday, .restoreTest: .choice
        case .filestore: .toggle
        case .save, .onOff, .remove: .button
        }
    }
}

func handlePolicyDialog(_ key: Key, _ dialog: inout PolicyDialogState, _ state: inout DashboardState) -> [Effect] {
    var saving = false
    // Enter on the last field before Save saves; the buttons after it are pressed, not reached.
    let formFields = dialog.fields.filter { $0 != .onOff && $0 != .remove }
    let pressedOn = dialog.field
    switch FormKeys.onePage(key, focus: &dialog.field, fields: FormInput.interpret(key, on: dialog.field.control) == .advance ? formFields : dialog.fields,
                            control: \.control) {
    case .close:
        state.overlay = .none
        return []
    case .change(let delta): step(&dialog, by: delta)
    case .submit: saving = true
    case .edit(let key):
        switch dialog.field {
        case .at: _ = dialog.at.handle(key)
        case .hourly: _ = dialog.hourly.handle(key)
        case .daily: _ = dialog.daily.handle(key)
        case .weekly: _ = dialog.weekly.handle(key)
        case .monthly: _ = dialog.monthly.handle(key)
        case .yearly: _ = dialog.yearly.handle(key)
        default: break
        }
        dialog.error = nil
    case .none: break
    }
    if saving {
        state.overlay = .none
        switch pressedOn {
        case .onOff: return [.editEnvironment(.switchBackupPolicy(environment: dialog.environment.name, enabled: !(dialog.existing?.enabled ?? true)))]
        case .remove: return [.editEnvironment(.removeBackupPolicy(environment: dialog.environment.name))]
        default: return [.editEnvironment(.backupPolicy(dialog.form))]
        }
    }
    state.overlay = .policyDialog(dialog)
    return []
}

private func step(_ dialog: inout PolicyDialogState, by delta: Int) {
    switch dialog.field {
    case .every: dialog.every = FormKeys.stepped(dialog.every, by: delta, count: BackupPolicyRecord.intervals.count + 1)
    case .storage: dialog.storage = FormKeys.stepped(dialog.storage, by: delta, count: dialog.storages.count)
    case .copyTo: dialog.copyTo = FormKeys.stepped(dialog.copyTo, by: delta, count: dialog.storages.count)
    case .weekday: dialog.weekday = FormKeys.stepped(dialog.weekday, by: delta, count: 7)
    case .restoreTest: dialog.restoreTest = FormKeys.stepped(dialog.restoreTest, by: delta, count: 8)
    case .format: dialog.format = FormKeys.stepped(dialog.format, by: delta, count: PolicyDialogState.formats.count)
    case .filestore: dialog.includeFilestore.toggle()
    default: break
    }
}
