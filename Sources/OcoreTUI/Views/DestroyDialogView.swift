/// The destroy dialog: what goes, the backup first, the typed name.
func drawDestroyDialog(_ dialog: DestroyDialogState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 4, 78), height: min(area.height, 12))
    buffer.fill(rect, style: theme[.text])
    let env = dialog.environment
    let inner = Box(title: "Destroy \(env.name)", style: theme[.danger], titleStyle: theme[.danger]).render(in: rect, symbols: theme.symbols, into: &buffer)
    func focused(_ field: DestroyDialogState.Field) -> Bool { dialog.field == field }
    var lines: [FormLine] = [
        FormLine(.text("Drops database \(env.database) on \(env.server) and removes its record and filestore:"), role: .danger),
        FormLine(.text(env.filestore), role: .danger, indent: 2),
        FormLine(.checkbox("back up first (verified before anything is dropped)", checked: dialog.backup), role: dialog.backup ? .text : .warning,
                 focused: focused(.backup)),
    ]
    if env.isProtected {
        lines.append(FormLine(.checkbox("I am sure this is production and it must go", checked: dialog.sure), role: .danger, focused: focused(.sure)))
    }
    lines += [
        FormLine(.text("Type \(env.name) to confirm: \(dialog.confirmation.text)"), role: .warning, focused: focused(.confirm)),
        .blank,
        FormLine(.button("Destroy"), role: dialog.isConfirmed ? .danger : .muted, focused: focused(.start)),
    ]
    FormView(lines: lines, inset: 1).render(in: inner, theme: theme, into: &buffer)
    if let error = dialog.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}
