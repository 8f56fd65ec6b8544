import OcoreModel

/// The policy dialog: when, where, what, how long each tier is kept, and the restore test.
func drawPolicyDialog(_ dialog: PolicyDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    // The blank line above the buttons goes first when the terminal is short.
    let wanted = 20 + (dialog.every == 0 ? 0 : 1) + (dialog.existing == nil ? 0 : 2)
    let roomy = wanted <= area.height
    let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, roomy ? wanted : wanted - 1))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Backup policy of \(dialog.environment.name)", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    func focused(_ field: PolicyDialogState.Field) -> Bool { dialog.field == field }
    let day = RetentionPolicy.weekdays[dialog.weekday]
    let lines: [FormLine] = [
        FormLine(.text(dialog.at.text), label: "Daily at", focused: focused(.at)),
        FormLine(.choice(dialog.everyText.map { "every \($0)" } ?? "once a day", after: dialog.every == 0 ? "" : "from the daily time; the day's first is its daily"),
                 label: "Repeat", focused: focused(.every)),
    ] + (dialog.every == 0 ? [] : [
        FormLine(.text(dialog.hourly.text + " hours"), label: "Keep others", focused: focused(.hourly)),
    ]) + [
        FormLine(.choice(dialog.storages[dialog.storage]), label: "To", focused: focused(.storage)),
        FormLine(.choice(dialog.copyTo == 0 ? "none" : dialog.storages[dialog.copyTo], after: dialog.copyTo == 0 ? "" : "each backup copied there and checked (3-2-1)"),
                 label: "Copy to", focused: focused(.copyTo)),
        FormLine(.checkbox("with the filestore", checked: dialog.includeFilestore), label: "Contents", focused: focused(.filestore)),
        FormLine(.choice(PolicyDialogState.formats[dialog.format].rawValue, after: formatNote(PolicyDialogState.formats[dialog.format])),
                 label: "Format", focused: focused(.format)),
        FormLine(.choice(day, after: "its backup becomes the weekly"), label: "Weekly", focused: focused(.weekday)),
        FormLine(.text(dialog.daily.text + " days"), label: "Keep daily", focused: focused(.daily)),
        FormLine(.text(dialog.weekly.text + " weeks"), label: "weekly", focused: focused(.weekly)),
        FormLine(.text(dialog.monthly.text + " months"), label: "monthly", focused: focused(.monthly)),
        FormLine(.text(dialog.yearly.text + " years"), label: "yearly", focused: focused(.yearly)),
        FormLine(.choice(dialog.restoreTest == 0 ? "none" : RetentionPolicy.weekdays[dialog.restoreTest - 1],
                         after: dialog.restoreTest == 0 ? "" : "the newest verified backup restored into a scratch database and checked"),
                 label: "Restore test", focused: focused(.restoreTest)),
    ] + (roomy ? [.blank] : []) + [
        FormLine(.button(dialog.existing == nil ? "Schedule backups" : "Save"), role: .title, focused: focused(.save)),
    ] + (dialog.existing.map { p in [
        FormLine(.button(p.enabled ? "Switch off (keep the schedule)" : "Switch on again"), role: p.enabled ? .warning : .title, focused: focused(.onOff)),
        FormLine(.button("Remove the schedule"), role: .warning, focused: focused(.remove)),
    ] } ?? [])
    FormView(lines: lines, inset: 1, labelWidth: 12).render(in: inner, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

/// What each format costs a schedule, in a few words.
private func formatNote(_ format: BackupFormat) -> String {
    switch format {
    case .incremental: "sends only what the storage lacks"
    case .odooZip: "Odoo's own ZIP, whole each time"
    case .folder: "a parallel dump, whole each time"
    }
}
