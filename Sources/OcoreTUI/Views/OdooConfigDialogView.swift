/// The config dialog: one line per tuning key of odoo.conf, the restart box and Save.
func drawOdooConfigDialog(_ dialog: OdooConfigDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, dialog.config.tuning.count + 9))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "odoo.conf of \(dialog.environment.name)", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    let changed = Set(dialog.changes.map(\.key))
    buffer.put("\(dialog.config.path) · Odoo reads it when it restarts", x: inner.x + 1, y: inner.y, style: theme[.muted], maxWidth: inner.width - 2)
    let form = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2)
    var lines: [FormLine] = []
    for (i, value) in dialog.config.tuning.enumerated() {
        lines.append(FormLine(.text(dialog.values[i].text + (changed.contains(value.key) ? "  (changed)" : "")), label: value.key,
                              role: changed.contains(value.key) ? .warning : .text, focused: dialog.field == .key(i)))
    }
    lines.append(.blank)
    if dialog.canRestart {
        lines.append(FormLine(.checkbox("restart Odoo after saving (its stop and start commands)", checked: dialog.restart), label: "Restart", focused: dialog.field == .restart))
    } else {
        lines.append(FormLine(.text("no service commands: restart Odoo yourself, or give them with E"), label: "Restart", role: .muted))
    }
    lines.append(FormLine(.button("Save"), role: .title, focused: dialog.field == .save))
    FormView(lines: lines, inset: 1, labelWidth: 18).render(in: form, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}
