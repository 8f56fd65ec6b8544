import Foundation
import OcoreModel

/// The dashboard's one state transition: pure, so every behaviour is testable without a terminal.
public func update(_ state: inout DashboardState, _ message: Message) -> [Effect] {
    guard state.readOnly else { return apply(message, to: &state) }
    if case .key(let key) = message, let action = ReadOnly.refusedAction(key, in: state) {
        state.toast = Toast(message: ReadOnly.reason(action), kind: .error, expiresAt: state.now + 6)
        return []
    }
    var effects = apply(message, to: &state)
    if effects.contains(where: \.isChange) {
        effects.removeAll(where: \.isChange)
        state.overlay = .none
        state.toast = Toast(message: ReadOnly.reason("that change"), kind: .error, expiresAt: state.now + 6)
    }
    return effects
}

private func apply(_ message: Message, to state: inout DashboardState) -> [Effect] {
    switch message {
    case .key(let key):
        return handleKey(key, &state)
    case .mouse(let event):
        return handleMouse(event, &state)
    case let .resize(width, height):
        state.width = width
        state.height = height
        state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
    case .tick(let now):
        state.now = now
        if let toast = state.toast, toast.expiresAt <= now { state.toast = nil }
        if !state.activeJobs.isEmpty { state.spinnerFrame += 1 }
        if case .progress(let modal) = state.overlay { return [.reloadStore, .loadJobProgress(modal.jobID)] }
        return [.reloadStore]
    case .environmentsLoaded(let rows):
        let previous = state.selectedEnvironment?.name
        state.environments = rows
        state.storeError = nil
        if let previous, let index = state.treeRows.firstIndex(where: { if case .environment(let e) = $0 { e.name == previous } else { false } }) {
            state.tree.selected = index
        }
        state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
        return detailsEffect(state)
    case .jobsLoaded(let active):
        state.activeJobs = active
        state.workerGone.formIntersection(active.filter { $0.status == .running }.map(\.id))
        if case .jobs = state.overlay { return detailsEffect(state) + [.loadAllJobs] }
        return detailsEffect(state)
    case let .auditLoaded(matching, records):
        // A reply to an older filter is dropped: the newest typed text wins.
        guard case .audit(var view) = state.overlay, view.filter.text == matching else { return [] }
        view.records = records
        view.loaded = true
        view.list.clamp(count: records.count, visible: max(state.bodyHeight - 5, 1))
        state.overlay = .audit(view)
    case .allJobsLoaded(let jobs):
        guard case .jobs(var view) = state.overlay else { return [] }
        let selected = view.shown.indices.contains(view.list.selected) ? view.shown[view.list.selected].id : nil
        view.jobs = jobs
        view.loaded = true
        // The selection stays on its job as new ones arrive above it.
        if let selected, let index = view.shown.firstIndex(where: { $0.id == selected }) { view.list.selected = index }
        view.list.clamp(count: view.shown.count, visible: max(state.bodyHeight - 5, 1))
        state.overlay = .jobs(view)
    case let .startedWithJobs(active, user):
        // Reopening ocore shows the job it was left watching: the user's running job, or the only
        // one. A retention sweep a backup queued by itself is nobody's to watch.
        let running = active.filter { ($0.status == .running || $0.status == .queued) && !$0.isFollowUp }
        let mine = running.filter { $0.createdBy == user }
        guard state.overlay == .none, let job = mine.count == 1 ? mine.first : running.count == 1 ? running.first : mine.first else { return [] }
        state.overlay = .progress(ProgressModalState(jobID: job.id, openedAt: state.now))
        state.toast = Toast(message: "job #\(job.id) was running: m or Esc minimizes it to the strip, J lists every job", kind: .info, expiresAt: state.now + 8)
        return [.loadJobProgress(job.id)]
    case .workerChecked(let gone):
        let new = Set(gone).subtracting(state.workerGone)
        state.workerGone = Set(gone)
        if !new.isEmpty {
            let ids = new.sorted().map { "#\($0)" }.joined(separator: ", ")
            state.toast = Toast(message: "the worker running job \(ids) is gone (killed, or the host restarted): a new worker is undoing its work",
                                kind: .error, expiresAt: state.now + 15)
        }
    case let .environmentDetailsLoaded(environment, jobs, log, backups):
        guard environment == state.focusedEnvironment?.name else { return [] }
        state.environmentJobs = jobs
        state.environmentBackups = backups
        state.backupsList.clamp(count: backups.count, visible: max(state.bodyHeight - 4, 1))
        state.jobLog = log
        state.jobsList.clamp(count: jobs.count, visible: max(state.bodyHeight - 4, 1))
    case let .backupCopiesLoaded(environment, copies):
        guard environment == state.focusedEnvironment?.name else { return [] }
        state.backupCopies = copies
    case let .statusUpdated(environment, status):
        state.statuses[environment] = status
    case .jobEnded(let job):
        let ok = job.status == .completed
        state.toast = Toast(message: "job \(job.id) \(job.kind)\(job.environment.map { " on \($0)" } ?? "") \(job.status.rawValue)",
                            kind: ok ? .success : .error, expiresAt: state.now + 8)
        return [.bell]
    case .storeFailed(let reason):
        state.storeError = reason
    case let .sanitizationCounted(source, counts):
        let effects = update(&state, .impactsLoaded(source: source, counts.impacts))
        guard case .cloneWizard(var wizard) = state.overlay, wizard.source.name == source else { return effects }
        wizard.coverage = counts.coverage
        wizard.ruleProblems = counts.ruleProblems
        state.overlay = .cloneWizard(wizard)
        return effects
    case let .impactsLoaded(source, impacts):
        if case .restoreDialog(var dialog) = state.overlay, dialog.backup.environment == source {
            dialog.impacts = impacts
            dialog.counting = false
            state.overlay = .restoreDialog(dialog)
            return []
        }
        guard case .cloneWizard(var wizard) = state.overlay, wizard.source.name == source else { return [] }
        wizard.impacts = impacts
        wizard.counting = false
        state.overlay = .cloneWizard(wizard)
    case .jobStarted(let id):
        state.overlay = .progress(ProgressModalState(jobID: id, openedAt: state.now))
        return [.loadJobProgress(id)]
    case .storagesLoaded(let storages):
        state.storages = storages
    case .refreshesLoaded(let refreshes):
        state.refreshes = refreshes
    case .goldenCopiesLoaded(let copies):
        state.goldenCopies = copies
    case .policiesLoaded(let policies):
        state.policies = policies
    case .serversLoaded(let servers):
        let known = Set(state.servers.map(\.name))
        state.servers = servers
        // A server seen for the first time is read at once; the others on their next round.
        return servers.filter { !known.contains($0.name) }.map { .loadServerFacts($0.name) }
    case let .serverEdited(message, ok):
        state.toast = Toast(message: message, kind: ok ? .success : .error, expiresAt: state.now + (ok ? 8 : 15))
        return [.reloadStore]
    case let .serverTested(name, lines):
        guard case .servers(var view) = state.overlay, case .tested(name, _) = view.mode else { return [] }
        view.mode = .tested(name: name, lines: lines)
        state.overlay = .servers(view)
    case let .odooConfigLoaded(environment, summary):
        state.odooConfigs[environment] = summary
    case .refreshRefused(let reason):
        state.toast = Toast(message: "refresh not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case .backupRefused(let reason):
        state.toast = Toast(message: "backup not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case .restoreRefused(let reason):
        state.toast = Toast(message: "restore not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case let .restoreNeedsConfirmation(request, question):
        state.overlay = .restoreConfirmation(RestoreConfirmationState(request: request, question: question))
    case .cloneRefused(let reason):
        state.toast = Toast(message: "clone not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case let .environmentEdited(message, ok):
        state.toast = Toast(message: message, kind: ok ? .success : .error, expiresAt: state.now + (ok ? 8 : 15))
        // What was saved shows at once (an odoo.conf is read again from its server).
        return [.reloadStore] + detailsEffect(state)
    case .retryRefused(let reason):
        state.toast = Toast(message: "retry not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case .destroyRefused(let reason):
        state.toast = Toast(message: "destroy not started: \(reason)", kind: .error, expiresAt: state.now + 10)
    case let .backupActionFinished(message, ok):
        state.toast = Toast(message: message, kind: ok ? .success : .error, expiresAt: state.now + (ok ? 8 : 15))
        return detailsEffect(state)
    case let .jobResultLoaded(id, result):
        guard case .progress(var modal) = state.overlay, modal.jobID == id else { return [] }
        modal.result = result
        state.overlay = .progress(modal)
    case let .restorePointsLoaded(environment, points):
        guard environment == state.focusedEnvironment?.name else { return [] }
        state.environmentRestorePoints = points
    case let .serverFactsLoaded(server, facts):
        state.serverFacts[server] = facts
        if case .cloneWizard(var wizard) = state.overlay {
            wizard.serverFacts[server] = facts
            state.overlay = .cloneWizard(wizard)
        }
        serverFactsLoaded(&state, server: server, facts: facts)
    case let .cloneHistoryLoaded(server, history):
        guard case .cloneWizard(var wizard) = state.overlay else { return [] }
        wizard.history[server] = history
        state.overlay = .cloneWizard(wizard)
    case let .retentionLoaded(environment, lines, swept):
        return retentionLoaded(&state, environment: environment, lines: lines, swept: swept)
    case let .jobProgressLoaded(job, steps, log):
        guard case .progress(var modal) = state.overlay, modal.jobID == job.id else { return [] }
        modal.job = job
        modal.steps = steps
        modal.log = log
        modal.eta.add(time: state.now, percent: job.progress)
        state.overlay = .progress(modal)
    }
    return []
}

private func detailsEffect(_ state: DashboardState) -> [Effect] {
    guard let env = state.focusedEnvironment else { return [] }
    let chosen = state.environmentJobs.indices.contains(state.jobsList.selected) ? state.environmentJobs[state.jobsList.selected].id : nil
    return [.loadDetails(environment: env.name, job: chosen)]
}

private func handleKey(_ key: Key, _ state: inout DashboardState) -> [Effect] {
    // Text entry first: while typing, letters are text, not commands.
    if state.filtering { return editFilter(key, &state) }
    if state.searchingLog { return editLogSearch(key, &state) }
    switch state.overlay {
    case .help:
        if [.escape, .character("?"), .character("q"), .function(1), .enter].contains(key) { state.overlay = .none }
        return []
    case .palette(var palette):
        return handlePalette(key, &palette, &state)
    case .cloneWizard(var wizard):
        return handleWizard(key, &wizard, &state)
    case .progress(var modal):
        return handleProgress(key, &modal, &state)
    case .backupDialog(var dialog):
        return handleBackupDialog(key, &dialog, &state)
    case .restoreDialog(var dialog):
        return handleRestoreDialog(key, &dialog, &state)
    case .restoreConfirmation(let confirmation):
        return handleRestoreConfirmation(key, confirmation, &state)
    case .deleteBackup(var dialog):
        return handleDeleteBackup(key, &dialog, &state)
    case .destroyEnvironment(var dialog):
        return handleDestroyDialog(key, &dialog, &state)
    case .editEnvironment(var dialog):
        return handleEditDialog(key, &dialog, &state)
    case .refreshDialog(var dialog):
        return handleRefreshDialog(key, &dialog, &state)
    case .jobs(var view):
        return handleJobsView(key, &view, &state)
    case .servers(var view):
        return handleServersView(key, &view, &state)
    case .policyDialog(var dialog):
        return handlePolicyDialog(key, &dialog, &state)
    case .audit(var view):
        return handleAuditView(key, &view, &state)
    case .odooConfig(var dialog):
        return handleOdooConfigDialog(key, &dialog, &state)
    case .exportBackup(var dialog):
        return handleExportBackup(key, &dialog, &state)
    case .retention(var view):
        return handleRetentionView(key, &view, &state)
    case .none:
        break
    }
    let before = state.focusedEnvironment?.name
    var effects: [Effect] = []
    switch key {
    case .character("q"), .function(10), .control("c"): state.shouldQuit = true
    case .character("?"), .function(1): state.overlay = .help
    case .character(":"): state.overlay = .palette(PaletteState())
    case .character("/"):
        if state.focus == .details && state.tab == .log { state.searchingLog = true } else {
            state.filtering = true
            state.focus = .tree
        }
    case .control("l"): effects.append(.redrawAll)
    case .character("c"): return openCloneWizard(&state)
    case .character("b"): return openBackupDialog(&state)
    case .character("D"): if let env = state.focusedEnvironment { state.overlay = .destroyEnvironment(DestroyDialogState(environment: env)) }
    case .character("J"):
        state.overlay = .jobs(JobsViewState())
        return [.loadAllJobs]
    case .character("S"):
        state.overlay = .servers(ServersViewState())
        return state.servers.map { .loadServerFacts($0.name) }
    case .character("P"):
        guard let env = state.focusedEnvironment else { break }
        state.overlay = .policyDialog(PolicyDialogState(environment: env, existing: state.policies[env.name], storages: state.storages))
    case .character("A"):
        state.overlay = .audit(AuditViewState())
        return [.loadAudit(matching: "")]
    case .character("w"):
        guard let job = state.activeJobs.first else {
            state.toast = Toast(message: "no job is running: J lists every job", kind: .info, expiresAt: state.now + 5)
            break
        }
        state.overlay = .progress(ProgressModalState(jobID: job.id, openedAt: state.now))
        return [.loadJobProgress(job.id)]
    case .character("E"): if let env = state.focusedEnvironment { state.overlay = .editEnvironment(EditEnvironmentState(environment: env)) }
    case .character("F"):
        guard let env = state.focusedEnvironment else { break }
        if state.refreshes[env.name] == nil, env.isProtected {
            state.toast = Toast(message: "\(env.name) is protected: a weekly refresh would replace it; refresh an unprotected environment", kind: .info, expiresAt: state.now + 10)
            break
        }
        state.overlay = .refreshDialog(RefreshDialogState(target: env, existing: state.refreshes[env.name], environments: state.environments))
    case .character("C"):
        guard let env = state.focusedEnvironment else { break }
        guard env.odooConf != nil else {
            state.toast = Toast(message: "\(env.name) has no odoo.conf known: give its path with E", kind: .info, expiresAt: state.now + 10)
            break
        }
        guard let config = state.odooConfigs[env.name], config.error == nil else {
            let why = state.odooConfigs[env.name]?.line ?? "odoo.conf is still being read"
            state.toast = Toast(message: why, kind: .error, expiresAt: state.now + 10)
            break
        }
        state.overlay = .odooConfig(OdooConfigDialogState(environment: env, config: config))
    case .character("r"), .function(5): if let env = state.focusedEnvironment { effects.append(.probe(environment: env.name)) }
    case .tab: state.focus = state.focus == .tree ? .details : .tree
    case .backTab: state.tab = DetailTab(rawValue: (state.tab.rawValue + DetailTab.allCases.count - 1) % DetailTab.allCases.count)!
    case .character(let c) where ("1"..."5").contains(c):
        state.tab = DetailTab(rawValue: Int(String(c))! - 1)!
        state.focus = .details
    case .escape:
        if state.focus == .details { state.focus = .tree } else if !state.filter.text.isEmpty { state.filter = TextFieldState() }
        state.logView.search = nil
    default:
        effects += state.focus == .tree ? treeKey(key, &state) : detailsKey(key, &state)
    }
    state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
    if state.focusedEnvironment?.name != before {
        state.environmentJobs = []
        state.environmentRestorePoints = []
        state.backupCopies = [:]
        state.timelineState = TimelineState()
        state.jobLog = []
        state.jobsList = ListState()
        state.logView = LogViewState()
        effects += detailsEffect(state)
    }
    return effects
}

private func handleMouse(_ event: MouseEvent, _ state: inout DashboardState) -> [Effect] {
    guard state.overlay == .none, !state.filtering, !state.isTooSmall else { return [] }
    let layout = DashboardLayout(state)
    let inTree = event.x >= layout.tree.x && event.x < layout.tree.maxX && event.y >= layout.tree.y && event.y < layout.tree.maxY
    switch event.kind {
    case .wheelUp: return handleKey(.up, &state)
    case .wheelDown: return handleKey(.down, &state)
    case .click:
        if inTree {
            let index = state.tree.offset + event.y - layout.firstTreeRow(state)
            guard index >= 0, index < state.treeRows.count else { return [] }
            let before = state.focusedEnvironment?.name
            state.focus = .tree
            state.tree.selected = index
            if case .project(let name, _, let collapsed) = state.treeRows[index] {
                if collapsed { state.collapsed.remove(name) } else { state.collapsed.insert(name) }
            }
            state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
            return state.focusedEnvironment?.name != before ? detailsEffect(state) : []
        }
        if event.y == layout.details.y + 1, let tab = layout.tab(atColumn: event.x) {
            state.tab = tab
            state.focus = .details
        }
    }
    return []
}

private func treeKey(_ key: Key, _ state: inout DashboardState) -> [Effect] {
    let rows = state.treeRows
    let visible = state.treeVisibleRows
    switch key {
    case .down, .character("j"): state.tree.move(1, count: rows.count, visible: visible)
    case .up, .character("k"): state.tree.move(-1, count: rows.count, visible: visible)
    case .pageDown: state.tree.move(visible - 1, count: rows.count, visible: visible)
    case .pageUp: state.tree.move(-(visible - 1), count: rows.count, visible: visible)
    case .home, .character("g"): state.tree.move(-rows.count, count: rows.count, visible: visible)
    case .end, .character("G"): state.tree.move(rows.count, count: rows.count, visible: visible)
    case .enter, .right, .character("l"), .left, .character("h"):
        guard rows.indices.contains(state.tree.selected) else { break }
        switch rows[state.tree.selected] {
        case .project(let name, _, let isCollapsed):
            let collapse = key == .left || key == .character("h") ? true : key == .enter ? !isCollapsed : false
            if collapse { state.collapsed.insert(name) } else { state.collapsed.remove(name) }
        case .environment(let env):
            if key == .left || key == .character("h") {
                state.collapsed.insert(env.project)
                state.tree.selected = state.treeRows.firstIndex(of: .project(env.project, count: 0, collapsed: true))
                    ?? state.treeRows.firstIndex { if case .project(env.project, _, _) = $0 { true } else { false } } ?? 0
            } else {
                state.focus = .details
            }
        }
    default: break
    }
    return []
}

private func detailsKey(_ key: Key, _ state: inout DashboardState) -> [Effect] {
    if state.tab == .backups, let effects = backupsTabKey(key, &state) { return effects }
    if state.tab == .restores, let effects = restorePointsKey(key, &state) { return effects }
    let count = DetailTab.allCases.count
    switch key {
    case .right, .character("l"): state.tab = DetailTab(rawValue: (state.tab.rawValue + 1) % count)!
    case .left, .character("h"): state.tab = DetailTab(rawValue: (state.tab.rawValue + count - 1) % count)!
    case .down, .character("j"), .up, .character("k"), .pageUp, .pageDown:
        let delta = [Key.down, .character("j")].contains(key) ? 1 : [Key.up, .character("k")].contains(key) ? -1 : key == .pageDown ? 10 : -10
        if state.tab == .jobs {
            state.jobsList.move(delta, count: state.environmentJobs.count, visible: max(state.bodyHeight - 4, 1))
            return detailsEffect(state)
        }
        if state.tab == .backups { state.backupsList.move(delta, count: state.environmentBackups.count, visible: max(state.bodyHeight - 4, 1)) }
        if state.tab == .log { state.logView.scrollBack = max(0, state.logView.scrollBack - delta) }
    case .enter, .character("R"):
        if state.tab == .jobs && key == .enter { state.tab = .log }
        if state.tab == .backups { return openRestoreDialog(&state) }
    default: break
    }
    return []
}

/// A search line's keys: Enter keeps what was typed, Escape clears it, any other key edits it;
/// either of the first two leaves the line.
private func editSearch(_ key: Key, _ state: inout DashboardState, field: WritableKeyPath<DashboardState, TextFieldState>,
                        active: WritableKeyPath<DashboardState, Bool>) {
    switch key {
    case .enter: state[keyPath: active] = false
    case .escape:
        state[keyPath: active] = false
        state[keyPath: field] = TextFieldState()
    default: _ = state[keyPath: field].handle(key)
    }
}

private func editFilter(_ key: Key, _ state: inout DashboardState) -> [Effect] {
    editSearch(key, &state, field: \.filter, active: \.filtering)
    state.tree = ListState()
    if let first = state.treeRows.firstIndex(where: { if case .environment = $0 { true } else { false } }) { state.tree.selected = first }
    state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
    return detailsEffect(state)
}

private func editLogSearch(_ key: Key, _ state: inout DashboardState) -> [Effect] {
    editSearch(key, &state, field: \.logSearch, active: \.searchingLog)
    state.logView.search = state.logSearch.text.isEmpty ? nil : state.logSearch.text
    state.logView.scrollBack = 0
    return []
}

private func handlePalette(_ key: Key, _ palette: inout PaletteState, _ state: inout DashboardState) -> [Effect] {
    switch key {
    case .escape:
        state.overlay = .none
        return []
    case .down, .control("n"): palette.selected = min(palette.selected + 1, max(palette.matches.count - 1, 0))
    case .up, .control("p"): palette.selected = max(palette.selected - 1, 0)
    case .tab:
        if let match = palette.matches[safe: palette.selected] { palette.field = TextFieldState(text: match.rawValue) }
    case .enter:
        state.overlay = .none
        guard let action = palette.matches[safe: palette.selected] else { return [] }
        return perform(action, &state)
    default:
        _ = palette.field.handle(key)
        palette.selected = 0
    }
    state.overlay = .palette(palette)
    return []
}

private func openCloneWizard(_ state: inout DashboardState) -> [Effect] {
    guard let env = state.focusedEnvironment else { return [] }
    let day = Date(timeIntervalSince1970: state.now)
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd"
    formatter.timeZone = TimeZone(identifier: "UTC")
    // Every server, also one that hosts no environment yet (a new staging or recovery server).
    let servers = Array(Set(state.environments.map(\.server) + state.servers.map(\.name))).sorted()
    var wizard = CloneWizardState(source: env, servers: servers, today: formatter.string(from: day),
                                  others: state.environments.filter { $0.name != env.name })
    wizard.statuses = state.statuses
    wizard.serverFacts = state.serverFacts
    wizard.offerGoldenCopies(state.goldenCopies[env.name] ?? [], now: state.now)
    state.overlay = .cloneWizard(wizard)
    return [.loadImpacts(source: env.name)] + servers.flatMap { [Effect.loadCloneHistory($0), .loadServerFacts($0)] }
}

private func perform(_ action: PaletteAction, _ state: inout DashboardState) -> [Effect] {
    switch action {
    case .backup:
        return openBackupDialog(&state)
    case .clone:
        return openCloneWizard(&state)
    case .overview, .backups, .jobs, .log:
        state.tab = [.overview: DetailTab.overview, .backups: .backups, .jobs: .jobs, .log: .log][action]!
        state.focus = .details
    case .refresh: return state.focusedEnvironment.map { [.probe(environment: $0.name)] } ?? []
    case .filter:
        state.filtering = true
        state.focus = .tree
    case .help: state.overlay = .help
    case .allJobs:
        state.overlay = .jobs(JobsViewState())
        return [.loadAllJobs]
    case .audit:
        state.overlay = .audit(AuditViewState())
        return [.loadAudit(matching: "")]
    case .servers:
        state.overlay = .servers(ServersViewState())
        return state.servers.map { .loadServerFacts($0.name) }
    case .collapseAll: state.collapsed = Set(state.environments.map(\.project))
    case .expandAll: state.collapsed = []
    case .redraw: return [.redrawAll]
    case .quit: state.shouldQuit = true
    }
    state.tree.clamp(count: state.treeRows.count, visible: state.treeVisibleRows)
    return []
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
