import Foundation
import OcoreModel

/// The Backups tab: status, verified mark, size, created, tier badge, expiry, and where a
/// second copy lies when there is one.
func drawBackups(_ state: DashboardState, env: EnvironmentRow, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    guard !state.environmentBackups.isEmpty else {
        buffer.put("No backups of \(env.name) yet. Press b to take one.", x: rect.x + 1, y: rect.y, style: theme[.muted], maxWidth: rect.width - 1)
        return
    }
    let copied = state.environmentBackups.contains { state.backupCopies[$0.id] != nil }
    // What each cost its storage, once one of them is incremental (the others cost their size).
    let incremental = state.environmentBackups.contains { $0.addedBytes != nil }
    // Which are sanitized copies to hand out, once one of them is.
    let sanitizedAny = state.environmentBackups.contains { $0.sanitized != nil }
    let rows: [[(String, Style?)]] = state.environmentBackups.map { b in
        let statusStyle: Style? = switch b.status {
        case .completed: b.isVerified ? theme[.success] : theme[.warning]
        case .partial, .running: theme[.warning]
        default: theme[.danger]
        }
        let expires = b.isPermanent ? "never" : b.expiresAt.map { day($0) } ?? "-"
        let head: [(String, Style?)] = [(day(b.createdAt, time: true), nil), (b.status.rawValue, statusStyle),
                                        (b.isVerified ? theme.symbols.checked : "", theme[.success]), (b.size.map(bytesText) ?? "-", nil)]
        let added: [(String, Style?)] = incremental ? [((b.addedBytes ?? b.size).map(bytesText) ?? "-", theme[.muted])] : []
        let tier: [(String, Style?)] = [(b.pinned ? "P" : b.tier.badge, b.tier >= .monthly || b.pinned ? theme[.title] : nil), (expires, theme[.muted])]
        let also: [(String, Style?)] = copied ? [((state.backupCopies[b.id] ?? []).map { "+" + $0 }.joined(separator: " "), theme[.success])] : []
        let data: [(String, Style?)] = sanitizedAny ? [(b.sanitized.map { $0 == "PARTIAL" ? "sanitized, partial" : "sanitized" } ?? "", b.sanitized == "PARTIAL" ? theme[.warning] : theme[.success])] : []
        return head + added + tier + also + data
    }
    Table(columns: [.init("CREATED", width: 11), .init("STATUS", width: 9), .init("✓", width: 1), .init("SIZE", width: 8)] + (incremental ? [.init("ADDED", width: 8)] : []) + [.init("T", width: 1),
                    .init("EXPIRES", width: 10)] + (copied ? [.init("ALSO ON", width: 12)] : []) + (sanitizedAny ? [.init("DATA", width: 17)] : []), rows: rows, highlight: state.focus == .details)
        .render(in: rect, state: state.backupsList, theme: theme, into: &buffer)
}

/// "2026-11-22" or "11-22 08:40" in local time. Calendar components, not a DateFormatter per
/// call: a list of a hundred backups formats two hundred dates a frame.
private func day(_ date: Date, time: Bool = false) -> String {
    let c = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    let (y, m, d, h, mi) = (c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return time ? "\(two(m))-\(two(d)) \(two(h)):\(two(mi))" : "\(y)-\(two(m))-\(two(d))"
}

/// The `b` dialog.
func drawBackupDialog(_ dialog: BackupDialogState, now: Double, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 72), height: min(area.height, 16))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Back up \(dialog.environment.name)", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let storage = dialog.storages[safe: dialog.storage].map { "\($0.name) (\($0.kind)\($0.lessSecure ? ", less secure" : ""))\($0.isDefault ? " [default]" : "")" } ?? "(none)"
    let type = BackupDialogState.types[dialog.type].rawValue.replacingOccurrences(of: "_", with: "-")
    func focused(_ field: BackupDialogState.Field) -> Bool { dialog.field == field }
    let lines: [FormLine] = [
        FormLine(.choice(storage), label: "Storage", focused: focused(.storage)),
        FormLine(.choice(type), label: "Type", focused: focused(.type)),
        FormLine(.text("always included, dumped online"), label: "Database"),
        FormLine(.choice(dialog.sanitized.map { "\($0.rawValue.capitalized): a copy to hand out, sanitized as written" } ?? "no: the data as it is"),
                 label: "Sanitized", focused: focused(.sanitized)),
        FormLine(.checkbox("include filestore (\(bytesText(dialog.filestoreSize)))", checked: dialog.includeFilestore), label: "Filestore", focused: focused(.filestore)),
        FormLine(.choice(PolicyDialogState.formats[dialog.format].rawValue), label: "Format", focused: focused(.format)),
        FormLine(.choice(BackupDialogState.tierLabel(BackupDialogState.tiers[dialog.tier])), label: "Retention", focused: focused(.retention)),
        .blank,
        FormLine(.text("Verified after upload (read back, SHA-256 compared).")),
        FormLine(.button("Create backup"), focused: focused(.start)),
    ]
    FormView(lines: lines, inset: 1, labelWidth: 10).render(in: Rect(x: inner.x, y: inner.y, width: inner.width, height: min(inner.height, lines.count)),
                                                            theme: theme, into: &buffer)
    if inner.height > lines.count {
        buffer.put(FormKeys.help, x: inner.x + 1, y: inner.maxY - 1, style: theme[.muted], maxWidth: inner.width - 2)
    }
}

