/// The edit dialog: the environment's type, URL, owner, service commands, odoo.conf and protection.
func drawEditDialog(_ dialog: EditEnvironmentState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, 15))
    buffer.fill(rect, style: theme[.text])
    let inner = Box(title: "Edit \(dialog.environment.name)", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
    func focused(_ field: EditEnvironmentState.Field) -> Bool { dialog.field == field }
    var lines: [FormLine] = [
        FormLine(.choice(dialog.type.rawValue), label: "Type", role: dialog.type == .production ? .danger : .text, focused: focused(.type)),
        FormLine(.text(dialog.url.text), label: "URL", focused: focused(.url)),
        FormLine(.text(dialog.owner.text), label: "Owner", focused: focused(.owner)),
        FormLine(.text(dialog.stop.text), label: "Stop with", focused: focused(.stop)),
        FormLine(.text(dialog.start.text), label: "Start with", focused: focused(.start)),
        FormLine(.text(dialog.odooConf.text), label: "odoo.conf", focused: focused(.odooConf)),
        FormLine(.checkbox("protected (destructive actions need the typed name)", checked: dialog.protected), label: "Protection",
                 role: dialog.lowersProtection ? .warning : .text, focused: focused(.protect)),
    ]
    if dialog.needsConfirmation {
        lines.append(FormLine(.text("Type \(dialog.environment.name) to confirm: \(dialog.confirmation.text)"), role: .warning, focused: focused(.confirm)))
    }
    lines += [.blank, FormLine(.button("Save"), role: .title, focused: focused(.save))]
    FormView(lines: lines, inset: 1, labelWidth: 10).render(in: inner, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}
