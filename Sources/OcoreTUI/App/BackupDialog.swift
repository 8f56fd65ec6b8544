import OcoreModel

/// A storage target as the backup dialog offers it.
public struct StorageChoice: Equatable, Sendable {
    public var name: String
    public var kind: String
    public var isDefault: Bool
    /// Set for a provider that sends data in clear (plain FTP): the dialog says "less secure".
    public var lessSecure = false
}

/// What the backup dialog asks the runtime to start (the same request as `ocore backup create`).
public struct BackupDialogRequest: Equatable, Sendable {
    public var environment: String
    public var storage: String
    public var type: BackupType
    public var includeFilestore: Bool
    /// nil = auto (GFS by date).
    public var tier: RetentionTier?
    public var format: BackupFormat = .odooZip
    /// A sanitized backup to hand out with this preset (`backup create --sanitized --preset`); nil: the data as it is.
    public var sanitized: SanitizationCatalog.Preset? = nil
}

/// The `b` dialog: storage (default marked), type, sanitized, filestore, format, retention tier.
public struct BackupDialogState: Equatable, Sendable {
    public enum Field: Int, CaseIterable, Sendable { case storage, type, sanitized, filestore, format, retention, start }

    public static let types: [BackupType] = [.manual, .preUpgrade]
    public static let tiers: [RetentionTier?] = [nil, .daily, .weekly, .monthly, .yearly, .permanent]
    /// No sanitization (the data as it is), or a sanitized copy to hand out with a preset.
    public static let sanitizations: [SanitizationCatalog.Preset?] = [nil, .recommended, .full, .minimal]

    public var sanitized: SanitizationCatalog.Preset? { Self.sanitizations[sanitization] }

    public var environment: EnvironmentRow
    public var storages: [StorageChoice]
    public var storage: Int
    public var type = 0
    public var includeFilestore = true
    /// An index into ``sanitizations``.
    public var sanitization = 0
    public var filestoreSize: Int64?
    public var tier = 0
    /// An index into ``PolicyDialogState/formats``: the environment's schedule's format, else an Odoo ZIP.
    public var format: Int
    public var field = Field.storage

    public init(environment: EnvironmentRow, storages: [StorageChoice], filestoreSize: Int64?, format: BackupFormat = .odooZip) {
        self.environment = environment
        self.format = PolicyDialogState.formats.firstIndex(of: format) ?? 1
        self.storages = storages
        self.storage = storages.firstIndex(where: \.isDefault) ?? 0
        self.filestoreSize = filestoreSize
    }

    public var request: BackupDialogRequest? {
        guard storages.indices.contains(storage) else { return nil }
        return BackupDialogRequest(environment: environment.name, storage: storages[storage].name, type: Self.types[type],
                                   includeFilestore: includeFilestore, tier: Self.tiers[tier], format: PolicyDialogState.formats[format], sanitized: sanitized)
    }

    static func tierLabel(_ tier: RetentionTier?) -> String {
        switch tier {
        case nil: "auto (GFS by date)"
        case .hourly?: "hourly · 48 hours"
        case .daily?: "daily · 7 days"
        case .weekly?: "weekly · 4 weeks"
        case .monthly?: "monthly · 12 months"
        case .yearly?: "yearly · 2 years"
        case .permanent?: "permanent · never expires"
        }
    }
}

func openBackupDialog(_ state: inout DashboardState) -> [Effect] {
    guard let env = state.focusedEnvironment else { return [] }
    guard !state.storages.isEmpty else {
        state.toast = Toast(message: "no storage target: add one with `ocore storage add NAME --dir PATH --default`", kind: .error, expiresAt: state.now + 10)
        return []
    }
    state.overlay = .backupDialog(BackupDialogState(environment: env, storages: state.storages, filestoreSize: state.statuses[env.name]?.filestoreSize,
                                                    format: state.policies[env.name]?.format ?? .odooZip))
    return []
}

func handleBackupDialog(_ key: Key, _ dialog: inout BackupDialogState, _ state: inout DashboardState) -> [Effect] {
    let fields = BackupDialogState.Field.allCases
    func start() -> [Effect] {
        guard let request = dialog.request else { return [] }
        state.overlay = .none
        return [.startBackup(request)]
    }
    switch FormInput.interpret(key, on: dialog.field.control) {
    case .close:
        state.overlay = .none
        return []
    case .move(let delta), .page(let delta): dialog.field = FormKeys.moved(dialog.field, by: delta, in: fields)
    case .change(let delta): dialog.change(by: delta)
    case .activate:
        if dialog.field == .start { return start() }
        dialog.change(by: 1)
    case .advance:
        guard let next = FormKeys.advanced(dialog.field, in: fields) else { return start() }
        dialog.field = next
    case .edit, .none: break
    }
    state.overlay = .backupDialog(dialog)
    return []
}

extension BackupDialogState.Field {
    var control: FormControl {
        switch self {
        case .storage, .type, .format, .retention: .choice
        case .sanitized: .choice
        case .filestore: .toggle
        case .start: .button
        }
    }
}

extension BackupDialogState {
    /// Steps the focused choice (or flips the toggle).
    mutating func change(by delta: Int) {
        switch field {
        case .storage: storage = FormKeys.stepped(storage, by: delta, count: storages.count)
        case .type: type = FormKeys.stepped(type, by: delta, count: Self.types.count)
        case .filestore: includeFilestore.toggle()
        case .sanitized:
            // The attachments are production documents and a sanitized dump is an Odoo ZIP.
            let was = sanitized
            sanitization = FormKeys.stepped(sanitization, by: delta, count: Self.sanitizations.count)
            if was == nil && sanitized != nil {
                includeFilestore = false
                format = PolicyDialogState.formats.firstIndex(of: .odooZip) ?? format
            }
        case .retention: tier = FormKeys.stepped(tier, by: delta, count: Self.tiers.count)
        case .format: format = FormKeys.stepped(format, by: delta, count: PolicyDialogState.formats.count)
        case .start: break
        }
    }
}
