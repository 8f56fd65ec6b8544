import Foundation
import OcoreModel
import OcoreStore

/// Settings for running the dashboard in a terminal.
public struct DashboardSettings: Sendable {
    public var theme: Theme
    public var escDelayMs: Int
    /// Looks at one environment (database, filestore, URL); runs off the UI thread.
    public var probe: (@Sendable (ResolvedEnvironment) -> EnvironmentStatus)?
    /// Clicks and the wheel (off by default: it takes the terminal's own selection away).
    public var mouse: Bool
    /// Counts each sanitization option's impact on an environment and classifies its columns
    /// (read-only, off the UI thread).
    public var impactPreview: (@Sendable (ResolvedEnvironment) throws -> SanitizationCounts)?
    /// Validates and queues a clone exactly as `ocore clone` does; returns the job id.
    public var startClone: (@Sendable (CloneWizardRequest) throws -> Int64)?
    /// Queues a backup exactly as `ocore backup create` does; returns the job id.
    public var startBackup: (@Sendable (BackupDialogRequest) throws -> Int64)?
    /// Queues a restore exactly as `ocore restore` does; returns the job id.
    public var startRestore: (@Sendable (RestoreDialogRequest) throws -> RestoreStart)?
    public var destroyEnvironment: (@Sendable (DestroyDialogRequest) throws -> Int64)?
    /// Refreshes an environment now from its schedule's source.
    public var runRefresh: (@Sendable (String) throws -> Int64)?
    /// Queues a job again with its parameters, as `ocore jobs retry` does; returns the new job's id.
    public var retryJob: (@Sendable (Int64) throws -> Int64)?
    /// Applies a dialog's change to an environment (settings, refresh schedule, odoo.conf);
    /// returns what changed, in a sentence.
    public var editEnvironment: (@Sendable (EnvironmentEdit) throws -> String)?
    /// Read-only: shows everything, refuses every change.
    public var readOnly = false
    /// Adds or removes a server as `ocore server add|rm` does; returns what happened.
    public var editServer: (@Sendable (ServerEdit) throws -> String)?
    /// `ocore server test`'s checks, one line each ("✓ …" / "✗ …").
    public var testServer: (@Sendable (String) -> [String])?
    /// Who runs the dashboard: a running job of theirs opens its modal at start.
    public var user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "ocore"
    /// Checks that the worker of the running jobs is alive; when it is gone, starts the worker
    /// that recovers them and returns their ids (`JobQueue.noticeDeadWorker`).
    public var noticeDeadWorker: (@Sendable () -> [Int64])?
    /// An environment's odoo.conf, read from its server (nil when it has none known).
    public var odooConfig: (@Sendable (String) throws -> OdooConfigSummary?)?
    /// Verifies, pins, deletes or downloads a backup as `ocore backup …` does; returns what happened.
    public var backupAction: (@Sendable (BackupAction) throws -> String)?
    /// An environment's retention plan (dry run), or with `sweep` carried out, as `ocore retention sweep`.
    public var retention: (@Sendable (_ environment: String, _ sweep: Bool) throws -> [Retention.Decision])?
    /// Free disk and PostgreSQL version of a server (off the UI thread).
    public var serverFacts: (@Sendable (String) -> ServerFacts)?
    /// What finished clones onto a server measured.
    public var cloneHistory: (@Sendable (String) throws -> CloneHistory)?

    public init(theme: Theme, escDelayMs: Int, probe: (@Sendable (ResolvedEnvironment) -> EnvironmentStatus)? = nil, mouse: Bool = false) {
        self.theme = theme
        self.escDelayMs = escDelayMs
        self.probe = probe
        self.mouse = mouse
    }

    /// ESCDELAY: the user's value wins; otherwise ~25 ms locally and ~100 ms over SSH, where
    /// escape sequences can arrive split.
    public static func escDelay(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let value = environment["ESCDELAY"].flatMap(Int.init), value >= 0 { return value }
        return environment["SSH_TTY"] != nil ? 100 : 25
    }
}

