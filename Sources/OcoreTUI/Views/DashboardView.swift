import Foundation
import OcoreModel
import OcoreStore

/// Draws the whole dashboard: title bar, environment tree, tabbed details, running-jobs strip,
/// hint bar (or toast), then any overlay. A pure function of the state and theme.
public func render(_ state: DashboardState, theme: Theme, into buffer: inout CellBuffer) {
    let area = buffer.area
    buffer.fill(area, style: theme[.text])
    guard !state.isTooSmall else {
        let lines = ["terminal too small (\(area.width)×\(area.height))", "ocore needs at least 60×12; 80×24 is comfortable", "q quits"]
        for (i, line) in lines.enumerated() where i < area.height {
            buffer.put(TextWidth.truncate(line, to: area.width), x: 0, y: i, style: i == 0 ? theme[.warning] : theme[.muted])
        }
        return
    }
    let (titleBar, rest) = area.splitTop(1)
    let (aboveHints, hintBar) = rest.splitBottom(1)
    let (body, strip) = aboveHints.splitBottom(state.jobsStripHeight)
    drawTitle(state, theme: theme, in: titleBar, into: &buffer)
    if let error = state.storeError {
        buffer.put("State store unavailable: \(error)", x: 1, y: body.y + 1, style: theme[.danger], maxWidth: body.width - 2)
        buffer.put("Check the path and permissions of \(state.storePath); ocore retries every few seconds.", x: 1, y: body.y + 2,
                   style: theme[.muted], maxWidth: body.width - 2)
    } else if state.environments.isEmpty {
        drawEmpty(theme: theme, in: body, into: &buffer)
    } else {
        let layout = DashboardLayout(state)
        drawTree(state, theme: theme, in: layout.tree, into: &buffer)
        drawDetails(state, theme: theme, in: layout.details, into: &buffer)
    }
    drawJobsStrip(state, theme: theme, in: strip, into: &buffer)
    if let toast = state.toast { toast.render(in: hintBar, theme: theme, into: &buffer) } else {
        KeyHints(KeyHelp.hints(state)).render(in: hintBar, theme: theme, into: &buffer)
    }
    switch state.overlay {
    case .none: break
    case .help: drawHelp(state, theme: theme, in: body, into: &buffer)
    case .palette(let palette): drawPalette(palette, theme: theme, in: body, into: &buffer)
    case .cloneWizard(let wizard): drawCloneWizard(wizard, environments: state.environments.map(\.name), now: state.now, theme: theme, in: body, into: &buffer)
    case .progress(let modal): drawProgress(modal, status: modal.job.map(state.shownStatus), now: state.now, theme: theme, spinner: state.spinnerFrame, in: body, into: &buffer)
    case .backupDialog(let dialog): drawBackupDialog(dialog, now: state.now, theme: theme, in: body, into: &buffer)
    case .restoreDialog(let dialog): drawRestoreDialog(dialog, theme: theme, in: body, into: &buffer)
    case .restoreConfirmation(let confirmation): drawRestoreConfirmation(confirmation, theme: theme, in: body, into: &buffer)
    case .deleteBackup(let dialog): drawDeleteBackup(dialog, theme: theme, in: body, into: &buffer)
    case .destroyEnvironment(let dialog): drawDestroyDialog(dialog, theme: theme, in: body, into: &buffer)
    case .editEnvironment(let dialog): drawEditDialog(dialog, theme: theme, in: body, into: &buffer)
    case .refreshDialog(let dialog): drawRefreshDialog(dialog, theme: theme, in: body, into: &buffer)
    case .jobs(let view): drawJobsView(view, state: state, theme: theme, in: body, into: &buffer)
    case .servers(let view): drawServersView(view, state: state, theme: theme, in: body, into: &buffer)
    case .policyDialog(let dialog): drawPolicyDialog(dialog, theme: theme, in: body, into: &buffer)
    case .audit(let view): drawAuditView(view, theme: theme, in: body, into: &buffer)
    case .odooConfig(let dialog): drawOdooConfigDialog(dialog, theme: theme, in: body, into: &buffer)
    case .exportBackup(let dialog): drawExportBackup(dialog, theme: theme, in: body, into: &buffer)
    case .retention(let view): drawRetention(view, theme: theme, in: body, into: &buffer)
    }
    if theme.symbols == .ascii { buffer.transliterateDecorations() }
}