/// The restore dialog: where to (mode), what will be lost, the safety switches, the typed name
/// for production.
func drawRestoreDialog(_ dialog: RestoreDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, 18))
    buffer.fill(rect, style: theme[.text])
    let title = dialog.mode == .new ? "Restore as a new environment" : "Restore into \(dialog.targetName)"
    let inner = Box(title: title, style: theme[.danger], titleStyle: theme[.danger]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let when = day(dialog.backup.createdAt, time: true)
    let b = dialog.backup
    let modeText: String = switch dialog.mode {
    case .here: Choice.text("into \(dialog.listed.name)")
    case .other: Choice.text("into another environment of \(b.project)")
    case .new: Choice.text("as a new environment")
    }
    func focused(_ field: RestoreDialogState.Field) -> Bool { dialog.field == field }
    var lines: [FormLine] = [
        FormLine(.text("Backup \(b.id) of \(b.environment) · Odoo \(b.odooVersion ?? "?") · \(b.tier.rawValue) · \(bytesText(b.size))\(b.isVerified ? " · verified" : "")")),
        FormLine(.text("Mode      \(modeText)  \(dialog.modeLabel)"), focused: focused(.mode)),
    ] + (dialog.copies.isEmpty ? [] : [
        FormLine(.text("From      \(Choice.text(dialog.fromIndex == 0 ? b.storage : dialog.copies[dialog.fromIndex - 1]))  "
                       + (dialog.fromIndex == 0 ? "where it was made" : "its verified second copy")), focused: focused(.from)),
    ]) + [
    ]
    switch dialog.mode {
    case .here: break
    case .other:
        let other = dialog.others[safe: dialog.otherIndex].map { Choice.text("\($0.name) (\($0.type.rawValue)\($0.isProtected ? ", protected" : ""))") } ?? "(no other environment in \(b.project))"
        lines.append(FormLine(.text("Target    \(other)"), focused: focused(.other)))
    case .new:
        lines.append(FormLine(.text("Name      \(dialog.newName.text)"), focused: focused(.newName)))
        lines.append(FormLine(.text("Type      \(Choice.text(dialog.newType.rawValue))"), focused: focused(.newType)))
        let server = dialog.server.map { "\(Choice.text($0)) \(dialog.serverVerdict($0))" } ?? "(no server)"
        lines.append(FormLine(.text("Server    \(server)"), focused: focused(.newServer)))
    }
    if let target = dialog.existingTarget {
        lines.append(FormLine(.text("All changes to \(target.name) since \(when) will be lost."), role: .danger))
        lines.append(FormLine(.checkbox("safety backup first (verified before anything is touched)", checked: dialog.safetyBackup),
                              role: dialog.safetyBackup ? .text : .warning, focused: focused(.safety)))
    } else {
        lines.append(FormLine(.text("Creates \(dialog.newName.text): database, filestore and its record; removed again if the restore fails."), role: .muted))
    }
    lines.append(FormLine(.checkbox("restore the filestore", checked: dialog.includeFilestore), focused: focused(.filestore)))
    if dialog.sanitizes {
        let count = dialog.counting ? "counting on \(b.environment)…" : dialog.impacts.isEmpty ? "counts unavailable" : "affects ≈\(dialog.affectedRecords) records"
        lines.append(FormLine(.text("Sanitize  \(Choice.text(dialog.preset.rawValue.capitalized)) \(dialog.preset.badge) · \(count)"),
                              role: dialog.preset == .none ? .warning : .text, focused: focused(.preset)))
        if SanitizationCatalog.keys(for: dialog.preset).contains(where: SanitizationCatalog.personalDataKeys.contains) {
            lines.append(FormLine(.text("          customers' addresses and numbers are rewritten as the data loads"), role: .muted))
        }
        if dialog.preset == .none {
            lines.append(FormLine(.checkbox("I understand the risk: real customer data stays", checked: dialog.riskAccepted), role: .danger, focused: focused(.risk)))
        }
    } else if let verdict = b.sanitized {
        lines.append(FormLine(.text("Sanitized when it was written (\(verdict)): restored as it is"), role: verdict == "NEUTRALIZED" ? .text : .warning))
    }
    if let target = dialog.existingTarget, target.isProtected {
        lines.append(FormLine(.text("Type \(target.name) to confirm: \(dialog.confirmation.text)"), role: .warning, focused: focused(.confirm)))
    }
    lines.append(.blank)
    lines.append(FormLine(.button("Restore"), role: dialog.isConfirmed ? .title : .muted, focused: focused(.start)))
    FormView(lines: lines, inset: 1).render(in: inner, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

/// The Restore points tab: the backups as a timeline with filters, then the restores made here.
func drawRestorePoints(_ state: DashboardState, env: EnvironmentRow, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    var area = rect
    if let broken = state.brokenRestore {
        buffer.put("FAILED restore (\(broken.failedStep ?? "?")) left \(env.name) broken · u restores \(broken.safetyBackupID ?? "(no safety backup)")",
                   x: area.x, y: area.y, style: theme[.danger], maxWidth: area.width)
        area = area.splitTop(1).1
    }
    let filters = "type: \(state.timelineState.typeFilter?.rawValue ?? "all") (f) · tier: \(state.timelineState.tierFilter?.rawValue ?? "all") (g)"
    buffer.put(filters, x: area.x, y: area.y, style: theme[.muted], maxWidth: area.width)
    area = area.splitTop(1).1
    let historyHeight = state.environmentRestorePoints.isEmpty ? 2 : min(state.environmentRestorePoints.count + 2, max(area.height / 3, 3))
    let (timelineArea, historyArea) = area.splitBottom(historyHeight)
    let rows = state.timeline
    if rows.isEmpty {
        buffer.put("No restorable backups\(state.timelineState.typeFilter != nil || state.timelineState.tierFilter != nil ? " match the filters" : "").",
                   x: timelineArea.x, y: timelineArea.y, style: theme[.muted], maxWidth: timelineArea.width)
    } else {
        // Scroll so the chosen backup stays in view (headings count as lines).
        let selected = state.timelineBackups[safe: state.timelineState.list.selected]
        let selectedLine = rows.firstIndex { if case .backup(let b) = $0 { b == selected } else { false } } ?? 0
        let first = max(0, min(selectedLine - timelineArea.height + 2, rows.count - timelineArea.height))
        for (i, row) in rows.dropFirst(first).prefix(timelineArea.height).enumerated() {
            let y = timelineArea.y + i
            switch row {
            case .heading(let title):
                buffer.put(title, x: timelineArea.x, y: y, style: theme[.title], maxWidth: timelineArea.width)
            case .backup(let b):
                let chosen = b == selected && state.focus == .details
                if chosen { buffer.fill(Rect(x: timelineArea.x, y: y, width: timelineArea.width, height: 1), style: theme[.selection]) }
                let expires = b.isPermanent ? "never" : b.expiresAt.map { day($0) } ?? "-"
                let badge = b.pinned ? "P" : b.tier.badge
                let text = "  \(day(b.createdAt, time: true))  \(badge)  \(b.isVerified ? theme.symbols.checked : " ")  \(TextWidth.fit(bytesText(b.size), to: 8))  \(TextWidth.fit(b.type.rawValue, to: 11))  expires \(expires)  \(b.id)\(b.sanitized == nil ? "" : "  [sanitized]")"
                buffer.put(text, x: timelineArea.x, y: y, style: chosen ? theme[.selection] : b.status == .partial ? theme[.warning] : theme[.text], maxWidth: timelineArea.width)
            }
        }
    }
    guard historyArea.height > 1 else { return }
    buffer.put("Restores into \(env.name)", x: historyArea.x, y: historyArea.y, style: theme[.title], maxWidth: historyArea.width)
    if state.environmentRestorePoints.isEmpty {
        buffer.put("none yet", x: historyArea.x + 2, y: historyArea.y + 1, style: theme[.muted], maxWidth: historyArea.width - 2)
    }
    for (i, p) in state.environmentRestorePoints.prefix(historyArea.height - 1).enumerated() {
        let role: Theme.Role = p.status == "completed" ? .success : p.status == "failed" ? .danger : .warning
        let from = p.backupID ?? p.sourceFile.map { ($0 as NSString).lastPathComponent } ?? "?"
        let tail = p.status == "failed" ? " at \(p.failedStep ?? "?")\(p.targetState.map { ", target \($0)" } ?? "")" : ""
        let text = "\(day(p.startedAt, time: true))  \(TextWidth.fit(p.status, to: 9))  \(p.mode.rawValue) from \(from) by \(p.requestedBy)\(p.safetyBackupID.map { " · safety \($0)" } ?? "")\(tail)"
        buffer.put(text, x: historyArea.x + 2, y: historyArea.y + 1 + i, style: theme[role], maxWidth: historyArea.width - 2)
    }
}

/// Typed confirmation before a backup is deleted from storage.
/// The engine's question before a restore (another Odoo version), answered with y or Esc.
func drawRestoreConfirmation(_ c: RestoreConfirmationState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 76), height: min(area.height, 7))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Restore into \(c.request.target)?", style: theme[.danger], titleStyle: theme[.danger]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let lines: [(String, Theme.Role)] = [
        (c.question.prefix(1).uppercased() + c.question.dropFirst(), .warning),
        ("", .text),
        ("y restore anyway    Esc cancel", .muted),
    ]
    for (i, line) in lines.enumerated() where i < inner.height {
        buffer.put(line.0, x: inner.x + 1, y: inner.y + i, style: theme[line.1], maxWidth: inner.width - 2)
    }
}

