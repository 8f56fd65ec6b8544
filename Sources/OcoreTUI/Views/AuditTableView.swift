/// The Audit view: the filter on top, then one row per record.
func drawAuditView(_ view: AuditViewState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    buffer.fill(area, style: theme[.text])
    let inner = Box(title: "Audit · \(view.records.count) record\(view.records.count == 1 ? "" : "s")", style: theme[.title], titleStyle: theme[.title])
        .render(in: area, symbols: theme.symbols, into: &buffer)
    let filter = view.typing ? "/\(view.filter.text)▏" : view.filter.text.isEmpty ? "/ to filter by action, environment, user or detail" : "/\(view.filter.text)"
    buffer.put(" " + filter, x: inner.x, y: inner.y, style: view.typing ? theme[.selection] : theme[.muted], maxWidth: inner.width)
    let rect = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2)
    guard view.loaded else {
        buffer.put("loading…", x: rect.x + 1, y: rect.y, style: theme[.muted])
        return
    }
    guard !view.records.isEmpty else {
        buffer.put(view.filter.text.isEmpty ? "Nothing audited yet." : "No record matches.", x: rect.x + 1, y: rect.y, style: theme[.muted])
        return
    }
    let rows: [[(String, Style?)]] = view.records.map { r in
        let destructive = ["rm", "destroy", "delete", "unpin"].contains { r.action.hasSuffix($0) } || r.action.hasSuffix(".set") && r.detail?.contains("unprotected") == true
        return [(String(r.at.prefix(16)).replacingOccurrences(of: "T", with: " "), theme[.muted]), (r.user, nil), (r.from ?? "", theme[.muted]),
                (r.action, destructive ? theme[.warning] : nil), (r.environment ?? "-", nil),
                ((r.result ?? "") + (r.jobID.map { " #\($0)" } ?? ""), r.result == "failed" ? theme[.danger] : nil), (r.detail ?? "", theme[.muted])]
    }
    let fixed = 17 + 9 + 14 + 16 + 14 + 13 + 7
    Table(columns: [.init("AT", width: 17), .init("USER", width: 9), .init("FROM", width: 14), .init("ACTION", width: 16),
                    .init("ENVIRONMENT", width: 14), .init("RESULT", width: 13), .init("DETAIL", width: max(rect.width - fixed, 10))],
          rows: rows).render(in: rect, state: view.list, theme: theme, into: &buffer)
}