private func drawTitle(_ state: DashboardState, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    buffer.fill(rect, style: theme[.statusBar])
    let used = buffer.put(" ocore ", x: rect.x, y: rect.y, style: theme[.statusBar].adding(.bold))
    let title = buffer.put("environments", x: rect.x + used, y: rect.y, style: theme[.statusBar])
    if state.readOnly { buffer.put("  READ-ONLY", x: rect.x + used + title, y: rect.y, style: theme[.statusBar].adding(.bold)) }
    var right = "\(state.environments.count) environment\(state.environments.count == 1 ? "" : "s")"
    if !state.activeJobs.isEmpty { right += " · \(state.activeJobs.count) job\(state.activeJobs.count == 1 ? "" : "s") running" }
    right += " "
    buffer.put(right, x: rect.maxX - TextWidth.of(right), y: rect.y, style: theme[.statusBar])
}

private func drawEmpty(theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    buffer.put("No environments yet.", x: 2, y: rect.y + 1, style: theme[.title])
    buffer.put("Add one with `ocore env add NAME --project P --type T --server S --db DB`,", x: 2, y: rect.y + 3, style: theme[.muted], maxWidth: rect.width - 3)
    buffer.put("or run `ocore demo` for a complete playground.", x: 2, y: rect.y + 4, style: theme[.muted], maxWidth: rect.width - 3)
}

func statusDot(_ status: EnvironmentStatus?, theme: Theme) -> (String, Style) {
    switch status?.reachability {
    case .reachable?: (theme.symbols.statusDot, theme[.success])
    case .unreachable?: (theme.symbols.statusDot, theme[.danger])
    default: (theme.symbols.pending, theme[.muted])
    }
}

private func drawTree(_ state: DashboardState, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    let focused = state.focus == .tree
    var inner = Box(title: "Environments", style: focused ? theme[.title] : theme[.border], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    if state.filtering || !state.filter.text.isEmpty {
        TextField(state: state.filter, label: "/", focused: state.filtering)
            .render(in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), theme: theme, into: &buffer)
        inner = inner.splitTop(1).1
    }
    let rows = state.treeRows
    if rows.isEmpty { buffer.put("no match for \"\(state.filter.text)\"", x: inner.x + 1, y: inner.y, style: theme[.muted], maxWidth: inner.width - 1) }
    for (line, index) in (state.tree.offset..<min(rows.count, state.tree.offset + inner.height)).enumerated() {
        let y = inner.y + line
        let selected = index == state.tree.selected
        let rowRect = Rect(x: inner.x, y: y, width: inner.width - 1, height: 1)
        if selected { buffer.fill(rowRect, style: focused ? theme[.selection] : theme[.header]) }
        let base = selected ? (focused ? theme[.selection] : theme[.header]) : theme[.text]
        switch rows[index] {
        case let .project(name, count, collapsed):
            let mark = collapsed ? theme.symbols.collapsed : theme.symbols.expanded
            buffer.put("\(mark) \(name) (\(count))", x: inner.x, y: y, style: base.adding(.bold), maxWidth: rowRect.width)
        case .environment(let env):
            let (dot, dotStyle) = statusDot(state.statuses[env.name], theme: theme)
            buffer.put(dot, x: inner.x + 2, y: y, style: selected ? base : dotStyle)
            let badge = env.type.badge + (env.isProtected ? theme.symbols.protectedMark : " ")
            let nameWidth = rowRect.width - 4 - TextWidth.of(badge) - 1
            let nameStyle = env.type == .production && !selected ? theme[.danger] : base
            buffer.put(TextWidth.fit(env.name, to: max(nameWidth, 1)), x: inner.x + 4, y: y, style: nameStyle, maxWidth: max(nameWidth, 0))
            buffer.put(badge, x: rowRect.maxX - TextWidth.of(badge), y: y, style: env.type == .production && !selected ? theme[.danger] : base)
        }
    }
    ScrollBar(total: rows.count, offset: state.tree.offset, visible: inner.height)
        .render(in: Rect(x: inner.maxX - 1, y: inner.y, width: 1, height: inner.height), theme: theme, into: &buffer)
}

