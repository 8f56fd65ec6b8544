import OcoreModel

/// The Jobs view: a table of every job, its filters on top, the keys at the bottom.
func drawJobsView(_ view: JobsViewState, state: DashboardState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    buffer.fill(area, style: theme[.text])
    let shown = view.shown
    let capped = view.jobs.count >= JobsViewState.limit ? " (the newest \(JobsViewState.limit))" : ""
    let inner = Box(title: view.loaded ? "Jobs · \(shown.count) of \(view.jobs.count)\(capped)" : "Jobs", style: theme[.title], titleStyle: theme[.title])
        .render(in: area, symbols: theme.symbols, into: &buffer)
    let filterText = view.typing ? "/\(view.filter.text)▏" : view.filter.text.isEmpty ? "/ to filter by kind, environment, status or user" : "/\(view.filter.text)"
    let used = buffer.put(" Showing ‹ \(view.stateFilter.rawValue) › (s) ", x: inner.x, y: inner.y, style: theme[.title])
    buffer.put(filterText, x: inner.x + used + 1, y: inner.y, style: view.typing ? theme[.selection] : theme[.muted], maxWidth: inner.width - used - 1)
    let tableRect = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2)
    guard view.loaded else {
        buffer.put("loading…", x: tableRect.x + 1, y: tableRect.y, style: theme[.muted])
        return
    }
    guard !shown.isEmpty else {
        buffer.put(view.jobs.isEmpty ? "No jobs yet: a clone, backup or restore shows here as it starts." : "No job matches.",
                   x: tableRect.x + 1, y: tableRect.y, style: theme[.muted], maxWidth: tableRect.width - 2)
        return
    }
    // Only the rows on screen are built (two thousand jobs, each frame); the others stay empty.
    let window = view.list.offset..<min(shown.count, view.list.offset + max(tableRect.height - 1, 0))
    func row(_ job: JobRecord) -> [(String, Style?)] {
        let status = state.shownStatus(job)
        let role: Theme.Role = switch job.status {
        case .completed: .success
        case .failed, .interrupted: .danger
        case .cancelled: .warning
        case .running: state.workerGone.contains(job.id) ? .danger : .title
        case .queued: .muted
        }
        let environments = ([job.environment].compactMap { $0 } + job.lockedEnvironments.map { JobLockText.name($0) })
        var unique: [String] = []
        for e in environments where !unique.contains(e) { unique.append(e) }
        return [(String(job.id), nil), (job.kind, nil), (unique.joined(separator: " ← "), nil), (status, theme[role]),
                (String(format: "%3.0f%%", job.progress), theme[.muted]),
                (String(job.createdAt.prefix(16)).replacingOccurrences(of: "T", with: " "), theme[.muted]), (job.createdBy, nil)]
    }
    let rows: [[(String, Style?)]] = shown.indices.map { window.contains($0) ? row(shown[$0]) : [] }
    Table(columns: [.init("ID", width: 6), .init("KIND", width: 11), .init("ENVIRONMENTS", width: max(inner.width - 6 - 11 - 26 - 5 - 17 - 8 - 7, 12)),
                    .init("STATUS", width: 26), .init("DONE", width: 5), .init("CREATED", width: 17), .init("BY", width: 8)],
          rows: rows).render(in: tableRect, state: view.list, theme: theme, into: &buffer)
}

/// A lock as a name ("read:production" is production, read by a clone).
enum JobLockText {
    static func name(_ encoded: String) -> String { encoded.hasPrefix("read:") ? String(encoded.dropFirst(5)) : encoded }
}
