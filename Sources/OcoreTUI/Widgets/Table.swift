/// Selection and scrolling of a list, kept outside the widget (as ratatui does) so `update` owns it.
public struct ListState: Equatable, Sendable {
    public var selected = 0
    public var offset = 0

    /// Moves the selection by `delta` within `count` rows and keeps it inside a window of `visible` rows.
    public mutating func move(_ delta: Int, count: Int, visible: Int) {
        selected = max(0, min(selected + delta, count - 1))
        clamp(count: count, visible: visible)
    }

    public mutating func clamp(count: Int, visible: Int) {
        selected = max(0, min(selected, max(count - 1, 0)))
        let v = max(visible, 1)
        if selected < offset { offset = selected }
        if selected >= offset + v { offset = selected - v + 1 }
        offset = max(0, min(offset, max(count - v, 0)))
    }
}

/// A table with a header, a selected row, optional sort marker and a scroll bar.
public struct Table {
    public struct Column {
        public var title: String
        public var width: Int
        public init(_ title: String, width: Int) {
            self.title = title
            self.width = width
        }
    }

    public var columns: [Column]
    public var rows: [[(String, Style?)]]
    public var sortColumn: Int?
    public var sortAscending = true
    public var highlight: Bool

    public init(columns: [Column], rows: [[(String, Style?)]], sortColumn: Int? = nil, sortAscending: Bool = true, highlight: Bool = true) {
        self.columns = columns
        self.rows = rows
        self.sortColumn = sortColumn
        self.sortAscending = sortAscending
        self.highlight = highlight
    }

    public func render(in rect: Rect, state: ListState, theme: Theme, into buffer: inout CellBuffer) {
        guard rect.height >= 1 else { return }
        let (header, body) = rect.splitTop(1)
        buffer.fill(header, style: theme[.header])
        var x = rect.x + 1
        for (i, column) in columns.enumerated() {
            var title = column.title
            if sortColumn == i { title += sortAscending ? " ▲" : " ▼" }
            buffer.put(TextWidth.fit(title, to: column.width), x: x, y: header.y, style: theme[.header], maxWidth: rect.maxX - x)
            x += column.width + 1
        }
        let visible = body.height
        for (line, index) in (state.offset..<min(rows.count, state.offset + visible)).enumerated() {
            let y = body.y + line
            let selected = highlight && index == state.selected
            if selected { buffer.fill(Rect(x: rect.x, y: y, width: rect.width - 1, height: 1), style: theme[.selection]) }
            var cx = rect.x + 1
            for (i, column) in columns.enumerated() where i < rows[index].count {
                let (text, style) = rows[index][i]
                buffer.put(TextWidth.fit(text, to: column.width), x: cx, y: y, style: selected ? theme[.selection] : (style ?? theme[.text]),
                           maxWidth: rect.maxX - cx - 1)
                cx += column.width + 1
            }
        }
        ScrollBar(total: rows.count, offset: state.offset, visible: visible)
            .render(in: Rect(x: rect.maxX - 1, y: body.y, width: 1, height: visible), theme: theme, into: &buffer)
    }
}

public struct ScrollBar {
    public var total: Int
    public var offset: Int
    public var visible: Int

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        guard total > visible, rect.height > 0 else { return }
        let thumb = max(1, rect.height * visible / total)
        let start = min(rect.height - thumb, rect.height * offset / total)
        for i in 0..<rect.height {
            let inThumb = i >= start && i < start + thumb
            buffer.put(inThumb ? theme.symbols.scrollThumb : theme.symbols.vertical, x: rect.x, y: rect.y + i,
                       style: inThumb ? theme[.title] : theme[.border])
        }
    }
}
