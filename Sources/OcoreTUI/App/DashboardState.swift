import OcoreModel

/// An environment as the dashboard lists it: nothing it must query again to draw a row.
public struct EnvironmentRow: Equatable, Sendable {
    public var project: String
    public var name: String
    public var type: EnvironmentType
    public var server: String
    public var serverLabel: String
    public var database: String
    public var filestore: String
    public var url: String?
    public var isProtected: Bool
    public var isRemote: Bool
    /// What the edit dialog starts from (commands as typed: words separated by blanks).
    public var serviceStop: String? = nil
    public var serviceStart: String? = nil
    public var filestoreOwner: String? = nil
    /// Where the environment's odoo.conf is on its server, when known.
    public var odooConf: String? = nil

    public init(project: String, name: String, type: EnvironmentType, server: String, serverLabel: String = "", database: String,
                filestore: String = "", url: String? = nil, isProtected: Bool, isRemote: Bool = false) {
        self.project = project
        self.name = name
        self.type = type
        self.server = server
        self.serverLabel = serverLabel.isEmpty ? server : serverLabel
        self.database = database
        self.filestore = filestore
        self.url = url
        self.isProtected = isProtected
        self.isRemote = isRemote
    }

    public init(_ env: ResolvedEnvironment) {
        var isRemote = false
        if case .ssh = env.server.connection { isRemote = true }
        self.init(project: env.environment.project, name: env.environment.name, type: env.environment.type, server: env.server.name,
                  serverLabel: "\(env.server.name) (\(env.server.kindLabel))", database: env.environment.dbName, filestore: env.filestore,
                  url: env.environment.url, isProtected: env.environment.isProtected, isRemote: isRemote)
        serviceStop = env.environment.serviceStop?.joined(separator: " ")
        serviceStart = env.environment.serviceStart?.joined(separator: " ")
        filestoreOwner = env.environment.filestoreOwner
        odooConf = env.environment.odooConf
    }
}

extension EnvironmentRow {
    /// The tree's rows. Protection follows the data: a record that shares a protected
    /// environment's database or filestore is protected too (its restore needs the typed name).
    public static func rows(_ resolved: [ResolvedEnvironment]) -> [EnvironmentRow] {
        var servers: [String: Server] = [:]
        for r in resolved where servers[r.server.name] == nil { servers[r.server.name] = r.server }
        let protection = SharedData.protection(of: resolved.map(\.environment), servers: Array(servers.values))
        return resolved.map { r in
            var row = EnvironmentRow(r)
            row.isProtected = protection[r.environment.name] != nil
            return row
        }
    }
}

/// A line of the left pane: a project heading, or one of its environments.
public enum TreeRow: Equatable, Sendable {
    case project(String, count: Int, collapsed: Bool)
    case environment(EnvironmentRow)
}

public enum Pane: Equatable, Sendable { case tree, details }

public enum DetailTab: Int, CaseIterable, Sendable {
    case overview, backups, jobs, log, restores

    public var title: String {
        switch self {
        case .overview: "Overview"
        case .backups: "Backups"
        case .jobs: "Jobs"
        case .log: "Log"
        case .restores: "Restore points"
        }
    }
}

/// The command palette: a text field and the actions that match it.
public struct PaletteState: Equatable, Sendable {
    public var field = TextFieldState()
    public var selected = 0

    public init() {}

    public var matches: [PaletteAction] { PaletteAction.matching(field.text) }
}

public enum Overlay: Equatable, Sendable {
    case none
    case help
    case palette(PaletteState)
    case cloneWizard(CloneWizardState)
    case progress(ProgressModalState)
    case backupDialog(BackupDialogState)
    case restoreDialog(RestoreDialogState)
    case restoreConfirmation(RestoreConfirmationState)
    case deleteBackup(DeleteBackupState)
    case destroyEnvironment(DestroyDialogState)
    case editEnvironment(EditEnvironmentState)
    case refreshDialog(RefreshDialogState)
    case jobs(JobsViewState)
    case servers(ServersViewState)
    case policyDialog(PolicyDialogState)
    case audit(AuditViewState)
    case odooConfig(OdooConfigDialogState)
    case exportBackup(ExportBackupState)
    case retention(RetentionViewState)
}