/// Messages from background threads to the UI thread.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Message] = []
    private var working = 0
    func post(_ message: Message) { lock.withLock { messages.append(message) } }
    func drain() -> [Message] { lock.withLock { defer { messages = [] }; return messages } }
    /// Background work under way: while some is, the loop waits for input in short slices, so
    /// a result is on screen as soon as it is ready rather than at the next 100 ms.
    func begin() { lock.withLock { working += 1 } }
    func end(_ message: Message?) { lock.withLock { working -= 1; if let message { messages.append(message) } } }
    var isWaiting: Bool { lock.withLock { working > 0 } }
}

/// The event loop. Input, ticks and background results become messages; `update` decides;
/// `render` draws into a buffer; the terminal shows it — only when the state changed, so an idle
/// dashboard writes nothing. The store is re-read only when another process committed
/// (`PRAGMA data_version`), and probes run on their own thread.
public final class DashboardRuntime {
    private let store: SQLiteStateStore
    private let settings: DashboardSettings
    private var state: DashboardState
    private var lastDataVersion: Int?
    private var lastInventoryVersion: Int?
    private var lastRefreshes: [String: RefreshSchedule]?
    private var lastGoldenCopies: [String: [GoldenCopy]]?
    private var lastPolicies: [String: BackupPolicyRecord]?
    private let inbox = Inbox()
    private let probes: ProbeScheduler?
    private var knownActive: Set<Int64> = []
    private var lastWorkerCheck = ContinuousClock.now - .seconds(60)
    private var lastServerFacts = ContinuousClock.now
    /// The environment whose odoo.conf was read last (nil: read it on the next details).
    private var odooConfigRead: String?

    public init(store: SQLiteStateStore, settings: DashboardSettings) {
        self.store = store
        self.settings = settings
        self.state = DashboardState(storePath: store.path)
        self.state.readOnly = settings.readOnly
        self.probes = settings.probe.map { ProbeScheduler(probe: $0, inbox: Inbox()) }
    }

    public func run() throws {
        let terminal = try NcursesTerminal(useColor: settings.theme.name != "mono", escDelayMs: settings.escDelayMs, mouse: settings.mouse)
        defer { terminal.end(); probes?.stop() }
        let size = terminal.size
        state.now = Date().timeIntervalSince1970
        apply(.resize(width: size.width, height: size.height), terminal)
        reloadStore(terminal, force: true)
        apply(.startedWithJobs(active: state.activeJobs, user: settings.user), terminal)
        var dirty = true
        var probing = false
        var lastTick = ContinuousClock.now
        while !state.shouldQuit {
            if dirty {
                draw(terminal)
                dirty = false
            }
            // The probes (a psql and an HTTP check per environment) start once the first frame
            // is on screen: they must not compete with it for the CPU.
            if !probing {
                probes?.start(inbox: inbox)
                probing = true
            }
            let before = state
            switch terminal.readInput(timeoutMs: inbox.isWaiting ? 5 : 100) {
            case .key(let key)?: apply(.key(key), terminal)
            case .mouse(let event)?: apply(.mouse(event), terminal)
            case .resize?:
                let s = terminal.size
                apply(.resize(width: s.width, height: s.height), terminal)
            case nil: break
            }
            for message in inbox.drain() { apply(message, terminal) }
            if ContinuousClock.now - lastTick >= .milliseconds(500) {
                lastTick = ContinuousClock.now
                apply(.tick(now: Date().timeIntervalSince1970), terminal)
                checkWorker()
                refreshServerFacts()
            }
            if state != before { dirty = true }
        }
    }

    /// A killed worker moves nothing in the store, so nothing else would notice: every 2 s while
    /// a job runs, the worker's lock is checked (off the UI thread).
    private func checkWorker() {
        guard let notice = settings.noticeDeadWorker, state.activeJobs.contains(where: { $0.status == .running }),
              ContinuousClock.now - lastWorkerCheck >= .seconds(2) else { return }
        lastWorkerCheck = ContinuousClock.now
        inBackground { .workerChecked(gone: notice()) }
    }

