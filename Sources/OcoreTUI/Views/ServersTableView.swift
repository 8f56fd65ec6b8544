import OcoreModel

/// The Servers view: one row per server with what it can take now, and its dialogs.
func drawServersView(_ view: ServersViewState, state: DashboardState, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    buffer.fill(area, style: theme[.text])
    let inner = Box(title: "Servers · \(state.servers.count)", style: theme[.title], titleStyle: theme[.title]).render(in: area, symbols: theme.symbols, into: &buffer)
    buffer.put(" a add · e test · d remove · r re-check · Esc back", x: inner.x, y: inner.y, style: theme[.muted], maxWidth: inner.width)
    let rect = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2)
    if state.servers.isEmpty {
        buffer.put("No servers yet: a adds one (or `ocore server add NAME --local`).", x: rect.x + 1, y: rect.y, style: theme[.muted], maxWidth: rect.width - 2)
    } else {
        let rows: [[(String, Style?)]] = state.servers.map { server in
            let facts = state.serverFacts[server.name]
            let running = state.activeJobs.filter { $0.server == server.name && $0.status == .running }.count
            let reach: (String, Style?) = switch (facts, facts?.error) {
            case (nil, _): ("checking…", theme[.muted])
            case (_, _?): ("✗ unreachable", theme[.danger])
            default: ("✓ reachable", theme[.success])
            }
            func pair(_ a: Int64?, _ b: Int64?) -> String { a.map { "\(bytesText($0))/\(bytesText(b))" } ?? "?" }
            let cpu = facts?.cores.map { "\($0) · load \(facts?.load1.map { String(format: "%.1f", $0) } ?? "?")" } ?? "?"
            return [(server.name, theme[.title]), (server.connection, theme[.muted]), reach, (cpu, nil),
                    (pair(facts?.memoryAvailable, facts?.memoryTotal), nil), (pair(facts?.freeBytes, facts?.diskTotal), nil),
                    (facts?.postgresVersion ?? "?", nil), ("\(running)/\(server.maxJobs)", running >= server.maxJobs ? theme[.warning] : nil)]
        }
        // Sized for 100 columns; a wider terminal gives the room to the connection.
        let fixed = 11 + 14 + 12 + 17 + 17 + 7 + 5 + 7
        Table(columns: [.init("NAME", width: 11), .init("CONNECTION", width: max(rect.width - fixed, 8)), .init("STATE", width: 14), .init("CPU", width: 12),
                        .init("MEMORY free", width: 17), .init("DISK free", width: 17), .init("PG", width: 7), .init("JOBS", width: 5)],
              rows: rows).render(in: rect, state: view.list, theme: theme, into: &buffer)
        if let hint = state.servers.indices.contains(view.list.selected) ? state.servers[view.list.selected] : nil {
            let error = state.serverFacts[hint.name]?.error
            buffer.put("\(hint.name): data directory \(hint.dataDir)" + (error.map { " · unreachable: \($0)" } ?? ""), x: inner.x + 1, y: inner.maxY - 1,
                       style: error == nil ? theme[.muted] : theme[.danger], maxWidth: inner.width - 2)
        }
    }
    switch view.mode {
    case .list: break
    case let .tested(name, lines):
        ModalDialog(title: "Test of \(name)", lines: lines.map { ($0, $0.hasPrefix("✗") ? Theme.Role.danger : .text) } + [("", .text), ("any key: close", .muted)],
                    buttons: []).render(in: area, theme: theme, into: &buffer)
    case let .removing(name, typed):
        ModalDialog(title: "Remove server \(name)?", lines: [("Its record goes; nothing on the server is touched.", .text),
                                                             ("Type \(name) to confirm: \(typed.text)", .warning), ("Enter: remove · Esc: keep it", .muted)],
                    buttons: []).render(in: area, theme: theme, into: &buffer)
    case .adding(let form):
        let rect = area.centered(width: min(area.width - 4, 84), height: min(area.height, 14))
        buffer.fill(rect, style: theme[.text])
        let inner = Box(title: "Add a server", style: theme[.title], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
        let labels = ["Name", "Reach", "SSH key", "Known hosts", "PG host", "PG port", "Data dir", "Max jobs"]
        let hints = ["", "local, or user@host[:port]", "~/.ssh/id_ed25519 by default", "~/.ssh/known_hosts by default", "socket dir or host",
                     "5432", "/var/lib/odoo", ""]
        var lines: [FormLine] = labels.indices.map { i in
            let text = form.fields[i].text
            return FormLine(.text(text.isEmpty ? hints[i] : text), label: labels[i], role: text.isEmpty ? .muted : .text,
                            focused: form.field.rawValue == i)
        }
        lines += [.blank, FormLine(.button("Add"), role: .title, focused: form.field == .save)]
        FormView(lines: lines, inset: 1, labelWidth: 12).render(in: inner, theme: theme, into: &buffer)
        if let error = form.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
    }
}