/// Everything the dashboard shows. A value: `update` returns the next one, `render` draws it.
public struct DashboardState: Equatable, Sendable {
    public var environments: [EnvironmentRow] = [] { didSet { rebuildTree() } }
    public var statuses: [String: EnvironmentStatus] = [:]
    public var activeJobs: [JobRecord] = []
    /// Shows everything, changes nothing (`ocore --readonly`).
    public var readOnly = false
    /// Jobs still recorded as running whose worker died; a new worker is recovering them.
    public var workerGone: Set<Int64> = []
    /// Jobs of the selected environment, newest first, and the log of the one chosen in the Jobs tab.
    public var environmentJobs: [JobRecord] = []
    /// Backups of the selected environment, newest first (expired and deleted ones left out).
    public var environmentBackups: [BackupRecord] = []
    /// Where each listed backup also lies: the storages of its verified second copies.
    public var backupCopies: [String: [String]] = [:]
    /// Restores into the selected environment, newest first, and the timeline's filters.
    public var environmentRestorePoints: [RestorePointRecord] = []
    public var timelineState = TimelineState()
    public var backupsList = ListState()
    public var storages: [StorageChoice] = []
    /// Each refreshed environment's weekly schedule, by target.
    public var refreshes: [String: RefreshSchedule] = [:]
    /// Golden copies by the environment they copy.
    public var goldenCopies: [String: [GoldenCopy]] = [:]
    /// Every server, and what each can take (as last read in the background).
    public var servers: [ServerRow] = []
    public var serverFacts: [String: ServerFacts] = [:]
    /// Each environment's backup schedule and retention, by environment.
    public var policies: [String: BackupPolicyRecord] = [:]
    /// Each environment's odoo.conf, as read last (its tuning keys; or why it could not be read).
    public var odooConfigs: [String: OdooConfigSummary] = [:]
    public var jobLog: [JobLogLine] = []
    public var collapsed: Set<String> = [] { didSet { if collapsed != oldValue { rebuildTree() } } }
    public var tree = ListState()
    public var jobsList = ListState()
    public var focus = Pane.tree
    public var tab = DetailTab.overview
    public var filter = TextFieldState() { didSet { if filter.text != oldValue.text { rebuildTree() } } }
    public var filtering = false
    public var logView = LogViewState()
    public var logSearch = TextFieldState()
    public var searchingLog = false
    public var overlay = Overlay.none
    public var toast: Toast?
    public var width = 80
    public var height = 24
    /// Seconds since 1970, advanced by ticks (ages and toasts are computed from it).
    public var now: Double = 0
    public var spinnerFrame = 0
    public var storeError: String?
    public var shouldQuit = false
    public let storePath: String

    /// Rows of the left pane after filtering (by environment, project, server or database name)
    /// and collapsing. Kept, not computed on each read: every key asks for the focused
    /// environment several times, and a thousand environments make that a frame's budget.
    public private(set) var treeRows: [TreeRow] = []

    private mutating func rebuildTree() {
        let needle = filter.text.localizedLowercase
        var order: [String] = []
        var members: [String: [EnvironmentRow]] = [:]
        for env in environments where needle.isEmpty || [env.name, env.project, env.server, env.database, env.type.rawValue]
            .contains(where: { $0.localizedLowercase.contains(needle) }) {
            if members[env.project] == nil { order.append(env.project) }
            members[env.project, default: []].append(env)
        }
        var rows: [TreeRow] = []
        for project in order {
            let envs = members[project] ?? []
            let isCollapsed = collapsed.contains(project) && needle.isEmpty
            rows.append(.project(project, count: envs.count, collapsed: isCollapsed))
            if !isCollapsed { rows += envs.map(TreeRow.environment) }
        }
        treeRows = rows
    }

    /// The environment under the cursor (nil on a project heading).
    public var selectedEnvironment: EnvironmentRow? {
        let rows = treeRows
        guard rows.indices.contains(tree.selected), case .environment(let env) = rows[tree.selected] else { return nil }
        return env
    }

    /// The selected environment, or the first of the project under the cursor.
    public var focusedEnvironment: EnvironmentRow? {
        if let env = selectedEnvironment { return env }
        let rows = treeRows
        guard rows.indices.contains(tree.selected), case .project(let name, _, _) = rows[tree.selected] else { return nil }
        return environments.first { $0.project == name }
    }

    /// Layout: title bar, jobs strip (up to 3 lines), hint bar.
    public var jobsStripHeight: Int { min(activeJobs.count, 3) }
    public var bodyHeight: Int { max(height - 2 - jobsStripHeight, 0) }
    /// Rows the tree shows (minus the filter line when there is one).
    public var treeVisibleRows: Int { max(bodyHeight - 2 - (filtering || !filter.text.isEmpty ? 1 : 0), 1) }
    public var isTooSmall: Bool { width < 60 || height < 12 }
}