func drawDeleteBackup(_ dialog: DeleteBackupState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 70), height: min(area.height, 9))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Delete backup", style: theme[.danger], titleStyle: theme[.danger]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let b = dialog.backup
    let lines: [(String, Theme.Role)] = [
        ("\(b.id) of \(b.environment) · \(day(b.createdAt, time: true)) · \(b.tier.rawValue) · \(bytesText(b.size))", .text),
        ("Removed from \(b.storage) with its manifest: this cannot be undone.", .danger),
        ("", .text),
    ]
    for (i, line) in lines.enumerated() where i < inner.height {
        buffer.put(line.0, x: inner.x + 1, y: inner.y + i, style: theme[line.1], maxWidth: inner.width - 2)
    }
    if inner.height > 3 {
        TextField(state: dialog.confirmation, label: "Type the id: ", focused: true)
            .render(in: Rect(x: inner.x + 1, y: inner.y + 3, width: inner.width - 2, height: 1), theme: theme, into: &buffer)
    }
    if let error = dialog.confirmation.error, inner.height > 4 {
        buffer.put(error, x: inner.x + 1, y: inner.y + 4, style: theme[.danger], maxWidth: inner.width - 2)
    }
}

/// Where on this host to download a backup's archive.
func drawExportBackup(_ dialog: ExportBackupState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 90), height: min(area.height, 8))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Download backup \(dialog.backup.id)", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
    guard inner.height > 2 else { return }
    buffer.put("\(bytesText(dialog.backup.size)) from \(dialog.backup.storage), checked against its SHA-256 before it takes its name.",
               x: inner.x + 1, y: inner.y, style: theme[.muted], maxWidth: inner.width - 2)
    TextField(state: dialog.path, label: "File: ", focused: true).render(in: Rect(x: inner.x + 1, y: inner.y + 2, width: inner.width - 2, height: 1), theme: theme, into: &buffer)
    if let error = dialog.path.error, inner.height > 3 {
        buffer.put(error, x: inner.x + 1, y: inner.y + 3, style: theme[.danger], maxWidth: inner.width - 2)
    }
}

