/// Draws the environments screen: title bar, column header, the list with its selection and a
/// scroll indicator, and the key-hint bar. A pure function of state and theme.
public func render(_ state: AppState, theme: Theme, into buffer: inout CellBuffer) {
    let area = buffer.area
    buffer.fill(area, style: theme[.text])
    guard area.width >= 40, area.height >= 6 else {
        let notice = "terminal too small (\(area.width)×\(area.height)); need 40×6"
        buffer.put(TextWidth.truncate(notice, to: area.width), x: 0, y: 0, style: theme[.warning])
        return
    }
    let (titleBar, rest) = area.splitTop(1)
    let (body, hintBar) = rest.splitBottom(1)
    drawTitle(state, theme: theme, in: titleBar, buffer: &buffer)
    drawHints(theme: theme, in: hintBar, buffer: &buffer)
    if let error = state.storeError {
        buffer.put("State store unavailable: \(error)", x: 1, y: body.y + 1, style: theme[.danger], maxWidth: body.width - 2)
        return
    }
    if state.environments.isEmpty {
        buffer.put("No environments yet.", x: 2, y: body.y + 1, style: theme[.title])
        buffer.put("Add one with `ocore env add NAME --project P --type T --server S --db DB`,", x: 2, y: body.y + 3, style: theme[.muted], maxWidth: body.width - 3)
        buffer.put("or run `ocore demo` for a complete playground.", x: 2, y: body.y + 4, style: theme[.muted], maxWidth: body.width - 3)
        return
    }
    drawTable(state, theme: theme, in: body, buffer: &buffer)
}

private func drawTitle(_ state: AppState, theme: Theme, in rect: Rect, buffer: inout CellBuffer) {
    buffer.fill(rect, style: theme[.statusBar])
    let used = buffer.put(" ocore ", x: rect.x, y: rect.y, style: theme[.statusBar].adding(.bold))
    buffer.put("environments", x: rect.x + used, y: rect.y, style: theme[.statusBar])
    let count = "\(state.environments.count) environment\(state.environments.count == 1 ? "" : "s") "
    buffer.put(count, x: rect.maxX - TextWidth.of(count), y: rect.y, style: theme[.statusBar])
}

private func drawHints(theme: Theme, in rect: Rect, buffer: inout CellBuffer) {
    buffer.fill(rect, style: theme[.statusBar])
    var x = rect.x + 1
    for (key, label) in [("↑↓/jk", "move"), ("g/G", "top/bottom"), ("^L", "redraw"), ("q", "quit")] {
        guard x < rect.maxX else { break }
        x += buffer.put(key, x: x, y: rect.y, style: theme[.statusBar].adding(.bold), maxWidth: rect.maxX - x)
        x += buffer.put(" \(label)  ", x: x, y: rect.y, style: theme[.statusBar], maxWidth: rect.maxX - x)
    }
}

/// Column widths for the table at a given screen width: name and database grow, the rest shrink first.
struct EnvironmentColumns {
    let project, name, type, server, database: Int

    init(width: Int) {
        let available = width - 2 - 4 - 1  // marker column, gaps, scroll bar
        type = 13
        let flexible = max(available - type, 20)
        project = max(flexible * 18 / 100, 6)
        server = max(flexible * 18 / 100, 6)
        name = max(flexible * 30 / 100, 8)
        database = max(flexible - project - server - name, 6)
    }
}

private func drawTable(_ state: AppState, theme: Theme, in rect: Rect, buffer: inout CellBuffer) {
    let columns = EnvironmentColumns(width: rect.width)
    let (headerRow, listArea) = rect.splitTop(1)
    buffer.fill(headerRow, style: theme[.header])
    var x = rect.x + 2
    for (title, width) in [("PROJECT", columns.project), ("NAME", columns.name), ("TYPE", columns.type),
                           ("SERVER", columns.server), ("DATABASE", columns.database)] {
        buffer.put(TextWidth.fit(title, to: width), x: x, y: headerRow.y, style: theme[.header])
        x += width + 1
    }
    let visible = listArea.height
    let rows = state.environments
    for (offset, index) in (state.scrollOffset..<min(rows.count, state.scrollOffset + visible)).enumerated() {
        let row = rows[index]
        let y = listArea.y + offset
        let isSelected = index == state.selected
        let base = isSelected ? theme[.selection] : theme[.text]
        if isSelected { buffer.fill(Rect(x: rect.x, y: y, width: rect.width - 1, height: 1), style: base) }
        let typeStyle = row.type == .production && !isSelected ? theme[.danger] : base
        buffer.put(isSelected ? "▶" : " ", x: rect.x, y: y, style: base)
        var cx = rect.x + 2
        buffer.put(TextWidth.fit(row.project, to: columns.project), x: cx, y: y, style: base); cx += columns.project + 1
        buffer.put(TextWidth.fit(row.name, to: columns.name), x: cx, y: y, style: row.type == .production && !isSelected ? theme[.danger] : base); cx += columns.name + 1
        let badge = row.type.rawValue + (row.isProtected ? " " + theme.symbols.protectedMark : "")
        buffer.put(TextWidth.fit(badge, to: columns.type), x: cx, y: y, style: typeStyle); cx += columns.type + 1
        buffer.put(TextWidth.fit(row.server, to: columns.server), x: cx, y: y, style: base); cx += columns.server + 1
        buffer.put(TextWidth.fit(row.database, to: columns.database), x: cx, y: y, style: base)
    }
    drawScrollBar(total: rows.count, offset: state.scrollOffset, visible: visible,
                  in: Rect(x: rect.maxX - 1, y: listArea.y, width: 1, height: visible), theme: theme, buffer: &buffer)
}

private func drawScrollBar(total: Int, offset: Int, visible: Int, in rect: Rect, theme: Theme, buffer: inout CellBuffer) {
    guard total > visible, rect.height > 0 else { return }
    let thumb = max(1, rect.height * visible / total)
    let start = min(rect.height - thumb, rect.height * offset / total)
    for i in 0..<rect.height {
        let inThumb = i >= start && i < start + thumb
        buffer.put(inThumb ? "█" : theme.symbols.vertical, x: rect.x, y: rect.y + i, style: inThumb ? theme[.title] : theme[.border])
    }
}