/// Messages: input, time, and results of work done off the UI thread.
public enum Message: Equatable, Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
    case tick(now: Double)
    case environmentsLoaded([EnvironmentRow])
    case jobsLoaded(active: [JobRecord])
    /// The running jobs whose worker is gone (empty when the worker is alive).
    case workerChecked(gone: [Int64])
    /// Every job, newest first, for the Jobs view.
    case allJobsLoaded([JobRecord])
    case auditLoaded(matching: String, [AuditRecord])
    /// Right after start: the jobs running now, and who runs the dashboard (a job of theirs opens its modal).
    case startedWithJobs(active: [JobRecord], user: String)
    case environmentDetailsLoaded(environment: String, jobs: [JobRecord], log: [JobLogLine], backups: [BackupRecord])
    case backupCopiesLoaded(environment: String, [String: [String]])
    case storagesLoaded([StorageChoice])
    case refreshesLoaded([String: RefreshSchedule])
    case goldenCopiesLoaded([String: [GoldenCopy]])
    case policiesLoaded([String: BackupPolicyRecord])
    case serversLoaded([ServerRow])
    case serverEdited(String, ok: Bool)
    case serverTested(name: String, lines: [String])
    case odooConfigLoaded(environment: String, OdooConfigSummary)
    case refreshRefused(String)
    case backupRefused(String)
    /// The engine asks before this restore starts (another Odoo version).
    case restoreNeedsConfirmation(RestoreDialogRequest, question: String)
    case restoreRefused(String)
    case statusUpdated(environment: String, EnvironmentStatus)
    case jobEnded(JobRecord)
    case storeFailed(String)
    case impactsLoaded(source: String, [String: Int?])
    /// The impacts and the coverage of every text column, counted together on the source.
    case sanitizationCounted(source: String, SanitizationCounts)
    /// A clone, backup or restore was queued as this job: its progress modal opens.
    case jobStarted(Int64)
    case cloneRefused(String)
    case destroyRefused(String)
    case retryRefused(String)
    case environmentEdited(String, ok: Bool)
    case jobProgressLoaded(JobRecord, [JobStepRecord], [JobLogLine])
    case backupActionFinished(String, ok: Bool)
    case restorePointsLoaded(environment: String, [RestorePointRecord])
    case jobResultLoaded(Int64, String)
    case cloneHistoryLoaded(server: String, CloneHistory)
    case serverFactsLoaded(server: String, ServerFacts)
    case retentionLoaded(environment: String, [Retention.Decision], swept: Bool)
}

/// Side effects `update` asks the runtime for; their results come back as messages.
public enum Effect: Equatable, Sendable {
    case reloadStore
    case loadDetails(environment: String, job: Int64?)
    case probe(environment: String)
    case redrawAll
    case bell
    case loadImpacts(source: String)
    case startClone(CloneWizardRequest)
    case startBackup(BackupDialogRequest)
    case startRestore(RestoreDialogRequest)
    case destroyEnvironment(DestroyDialogRequest)
    case runRefresh(String)
    case editEnvironment(EnvironmentEdit)
    case loadJobProgress(Int64)
    case cancelJob(Int64)
    /// Queue a failed, cancelled or interrupted job again with its parameters (`ocore jobs retry`).
    case retryJob(Int64)
    /// Every job (the Jobs view).
    case loadAllJobs
    /// Add or remove a server, as `ocore server add|rm`.
    case editServer(ServerEdit)
    /// Run `ocore server test`'s checks on a server.
    case testServer(String)
    /// The audit log, narrowed by words.
    case loadAudit(matching: String)
    case backupAction(BackupAction)
    /// The environment's retention plan (dry run), or, with `sweep`, carry it out.
    case loadRetention(environment: String, sweep: Bool)
    /// Free disk and PostgreSQL version of a server, for the restore dialog.
    case loadServerFacts(String)
    /// What past clones onto a server measured, for the wizard's estimate.
    case loadCloneHistory(String)
}

/// Where the dashboard's parts are on screen: one computation for the view and for mouse hits.
public struct DashboardLayout: Equatable, Sendable {
    public var body: Rect
    public var tree: Rect
    public var details: Rect

    public init(_ state: DashboardState) {
        let area = Rect(x: 0, y: 0, width: state.width, height: state.height)
        let (_, rest) = area.splitTop(1)
        let (aboveHints, _) = rest.splitBottom(1)
        body = aboveHints.splitBottom(state.jobsStripHeight).0
        let treeWidth = min(max(body.width * 35 / 100, 28), 44)
        (tree, details) = body.splitLeft(treeWidth)
    }

    /// The first screen row of tree entries (inside the border, below the filter line).
    public func firstTreeRow(_ state: DashboardState) -> Int {
        tree.y + 1 + (state.filtering || !state.filter.text.isEmpty ? 1 : 0)
    }

    /// The tab whose title is at column `x` of the tab line (`y == details.y + 1`).
    public func tab(atColumn x: Int) -> DetailTab? {
        let labels = Tabs.layout(DetailTab.allCases.map(\.title), width: details.width - 2)
        for (tab, (label, offset)) in zip(DetailTab.allCases, labels) {
            let start = details.x + 1 + offset
            if x >= start && x < start + TextWidth.of(label) { return tab }
        }
        return nil
    }
}

extension DashboardState {
    /// A job's status as the operator should read it: a running job whose worker died is not running.
    public func shownStatus(_ job: JobRecord) -> String {
        job.status == .running && workerGone.contains(job.id) ? "interrupted (worker gone)" : job.status.rawValue
    }
}

extension DashboardState {
    /// Selects an environment in the tree (its project opened, the filter cleared if it hides it);
    /// false when there is no such environment.
    public mutating func select(environment name: String) -> Bool {
        guard let env = environments.first(where: { $0.name == name }) else { return false }
        collapsed.remove(env.project)
        func index() -> Int? { treeRows.firstIndex { if case .environment(let e) = $0 { e.name == name } else { false } } }
        if index() == nil { filter = TextFieldState() }
        guard let found = index() else { return false }
        tree.selected = found
        tree.clamp(count: treeRows.count, visible: treeVisibleRows)
        focus = .tree
        tab = .overview
        return true
    }
}