    /// While the Servers view is open, what each server can take is read again every 30 s.
    private func refreshServerFacts() {
        guard case .servers = state.overlay, ContinuousClock.now - lastServerFacts >= .seconds(30) else { return }
        lastServerFacts = ContinuousClock.now
        guard let facts = settings.serverFacts else { return }
        for server in state.servers.map(\.name) { inBackground { .serverFactsLoaded(server: server, facts(server)) } }
    }

    private func draw(_ terminal: NcursesTerminal) {
        var buffer = CellBuffer(width: state.width, height: state.height)
        render(state, theme: settings.theme, into: &buffer)
        terminal.draw(buffer)
    }

    private func apply(_ message: Message, _ terminal: NcursesTerminal) {
        // A saved change may have rewritten odoo.conf: the next details read it again.
        if case .environmentEdited = message { odooConfigRead = nil }
        if case .environmentsLoaded = message { odooConfigRead = nil }
        for effect in update(&state, message) { perform(effect, terminal) }
    }

    /// Work that may block (PostgreSQL, SSH, storage, the engine's validation) runs off the UI
    /// thread; what it found comes back as a message through the inbox.
    /// Asks the engine to start a job off the main loop: the job's modal opens, or the refusal is shown.
    private func startJob<R: Sendable>(_ start: (@Sendable (R) throws -> Int64)?, _ request: R, refused: @escaping @Sendable (String) -> Message) {
        guard let start else { return }
        inBackground { Result { try start(request) }.map(Message.jobStarted).recover { refused("\($0)") } }
    }

    private func inBackground(_ work: @escaping @Sendable () -> Message?) {
        let inbox = self.inbox
        inbox.begin()
        Thread.detachNewThread { inbox.end(work()) }
    }