private func drawDetails(_ state: DashboardState, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    let focused = state.focus == .details
    let env = state.focusedEnvironment
    let title = env.map { "\($0.name) · \($0.project)" } ?? "Details"
    let inner = Box(title: title, style: focused ? theme[.title] : theme[.border], titleStyle: env?.type == .production ? theme[.danger] : theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard let env, inner.height > 2 else { return }
    let (tabsRow, below) = inner.splitTop(2)
    let content = Rect(x: below.x + 1, y: below.y, width: below.width - 1, height: below.height)
    Tabs(titles: DetailTab.allCases.map(\.title), active: state.tab.rawValue, focused: focused)
        .render(in: Rect(x: tabsRow.x, y: tabsRow.y, width: tabsRow.width, height: 1), theme: theme, into: &buffer)
    switch state.tab {
    case .overview:
        // The environment's last restore point: a sanitized copy to hand out is not one.
        let last = state.environmentBackups.first { $0.status.isRestorable && $0.sanitized == nil }
        drawOverview(env, status: state.statuses[env.name], lastBackup: last, policy: policyLine(state.policies[env.name], backups: state.environmentBackups, now: state.now),
                     refresh: state.refreshes[env.name], golden: state.goldenCopies[env.name] ?? [],
                     config: state.odooConfigs[env.name], now: state.now, theme: theme, in: content,
                     into: &buffer)
    case .backups: drawBackups(state, env: env, theme: theme, in: content, into: &buffer)
    case .restores: drawRestorePoints(state, env: env, theme: theme, in: content, into: &buffer)
    case .jobs: drawJobs(state, theme: theme, in: content, into: &buffer)
    case .log:
        var view = content
        if state.searchingLog || state.logView.search != nil {
            TextField(state: state.logSearch, label: "search /", focused: state.searchingLog)
                .render(in: Rect(x: view.x, y: view.y, width: view.width, height: 1), theme: theme, into: &buffer)
            view = view.splitTop(1).1
        }
        if let job = state.environmentJobs[safe: state.jobsList.selected] {
            buffer.put("job \(job.id) \(job.kind) · \(job.status.rawValue)", x: view.x, y: view.y, style: theme[.title], maxWidth: view.width)
            view = view.splitTop(1).1
        }
        LogView(lines: state.jobLog, state: state.logView).render(in: view, theme: theme, into: &buffer)
    }
}

/// A golden copy under the environment it copies: how old its data is, how it was sanitized,
/// where it lives and its size; a day old or more is said to be stale.
func goldenLine(_ g: GoldenCopy, now: Double) -> (String, Theme.Role) {
    let stale = now - g.dataAsOf.timeIntervalSince1970 >= 86_400
    let size = bytesText(g.databaseSize) + (g.filestoreSize.map { " + \(bytesText($0)) files" } ?? "")
    return ("\(g.summary(now: Date(timeIntervalSince1970: now))) · on \(g.server) · \(size)\(stale ? " · stale: refresh it (`ocore golden refresh \(g.source)`)" : "")",
            stale || g.verdict != "NEUTRALIZED" ? .warning : .success)
}

/// Ages in coarse steps, so an idle dashboard does not redraw every second.
func age(since time: Double?, now: Double) -> String {
    guard let time else { return "never" }
    let seconds = max(now - time, 0)
    if seconds < 60 { return "just now" }
    if seconds < 3600 { return "\(Int(seconds / 60))m ago" }
    if seconds < 86_400 { return "\(Int(seconds / 3600))h ago" }
    return "\(Int(seconds / 86_400))d ago"
}

func bytesText(_ bytes: Int64?) -> String {
    guard let bytes else { return "?" }
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : (value >= 100 ? "\(Int(value)) \(units[unit])" : "\((value * 10).rounded() / 10) \(units[unit])")
}

private func drawOverview(_ env: EnvironmentRow, status: EnvironmentStatus?, lastBackup: BackupRecord?, policy: (String, Theme.Role), refresh: RefreshSchedule?,
                          golden: [GoldenCopy], config: OdooConfigSummary?, now: Double,
                          theme: Theme, in rect: Rect,
                          into buffer: inout CellBuffer) {
    let database: (String, Theme.Role) = switch status?.reachability {
    case .reachable?: ("\(env.database) · \(bytesText(status?.databaseSize)) · reachable", .success)
    case .unreachable(let why)?: ("\(env.database) · unreachable: \(why)", .danger)
    default: ("\(env.database) · checking…", .muted)
    }
    let url: (String, Theme.Role) = {
        guard let u = env.url else { return ("(none)", .muted) }
        if let code = status?.httpStatus { return ("\(u) · HTTP \(code)", (200..<400).contains(code) ? .success : .warning) }
        if let error = status?.httpError { return ("\(u) · \(error)", .warning) }
        return (u, .text)
    }()
    let neutralized: (String, Theme.Role) = switch status?.neutralized {
    case true?: ("yes", .success)
    case false?: (env.type == .production ? "no" : "NO (not neutralized)", env.type == .production ? .text : .danger)
    case nil: ("?", .muted)
    }
    let rows: [(String, (String, Theme.Role))] = [
        ("Type", (env.type.rawValue + (env.isProtected ? " · protected" : ""), env.type == .production ? .danger : .text)),
        ("Server", (env.serverLabel, .text)),
        ("Database", database),
        ("Filestore", ("\(bytesText(status?.filestoreSize)) · \(env.filestore)", .text)),
        ("URL", url),
        ("Odoo", (status?.odooVersion ?? "?", .text)),
        ("Neutralized", neutralized),
        ("Last backup", lastBackup.map { b in
            ("\(age(since: b.createdAt.timeIntervalSince1970, now: now)) · \(b.status == .partial ? "PARTIAL" : b.isVerified ? "verified" : "not verified") · \(b.id)",
             b.status == .partial || !b.isVerified ? Theme.Role.warning : now - b.createdAt.timeIntervalSince1970 > 2 * 86_400 ? .warning : .success)
        } ?? ("never", .warning)),
        ("Policy", policy),
        ("Checked", (age(since: status?.checkedAt, now: now), .muted)),
    ] + (refresh.map { [("Refresh", ("\($0.summary); last run \(lastRun($0.lastRunAt)) · F to change or run it", Theme.Role.text))] } ?? [])
      + (config.map { [("Config", ($0.line + " · C to edit", $0.error == nil ? Theme.Role.text : .warning))] } ?? [])
      + golden.map { g in ("Golden copy", goldenLine(g, now: now)) }
    // Long values (an error, a deep path) wrap under themselves rather than being cut.
    var y = rect.y
    for (label, value) in rows {
        guard y < rect.maxY else { break }
        buffer.put(TextWidth.fit(label, to: 12), x: rect.x + 1, y: y, style: theme[.muted])
        for chunk in wrap(value.0, width: max(rect.width - 14, 8)).prefix(3) where y < rect.maxY {
            buffer.put(chunk, x: rect.x + 14, y: y, style: theme[value.1], maxWidth: rect.width - 14)
            y += 1
        }
    }
}

private func drawJobs(_ state: DashboardState, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    guard !state.environmentJobs.isEmpty else {
        buffer.put("No jobs on this environment yet.", x: rect.x + 1, y: rect.y, style: theme[.muted], maxWidth: rect.width - 1)
        return
    }
    let rows: [[(String, Style?)]] = state.environmentJobs.map { job in
        let style: Style? = switch job.status {
        case .failed, .interrupted: theme[.danger]
        case .cancelled: theme[.warning]
        case .completed: theme[.success]
        default: nil
        }
        return [(String(job.id), nil), (job.kind, nil), (job.status.rawValue, style), (String(format: "%3.0f%%", job.progress), nil),
                (String(job.createdAt.prefix(16)).replacingOccurrences(of: "T", with: " "), theme[.muted]), (job.createdBy, nil)]
    }
    Table(columns: [.init("ID", width: 5), .init("KIND", width: 11), .init("STATUS", width: 11), .init("DONE", width: 5),
                    .init("CREATED", width: 16), .init("BY", width: 8)], rows: rows, highlight: state.focus == .details)
        .render(in: rect, state: state.jobsList, theme: theme, into: &buffer)
}

private func drawJobsStrip(_ state: DashboardState, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    for (i, job) in state.activeJobs.prefix(rect.height).enumerated() {
        let y = rect.y + i
        buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: theme[.header])
        let gone = state.workerGone.contains(job.id)
        let spinner = job.status == .running && !gone ? theme.symbols.spinner[state.spinnerFrame % theme.symbols.spinner.count] : theme.symbols.pending
        let label = "\(spinner) #\(job.id) \(job.kind)\(job.environment.map { " \($0)" } ?? "") \(state.shownStatus(job)) "
        let used = buffer.put(label, x: rect.x + 1, y: y, style: gone ? theme[.danger] : theme[.header], maxWidth: rect.width / 2)
        ProgressBar(percent: job.progress).render(in: Rect(x: rect.x + 1 + used, y: y, width: max(rect.width - used - 2, 0), height: 1),
                                                 theme: theme, into: &buffer)
    }
}

