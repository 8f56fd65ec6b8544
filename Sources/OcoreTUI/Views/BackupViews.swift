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