    private func perform(_ effect: Effect, _ terminal: NcursesTerminal) {
        switch effect {
        case .redrawAll:
            terminal.invalidate()
            draw(terminal)
        case .reloadStore:
            reloadStore(terminal, force: false)
        case let .loadDetails(environment, job):
            // The details reload with every job update; odoo.conf (a file read over SSH) is read
            // when another environment is shown or something changed, not each time.
            if let read = settings.odooConfig, odooConfigRead != environment {
                odooConfigRead = environment
                inBackground {
                    let summary: OdooConfigSummary?
                    do { summary = try read(environment) } catch { summary = OdooConfigSummary(path: "odoo.conf", tuning: [], error: "\(error)") }
                    return summary.map { .odooConfigLoaded(environment: environment, $0) }
                }
            }
            do {
                let jobs = try store.jobs(forEnvironment: environment, limit: 50)
                let chosen = job.flatMap { id in jobs.first { $0.id == id } } ?? jobs.first
                let log = try chosen.map { try store.logs(ofJob: $0.id, after: 0, limit: 500) } ?? []
                let backups = try store.backups(environment: environment, includeGone: false, limit: 500)
                apply(.environmentDetailsLoaded(environment: environment, jobs: jobs, log: log, backups: backups), terminal)
                let listed = Set(backups.map(\.id))
                let copies = Dictionary(grouping: try store.backupCopies(environment: environment).filter { $0.status == .completed && listed.contains($0.backupID) },
                                        by: \.backupID)
                apply(.backupCopiesLoaded(environment: environment, copies.mapValues { $0.map(\.storage) }), terminal)
                apply(.restorePointsLoaded(environment: environment, try store.restorePoints(environment: environment, limit: 100)), terminal)
            } catch {
                apply(.storeFailed("\(error)"), terminal)
            }
        case .probe(let environment):
            if let env = try? store.resolvedEnvironment(named: environment) { probes?.probeNow(env) }
        case .bell:
            terminal.bell()
        case .loadImpacts(let source):
            guard let preview = settings.impactPreview, let env = try? store.resolvedEnvironment(named: source) else { return }
            inBackground {
                let counts = (try? preview(env)) ?? SanitizationCounts(impacts: [:])
                return .sanitizationCounted(source: source, counts)
            }
        case .startClone(let request):
            startJob(settings.startClone, request, refused: Message.cloneRefused)
        case .startBackup(let request):
            startJob(settings.startBackup, request, refused: Message.backupRefused)
        case .editEnvironment(let request):
            guard let edit = settings.editEnvironment else { return }
            inBackground { Result { try edit(request) }.map { .environmentEdited($0, ok: true) }.recover { .environmentEdited("\(request.environment) not changed: \($0)", ok: false) } }
        case .loadAudit(let matching):
            let store = self.store
            inBackground { (try? store.auditLog(limit: 1000, matching: matching)).map { .auditLoaded(matching: matching, $0) } }
        case .editServer(let edit):
            guard let apply = settings.editServer else { return }
            inBackground { Result { try apply(edit) }.map { .serverEdited($0, ok: true) }.recover { .serverEdited("\($0)", ok: false) } }
        case .testServer(let name):
            guard let test = settings.testServer else { return }
            inBackground { .serverTested(name: name, lines: test(name)) }
        case .loadAllJobs:
            let store = self.store
            inBackground { (try? store.jobs(includeFinished: true, limit: JobsViewState.limit)).map(Message.allJobsLoaded) }
        case .retryJob(let id):
            startJob(settings.retryJob, id, refused: Message.retryRefused)
        case .runRefresh(let target):
            startJob(settings.runRefresh, target, refused: Message.refreshRefused)
        case .destroyEnvironment(let request):
            startJob(settings.destroyEnvironment, request, refused: Message.destroyRefused)
        case .startRestore(let request):
            guard let start = settings.startRestore else { return }
            inBackground {
                Result { try start(request) }.map { started -> Message in
                    switch started {
                    case .started(let id): .jobStarted(id)
                    case .needsConfirmation(let question): .restoreNeedsConfirmation(request, question: question)
                    }
                }.recover { .restoreRefused("\($0)") }
            }
        case .loadJobProgress(let id):
            if let job = try? store.job(id) {
                apply(.jobProgressLoaded(job, (try? store.steps(ofJob: id)) ?? [], (try? store.logs(ofJob: id, after: 0, limit: 500)) ?? []), terminal)
                if job.status.isFinished, let result = (try? store.jobResult(id)) ?? nil { apply(.jobResultLoaded(id, result), terminal) }
            }
        case .backupAction(let action):
            guard let act = settings.backupAction else { return }
            inBackground { Result { try act(action) }.map { .backupActionFinished($0, ok: true) }.recover { .backupActionFinished("\($0)", ok: false) } }
        case let .loadRetention(environment, sweep):
            guard let plan = settings.retention else { return }
            inBackground {
                Result { try plan(environment, sweep) }.map { .retentionLoaded(environment: environment, $0, swept: sweep) }
                    .recover { .backupActionFinished("retention: \($0)", ok: false) }
            }
        case .loadCloneHistory(let server):
            guard let load = settings.cloneHistory else { return }
            inBackground { (try? load(server)).map { .cloneHistoryLoaded(server: server, $0) } }
        case .loadServerFacts(let server):
            guard let facts = settings.serverFacts else { return }
            inBackground { .serverFactsLoaded(server: server, facts(server)) }
        case .cancelJob(let id):
            _ = try? store.requestCancel(id, by: getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "ocore")
        }
    }

