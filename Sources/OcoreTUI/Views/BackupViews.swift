import Foundation
import OcoreModel

/// The Backups tab: status, verified mark, size, created, tier badge, expiry.
func drawBackups(_ state: DashboardState, env: EnvironmentRow, theme: Theme, in rect: Rect, into buffer: inout CellBuffer) {
    guard !state.environmentBackups.isEmpty else {
        buffer.put("No backups of \(env.name) yet. Press b to take one.", x: rect.x + 1, y: rect.y, style: theme[.muted], maxWidth: rect.width - 1)
        return
    }
    let rows: [[(String, Style?)]] = state.environmentBackups.map { b in
        let statusStyle: Style? = switch b.status {
        case .completed: b.isVerified ? theme[.success] : theme[.warning]
        case .partial, .running: theme[.warning]
        default: theme[.danger]
        }
        let expires = b.isPermanent ? "never" : b.expiresAt.map { day($0) } ?? "-"
        return [(day(b.createdAt, time: true), nil), (b.status.rawValue, statusStyle), (b.isVerified ? theme.symbols.checked : "", theme[.success]),
                (b.size.map(bytesText) ?? "-", nil), (b.pinned ? "P" : b.tier.badge, b.tier >= .monthly || b.pinned ? theme[.title] : nil),
                (expires, theme[.muted])]
    }
    Table(columns: [.init("CREATED", width: 11), .init("STATUS", width: 9), .init("✓", width: 1), .init("SIZE", width: 8), .init("T", width: 1),
                    .init("EXPIRES", width: 10)], rows: rows, highlight: state.focus == .details)
        .render(in: rect, state: state.backupsList, theme: theme, into: &buffer)
}

private func day(_ date: Date, time: Bool = false) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = time ? "MM-dd HH:mm" : "yyyy-MM-dd"
    return f.string(from: date)
}

/// The `b` dialog.
func drawBackupDialog(_ dialog: BackupDialogState, now: Double, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 72), height: min(area.height, 14))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Back up \(dialog.environment.name)", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let storage = dialog.storages[safe: dialog.storage].map { "\($0.name) (\($0.kind)\($0.lessSecure ? ", less secure" : ""))\($0.isDefault ? " [default]" : "")" } ?? "(none)"
    let type = BackupDialogState.types[dialog.type].rawValue.replacingOccurrences(of: "_", with: "-")
    let filestore = "\(dialog.includeFilestore ? theme.symbols.checked : theme.symbols.unchecked) include filestore (\(bytesText(dialog.filestoreSize)))"
    let lines: [(String, String, BackupDialogState.Field?)] = [
        ("Storage", "‹ \(storage) ›", .storage),
        ("Type", "‹ \(type) ›", .type),
        ("Database", "always included, dumped online", nil),
        ("Filestore", filestore, .filestore),
        ("Retention", "‹ \(BackupDialogState.tierLabel(BackupDialogState.tiers[dialog.tier])) ›", .retention),
        ("", "", nil),
        ("", "Verified after upload (read back, SHA-256 compared).", nil),
        ("", "[ Create backup ]", .start),
    ]
    for (i, line) in lines.enumerated() where i < inner.height {
        let focused = line.2 == dialog.field
        let y = inner.y + i
        if focused { buffer.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: theme[.selection]) }
        buffer.put(TextWidth.fit(line.0, to: 10), x: inner.x + 1, y: y, style: focused ? theme[.selection] : theme[.muted])
        buffer.put(line.1, x: inner.x + 12, y: y, style: focused ? theme[.selection] : theme[.text], maxWidth: inner.width - 13)
    }
    if inner.height > lines.count {
        buffer.put("Tab/↑↓ field · ←→ change · Space toggle · Enter start · Esc close", x: inner.x + 1, y: inner.maxY - 1, style: theme[.muted], maxWidth: inner.width - 2)
    }
}

/// The restore dialog: what will be lost, the safety switches, the typed name for production.
func drawRestoreDialog(_ dialog: RestoreDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 76), height: min(area.height, 14))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Restore into \(dialog.target.name)", style: theme[.danger], titleStyle: theme[.danger]).render(in: rect, symbols: theme.symbols, into: &buffer)
    let when = day(dialog.backup.createdAt, time: true)
    var lines: [(String, Theme.Role, RestoreDialogState.Field?)] = [
        ("Backup \(dialog.backup.id) · \(dialog.backup.tier.rawValue) · \(bytesText(dialog.backup.size))", .text, nil),
        ("All changes to \(dialog.target.name) since \(when) will be lost.", .danger, nil),
        ("", .text, nil),
        ("\(dialog.safetyBackup ? theme.symbols.checked : theme.symbols.unchecked) safety backup first (verified before anything is touched)",
         dialog.safetyBackup ? .text : .warning, .safety),
        ("\(dialog.includeFilestore ? theme.symbols.checked : theme.symbols.unchecked) restore the filestore", .text, .filestore),
    ]
    if dialog.target.isProtected { lines.append(("Type \(dialog.target.name) to confirm: \(dialog.confirmation.text)", .warning, .confirm)) }
    lines.append(("", .text, nil))
    lines.append(("[ Restore ]", dialog.isConfirmed ? .title : .muted, .start))
    for (i, line) in lines.enumerated() where i < inner.height {
        let focused = line.2 != nil && line.2 == dialog.field
        let y = inner.y + i
        if focused { buffer.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: theme[.selection]) }
        buffer.put(line.0, x: inner.x + 1, y: y, style: focused ? theme[.selection] : theme[line.1], maxWidth: inner.width - 2)
    }
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

/// Typed confirmation before a backup is deleted from storage.
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
        [(l.backupID, nil), (day(l.createdAt, time: true), nil), (l.pinned ? "P" : l.tier.badge, l.tier >= .monthly || l.pinned ? theme[.title] : nil),
         (l.delete ? (view.swept ? "deleted" : "delete") : "keep", l.delete ? theme[.danger] : theme[.success]), (l.reason, theme[.muted])]
    }
    let table = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: max(inner.height - 3, 1))
    Table(columns: [.init("BACKUP", width: 22), .init("CREATED", width: 11), .init("T", width: 1), .init("ACTION", width: 7), .init("WHY", width: max(inner.width - 48, 10))],
          rows: rows).render(in: table, state: view.list, theme: theme, into: &buffer)
    if view.confirming {
        buffer.put("Delete \(view.deletions) backup(s) from storage now? y to sweep, any other key to cancel", x: inner.x + 1, y: inner.maxY - 1,
                   style: theme[.danger], maxWidth: inner.width - 2)
    }
}
