import Foundation
import OcoreModel

/// The refresh dialog: source, weekly slot, preset and kept logins, the typed name, and the
/// schedule's buttons.
func drawRefreshDialog(_ dialog: RefreshDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, dialog.existing == nil ? 15 : 18))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Weekly refresh of \(dialog.target.name)", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    func focused(_ field: RefreshDialogState.Field) -> Bool { dialog.field == field }
    let preset = RefreshDialogState.presets[dialog.preset]
    let note = dialog.existing.map { "Now: \($0.summary); last run \(lastRun($0.lastRunAt))." }
        ?? "Not refreshed yet: each run replaces it with a sanitized copy of the source, after a verified safety backup."
    let noteLines = wrap(note, width: inner.width - 2).prefix(2)
    for (i, line) in noteLines.enumerated() { buffer.put(line, x: inner.x + 1, y: inner.y + i, style: theme[.muted]) }
    let form = Rect(x: inner.x, y: inner.y + noteLines.count + 1, width: inner.width, height: inner.height - noteLines.count - 1)
    var lines: [FormLine] = [
        FormLine(.choice(dialog.sources.isEmpty ? "(no other environment)" : dialog.sources[dialog.source]), label: "From", focused: focused(.source)),
        FormLine(.choice(RetentionPolicy.weekdays[dialog.weekday]), label: "Every", focused: focused(.weekday)),
        FormLine(.text(dialog.at.text), label: "At (HH:MM)", focused: focused(.at)),
        FormLine(.choice(preset.rawValue, after: preset.badge), label: "Preset", focused: focused(.preset)),
        FormLine(.text(dialog.keepUsers.text), label: "Keep users", focused: focused(.keepUsers)),
        FormLine(.text("Type \(dialog.target.name) to save: \(dialog.confirmation.text)"), role: .warning, focused: focused(.confirm)),
        .blank,
        FormLine(.button(dialog.existing == nil ? "Save schedule" : "Save changes"), role: .title, focused: focused(.save)),
    ]
    if dialog.existing != nil {
        lines.append(FormLine(.button("Run now"), focused: focused(.runNow)))
        lines.append(FormLine(.button("Stop refreshing"), role: .warning, focused: focused(.remove)))
    }
    FormView(lines: lines, inset: 1, labelWidth: 11).render(in: form, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

/// "never", or the UTC time of the last run (the schedule's own clock is the host's).
func lastRun(_ date: Date?) -> String {
    guard let date else { return "never" }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
    return f.string(from: date)
}
