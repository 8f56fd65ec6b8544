import OcoreModel
@testable import OcoreTUI

func row(_ name: String, _ type: EnvironmentType = .staging, project: String = "acme", server: String = "erp1") -> EnvironmentRow {
    EnvironmentRow(project: project, name: name, type: type, server: server, serverLabel: "\(server) (ssh odoo@\(server))", database: "db_\(name)",
                   filestore: "/var/lib/odoo/filestore/db_\(name)", url: "https://\(name).acme.example", isProtected: type == .production, isRemote: true)
}

func dashboard(_ rows: [EnvironmentRow], width: Int = 80, height: Int = 24) -> DashboardState {
    var s = DashboardState(storePath: "/tmp/ocore.db")
    s.now = 1_000_000
    _ = update(&s, .resize(width: width, height: height))
    _ = update(&s, .environmentsLoaded(rows))
    return s
}

func screen(_ state: DashboardState, theme: Theme = .builtInDefault) -> CellBuffer {
    var buffer = CellBuffer(width: state.width, height: state.height)
    render(state, theme: theme, into: &buffer)
    return buffer
}

func press(_ state: inout DashboardState, _ keys: Key...) {
    for key in keys { _ = update(&state, .key(key)) }
}

func type(_ state: inout DashboardState, _ text: String) {
    for c in text { _ = update(&state, .key(.character(c))) }
}

func job(_ id: Int64, env: String, status: JobStatus = .running, progress: Double = 40) -> JobRecord {
    JobRecord(id: id, kind: "diagnostic", environment: env, server: "erp1", lockedEnvironments: [env], parameters: "{}", status: status,
              createdBy: "ops", createdFrom: "10.0.0.9", createdAt: "2026-11-22T10:00:00.000Z", progress: progress)
}

/// Column where `text` starts on a line of plain ASCII before it (cells == characters there).
func column(of text: String, in line: String) -> Int? {
    line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
}