    private func reloadStore(_ terminal: NcursesTerminal, force: Bool) {
        do {
            let version = try store.dataVersion()
            guard force || version != lastDataVersion else { return }
            lastDataVersion = version
            // Job progress moves data_version several times a second; the inventory rarely changes.
            let inventory = try store.inventoryVersion()
            if force || inventory != lastInventoryVersion {
                lastInventoryVersion = inventory
                let servers = Dictionary(uniqueKeysWithValues: try store.servers().map { ($0.name, $0) })
                let resolved = try store.environments().compactMap { env in servers[env.server].map { ResolvedEnvironment(env, on: $0) } }
                probes?.setEnvironments(resolved)
                apply(.environmentsLoaded(EnvironmentRow.rows(resolved)), terminal)
                apply(.serversLoaded(servers.values.sorted { $0.name < $1.name }.map(ServerRow.init)), terminal)
                apply(.storagesLoaded(try store.storageTargets().map { StorageChoice(name: $0.name, kind: $0.location.kind, isDefault: $0.isDefault,
                                                                                                  lessSecure: $0.location.securityWarning != nil) }), terminal)
            }
            let refreshes = Dictionary(try store.refreshSchedules().map { ($0.target, $0) }) { first, _ in first }
            let policies = Dictionary(try store.backupPolicies().map { ($0.environment, $0) }) { first, _ in first }
            if policies != lastPolicies {
                lastPolicies = policies
                apply(.policiesLoaded(policies), terminal)
            }
            if refreshes != lastRefreshes {
                lastRefreshes = refreshes
                apply(.refreshesLoaded(refreshes), terminal)
            }
            let goldens = Dictionary(grouping: try store.goldenCopies(), by: \.source)
            if goldens != lastGoldenCopies {
                lastGoldenCopies = goldens
                apply(.goldenCopiesLoaded(goldens), terminal)
            }
            let active = try store.jobs(includeFinished: false)
            let activeIDs = Set(active.map(\.id))
            for ended in knownActive.subtracting(activeIDs) {
                if let job = try? store.job(ended) { apply(.jobEnded(job), terminal) }
            }
            knownActive = activeIDs
            apply(.jobsLoaded(active: active), terminal)
        } catch {
            apply(.storeFailed("\(error)"), terminal)
        }
    }
}

/// Probes environments on a background thread: every 30 s on this host, every 2 min over SSH,
/// and at once on request. Results go to the inbox; the UI thread never waits for them.
/// After each scheduled probe the thread rests as long as the probe took, so probing (a psql
/// and a `du` per environment) keeps to half a core: with a thousand environments each is
/// looked at every minute or two instead of the probes taking a core; one asked for (`r`, a
/// newly focused environment) goes first, without the rest.
final class ProbeScheduler: @unchecked Sendable {
    private let probe: @Sendable (ResolvedEnvironment) -> EnvironmentStatus
    private var inbox: Inbox
    private let condition = NSCondition()
    private var environments: [ResolvedEnvironment] = []
    private var due: [String: Double] = [:]
    private var urgent: [ResolvedEnvironment] = []
    private var stopped = false

    init(probe: @escaping @Sendable (ResolvedEnvironment) -> EnvironmentStatus, inbox: Inbox) {
        self.probe = probe
        self.inbox = inbox
    }

    func start(inbox: Inbox) {
        self.inbox = inbox
        Thread.detachNewThread { [self] in loop() }
    }

    func stop() { condition.lock(); stopped = true; condition.broadcast(); condition.unlock() }

    func setEnvironments(_ envs: [ResolvedEnvironment]) {
        condition.lock(); environments = envs; condition.broadcast(); condition.unlock()
    }

    func probeNow(_ env: ResolvedEnvironment) {
        condition.lock(); urgent.append(env); condition.broadcast(); condition.unlock()
    }

    private func loop() {
        var restUntil = Date.distantPast
        while true {
            condition.lock()
            var next: ResolvedEnvironment?
            var asked = false
            while next == nil && !stopped {
                let now = Date()
                if !urgent.isEmpty {
                    next = urgent.removeFirst()
                    asked = true
                    break
                }
                if now < restUntil {
                    condition.wait(until: restUntil)
                    continue
                }
                next = environments.first { (due[$0.environment.name] ?? 0) <= now.timeIntervalSince1970 }
                if next == nil { condition.wait(until: Date(timeIntervalSinceNow: 1)) }
            }
            if stopped { condition.unlock(); return }
            let env = next!
            let remote: Bool = if case .ssh = env.server.connection { true } else { false }
            due[env.environment.name] = Date().timeIntervalSince1970 + (remote ? 120 : 30)
            condition.unlock()
            let started = Date()
            let status = probe(env)
            if !asked { restUntil = Date() + Date().timeIntervalSince(started) }
            inbox.post(.statusUpdated(environment: env.environment.name, status))
        }
    }
}

extension Result where Success == Message {
    /// The message for either outcome.
    func recover(_ failure: (Failure) -> Message) -> Message {
        switch self {
        case .success(let message): message
        case .failure(let error): failure(error)
        }
    }
}