private func drawHelp(_ state: DashboardState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    // A description too long for the line wraps under itself: no key's help is ever cut.
    let room = max(min(area.width - 6, 100) - 11, 20)
    var lines: [(String, Theme.Role)] = []
    for (key, what) in KeyHelp.global {
        for (i, piece) in wrap(what, width: room).enumerated() { lines.append(((i == 0 ? TextWidth.fit(key, to: 10) : String(repeating: " ", count: 10)) + " " + piece, .text)) }
    }
    if lines.count + 4 <= area.height {
        lines.append(("", .text))
        lines += wrap("The palette (:) runs every action by name: type to narrow, Tab completes, Enter runs.", width: room + 11).map { ($0, .muted) }
    }
    ModalDialog(title: "Keys", lines: lines, buttons: [], focusedButton: nil).render(in: area, theme: theme, into: &buffer)
}

private func drawPalette(_ palette: PaletteState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let matches = palette.matches
    let width = min(60, area.width - 4)
    let height = min(matches.count + 4, area.height - 2)
    let rect = Rect(x: area.x + (area.width - width) / 2, y: area.y + 2, width: width, height: max(height, 5))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Command", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
    TextField(state: palette.field, label: ": ", focused: true).render(in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), theme: theme, into: &buffer)
    if matches.isEmpty { buffer.put("no action matches", x: inner.x + 1, y: inner.y + 1, style: theme[.muted]) }
    for (i, action) in matches.enumerated() where i + 1 < inner.height {
        let style = i == palette.selected ? theme[.selection] : theme[.text]
        if i == palette.selected { buffer.fill(Rect(x: inner.x, y: inner.y + 1 + i, width: inner.width, height: 1), style: style) }
        let used = buffer.put(" " + TextWidth.fit(action.rawValue, to: 14), x: inner.x, y: inner.y + 1 + i, style: style.adding(.bold))
        buffer.put(action.summary, x: inner.x + used + 1, y: inner.y + 1 + i, style: style, maxWidth: inner.width - used - 1)
    }
}

