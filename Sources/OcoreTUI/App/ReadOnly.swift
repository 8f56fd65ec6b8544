/// Read-only mode (`ocore --readonly`, or `readonly = true` in the state home's config.toml),
/// for people who watch: everything is shown, nothing that changes something is done.
///
/// Two guards: the keys that open a change are refused with a one-line reason before any
/// dialog opens, and — whatever path a key took — an effect that would change something is
/// never handed to the runtime.
enum ReadOnly {
    /// What the key would do, when it would change something here; nil for everything else.
    static func refusedAction(_ key: Key, in state: DashboardState) -> String? {
        guard !state.filtering, !state.searchingLog else { return nil }
        switch state.overlay {
        case .progress(let modal):
            if key == .character("x") && (modal.job?.status.isActive ?? true) { return "cancelling a job" }
            if key == .character("R") && modal.isRetryable { return "retrying a job" }
            return nil
        case .retention:
            return key == .character("S") ? "a retention sweep" : nil
        case .servers(let view):
            guard view.mode == .list else { return nil }
            return key == .character("a") ? "adding a server" : key == .character("d") ? "removing a server" : nil
        case .palette(let palette):
            guard key == .enter, palette.matches.indices.contains(palette.selected) else { return nil }
            switch palette.matches[palette.selected] {
            case .clone: return "cloning"
            case .backup: return "a backup"
            default: return nil
            }
        case .none: break
        default: return nil
        }
        switch key {
        case .character("c"): return "cloning"
        case .character("b"): return "a backup"
        case .character("D"): return "destroying an environment"
        case .character("E"): return "editing an environment"
        case .character("F"): return "a refresh"
        case .character("C"): return "editing odoo.conf"
        case .character("P"): return "changing the backup policy"
        default: break
        }
        guard state.focus == .details else { return nil }
        switch (state.tab, key) {
        case (.backups, .enter), (.backups, .character("R")), (.restores, .enter), (.restores, .character("R")): return "a restore"
        case (.restores, .character("u")): return "a restore"
        case (.backups, .character("v")): return "verifying a backup"
        case (.backups, .character("e")): return "downloading a backup"
        case (.backups, .character("p")): return "pinning a backup"
        case (.backups, .character("d")): return "deleting a backup"
        default: return nil
        }
    }

    static func reason(_ action: String) -> String { "read-only: \(action) is not done here (ocore was opened read-only)" }
}

extension Effect {
    /// Whether the runtime would change something (a job, the inventory, a backup, a file).
    var isChange: Bool {
        switch self {
        case .startClone, .startBackup, .startRestore, .destroyEnvironment, .runRefresh, .editEnvironment, .cancelJob, .retryJob, .backupAction, .editServer:
            true
        case .loadRetention(_, let sweep):
            sweep
        case .reloadStore, .loadDetails, .probe, .redrawAll, .bell, .loadImpacts, .loadJobProgress, .loadServerFacts, .loadCloneHistory, .loadAllJobs,
             .loadAudit, .testServer:
            false
        }
    }
}