/// The retention plan: every backup with keep/delete and the reason, before a sweep.
func drawRetention(_ view: RetentionViewState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 100), height: max(min(area.height - 2, 30), 6))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Retention of \(view.environment)\(view.swept ? " (swept)" : " (dry run)")", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard let lines = view.lines else {
        buffer.put("working out what retention keeps…", x: inner.x + 1, y: inner.y, style: theme[.muted], maxWidth: inner.width - 2)
        return
    }
    let summary = view.swept ? "\(view.deletions) backup(s) removed; the rows stay, marked expired."
        : lines.isEmpty ? "No backups." : "\(lines.count - view.deletions) kept, \(view.deletions) to delete. S sweeps now."
    buffer.put(summary, x: inner.x + 1, y: inner.y, style: view.deletions > 0 && !view.swept ? theme[.warning] : theme[.muted], maxWidth: inner.width - 2)
    let rows: [[(String, Style?)]] = lines.map { l in
        [(l.backup.id, nil), (day(l.backup.createdAt, time: true), nil),
         (l.backup.pinned ? "P" : l.backup.tier.badge, l.backup.tier >= .monthly || l.backup.pinned ? theme[.title] : nil),
         (l.delete ? (view.swept ? "deleted" : "delete") : "keep", l.delete ? theme[.danger] : theme[.success]), (l.explanation, theme[.muted])]
    }
    let table = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: max(inner.height - 3, 1))
    Table(columns: [.init("BACKUP", width: 22), .init("CREATED", width: 11), .init("T", width: 1), .init("ACTION", width: 7), .init("WHY", width: max(inner.width - 48, 10))],
          rows: rows).render(in: table, state: view.list, theme: theme, into: &buffer)
    if view.confirming {
        buffer.put("Delete \(view.deletions) backup(s) from storage now? y to sweep, any other key to cancel", x: inner.x + 1, y: inner.maxY - 1,
                   style: theme[.danger], maxWidth: inner.width - 2)
    }
}