/// Splits text into pieces of at most `width` cells, preferring to break after a space or `/`.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var rest = Substring(text)
    while TextWidth.of(String(rest)) > width {
        var cut = rest.startIndex
        var used = 0
        var lastBreak: Substring.Index?
        while cut < rest.endIndex, used + TextWidth.of(rest[cut]) <= width {
            used += TextWidth.of(rest[cut])
            if rest[cut] == " " || rest[cut] == "/" { lastBreak = rest.index(after: cut) }
            cut = rest.index(after: cut)
        }
        let end = lastBreak.map { $0 > rest.startIndex && rest.distance(from: rest.startIndex, to: $0) > width / 3 ? $0 : cut } ?? cut
        lines.append(String(rest[..<end]).trimmingCharacters(in: .whitespaces))
        rest = rest[end...].drop { $0 == " " }
    }
    if !rest.isEmpty || lines.isEmpty { lines.append(String(rest)) }
    return lines
}

/// The backup policy in one line: when, what it keeps, when it runs next, the restore test's last word.
func policyLine(_ policy: BackupPolicyRecord?, backups: [BackupRecord], now: Double) -> (String, Theme.Role) {
    guard let p = policy else { return ("no scheduled backups · P sets them up", .warning) }
    let r = p.retention
    var parts = ["\(p.cadence)\(p.storage.map { " to \($0)" } ?? "")\(p.includeFilestore ? "" : ", database only")",
                 "keep " + (r.hourlyHours.map { "\($0)h " } ?? "") + "\(r.dailyDays)d \(r.weeklyWeeks)w(\(RetentionPolicy.weekdays[r.weeklyWeekday - 1])) \(r.monthlyMonths)m \(r.yearlyYears)y"]
    guard p.enabled else { return ((parts + ["SWITCHED OFF · P to switch it on"]).joined(separator: " · "), .warning) }
    if let next = p.nextSlot(after: Date(timeIntervalSince1970: now), calendar: .current)?.timeIntervalSince1970 { parts.append("next in \(Duration.seconds(next - now).shortText)") }
    parts.append("last run " + (p.lastRunAt.map { age(since: $0.timeIntervalSince1970, now: now) } ?? "never"))
    var role = Theme.Role.text
    if let day = p.restoreTestWeekday {
        // The evidence's ISO timestamps sort as text: no date parsing per frame.
        let latest = backups.compactMap(\.restoreTestEvidence).max { $0.at < $1.at }
        let verdict = latest.map { $0.ok ? "passed" : "FAILED" } ?? "not run yet"
        if verdict == "FAILED" { role = .danger }
        parts.append("restore test \(RetentionPolicy.weekdays[day - 1]) (\(verdict))")
    }
    return (parts.joined(separator: " · "), role)
}

