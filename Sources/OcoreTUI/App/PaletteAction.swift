/// Every dashboard action by name, for the `:` palette (with completion) and the help overlay.
public enum PaletteAction: String, CaseIterable, Sendable {
    case clone, backup, overview, backups, jobs, allJobs = "all jobs", audit, servers, log, refresh, filter, help, collapseAll = "collapse all", expandAll = "expand all", redraw, quit

    public var summary: String {
        switch self {
        case .clone: "clone the selected environment (wizard)"
        case .backup: "back up the selected environment"
        case .overview: "show the Overview tab"
        case .backups: "show the Backups tab"
        case .jobs: "show the Jobs tab"
        case .allJobs: "every job of every environment (J)"
        case .audit: "who did what, from where (A)"
        case .servers: "every server: reachability, CPU, memory, disk, PostgreSQL (S)"
        case .log: "show the Log tab"
        case .refresh: "re-check the selected environment now"
        case .filter: "filter environments by name"
        case .help: "list every key"
        case .collapseAll: "collapse every project"
        case .expandAll: "expand every project"
        case .redraw: "redraw the whole screen"
        case .quit: "leave ocore (jobs keep running)"
        }
    }

    /// Actions whose name starts with the text, then those that contain it.
    public static func matching(_ text: String) -> [PaletteAction] {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return allCases }
        let prefix = allCases.filter { $0.rawValue.hasPrefix(t) }
        return prefix + allCases.filter { !$0.rawValue.hasPrefix(t) && $0.rawValue.contains(t) }
    }
}

/// Key bindings, by context, for the help overlay and the hint bar.
public enum KeyHelp {
    public static let global: [(String, String)] = [
        ("↑↓ j k", "move · h l ← → collapse/expand, previous/next tab"), ("Tab 1-5", "switch pane · choose a tab"),
        ("Enter Esc", "open · back"), ("c b", "clone · back up the environment"),
        ("D", "destroy it: database and filestore, a backup first (typed name)"),
        ("E", "edit type, URL, owner, service commands, odoo.conf, protection"),
        ("F", "weekly refresh: set up, change, run now or stop"),
        ("C P", "edit odoo.conf's tuning keys · the backup policy (schedule, tiers)"),
        ("J w", "every job (Enter opens its progress) · watch the running job"),
        ("A S", "the audit log (who did what, from where) · every server and its capacity"),
        ("Backups", "R restore · v verify · e download · p pin · d delete · t plan"),
        ("Restores", "R restore · f type · g tier · u undo a failed restore"),
        ("/ :", "filter (search in Log) · command palette"), ("r F5", "refresh status"),
        ("? F1 ^L", "help · redraw"), ("q F10", "quit (jobs keep running)"),
    ]

    public static func hints(_ state: DashboardState) -> [(String, String)] {
        if state.filtering || state.searchingLog { return [("Enter", "apply"), ("Esc", "clear"), ("^U", "erase")] }
        switch state.overlay {
        case .help: return [("Esc ?", "close")]
        case .cloneWizard: return [("Tab", "next tab"), ("↑↓", "move"), ("Space", "choose"), ("Enter", "next/start"), ("Esc", "close")]
        case .progress(let modal):
            if modal.job?.status.isActive ?? true { return [("x", "cancel"), ("o", "open its environment"), ("m Esc", "minimize")] }
            return (modal.isRetryable ? [("R", "retry")] : []) + [("o", "open its environment"), ("Esc", "close")]
        case .palette: return [("Tab", "complete"), ("↑↓", "choose"), ("Enter", "run"), ("Esc", "close")]
        case .backupDialog: return [("Tab ↑↓", "field"), ("← →", "change"), ("Space", "toggle"), ("Enter", "start"), ("Esc", "close")]
        case .restoreDialog: return [("Tab ↑↓", "field"), ("Space", "toggle"), ("Enter", "restore"), ("Esc", "close")]
        case .restoreConfirmation: return [("y", "restore anyway"), ("Esc", "cancel")]
        case .deleteBackup: return [("type the id", "confirm"), ("Enter", "delete"), ("Esc", "keep it")]
        case .editEnvironment, .odooConfig: return [("Tab ↑↓", "field"), ("← →", "change"), ("Space", "toggle"), ("Enter", "save"), ("Esc", "close")]
        case .servers(let view):
            switch view.mode {
            case .list: return [("↑↓", "move"), ("a", "add"), ("e", "test"), ("d", "remove"), ("r", "re-check"), ("Esc", "close")]
            case .adding: return [("Tab ↑↓", "field"), ("Enter", "next/add"), ("Esc", "cancel")]
            case .removing: return [("type the name", "confirm"), ("Enter", "remove"), ("Esc", "keep it")]
            case .tested: return [("any key", "close")]
            }
        case .audit(let view):
            return view.typing ? [("Enter", "apply"), ("Esc", "clear")] : [("↑↓", "move"), ("/", "filter"), ("Esc", "close")]
        case .jobs(let view):
            return view.typing ? [("Enter", "apply"), ("Esc", "clear")] : [("↑↓", "move"), ("Enter", "open"), ("/", "filter"), ("s", "state"), ("Esc", "close")]
        case .policyDialog: return [("Tab ↑↓", "field"), ("← →", "change"), ("Space", "toggle"), ("Enter", "save"), ("Esc", "close")]
        case .refreshDialog: return [("Tab ↑↓", "field"), ("← →", "change"), ("type the name", "confirm"), ("Enter", "save"), ("Esc", "close")]
        case .destroyEnvironment: return [("type the name", "confirm"), ("Space", "toggle"), ("Enter", "destroy"), ("Esc", "keep it")]
        case .exportBackup: return [("Enter", "download"), ("Esc", "close")]
        case .retention(let view): return view.confirming ? [("y", "sweep now"), ("any key", "cancel")] : [("↑↓", "move"), ("S", "sweep"), ("Esc", "close")]
        case .none: break
        }
        if state.focus == .details && state.tab == .restores {
            return [("Enter R", "restore"), ("f", "type"), ("g", "tier"), ("u", "undo failed restore"), ("Tab", "pane")]
        }
        if state.focus == .details && state.tab == .backups {
            return [("Enter R", "restore"), ("v", "verify"), ("e", "download"), ("p", "pin"), ("d", "delete"), ("t", "retention"), ("b", "backup"), ("Tab", "pane")]
        }
        return [("?", "help"), (":", "palette"), ("c", "clone"), ("b", "backup"), ("/", "filter"), ("Tab", "pane"), ("1-5", "tabs"), ("r", "refresh"), ("q", "quit")]
    }
}
