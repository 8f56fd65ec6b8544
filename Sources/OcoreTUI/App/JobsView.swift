import OcoreModel

/// `J`: every job of every environment, newest first, narrowed by state and by text (kind,
/// environment, status, who started it); Enter opens its progress modal, running or finished.
public struct JobsViewState: Equatable, Sendable {
    public enum StateFilter: String, CaseIterable, Sendable {
        case all, active, failed, completed

        func admits(_ status: JobStatus) -> Bool {
            switch self {
            case .all: true
            case .active: status.isActive
            case .failed: [.failed, .cancelled, .interrupted].contains(status)
            case .completed: status == .completed
            }
        }
    }

    /// How many of the newest jobs the view holds (and filters); `ocore jobs --all --json` has them all.
    public static let limit = 2000

    public var jobs: [JobRecord] = []
    public var loaded = false
    public var filter = TextFieldState()
    public var typing = false
    public var stateFilter = StateFilter.all
    public var list = ListState()

    public init() {}

    /// The jobs the filters let through, in the order shown.
    public var shown: [JobRecord] {
        let words = filter.text.lowercased().split(separator: " ").map(String.init)
        return jobs.filter { job in
            guard stateFilter.admits(job.status) else { return false }
            guard !words.isEmpty else { return true }
            let haystack = "#\(job.id) \(job.kind) \(job.environment ?? "") \(job.status.rawValue) \(job.createdBy) "
                + job.lockedEnvironments.joined(separator: " ")
            return words.allSatisfy { haystack.lowercased().contains($0) }
        }
    }
}

func handleJobsView(_ key: Key, _ view: inout JobsViewState, _ state: inout DashboardState) -> [Effect] {
    let visible = max(state.bodyHeight - 5, 1)
    if view.typing {
        switch key {
        case .enter, .escape, .down, .up: view.typing = false
        default: _ = view.filter.handle(key)
        }
        view.list.selected = 0
        view.list.clamp(count: view.shown.count, visible: visible)
        if key == .escape { view.filter = TextFieldState() }
        state.overlay = .jobs(view)
        return []
    }
    switch key {
    case .escape, .character("q"), .character("J"):
        state.overlay = .none
        return []
    case .character("/"): view.typing = true
    case .character("s"):
        let all = JobsViewState.StateFilter.allCases
        view.stateFilter = all[FormKeys.stepped(all.firstIndex(of: view.stateFilter) ?? 0, by: 1, count: all.count)]
        view.list.selected = 0
    case .down, .character("j"): view.list.move(1, count: view.shown.count, visible: visible)
    case .up, .character("k"): view.list.move(-1, count: view.shown.count, visible: visible)
    case .pageDown: view.list.move(visible, count: view.shown.count, visible: visible)
    case .pageUp: view.list.move(-visible, count: view.shown.count, visible: visible)
    case .enter:
        let shown = view.shown
        guard shown.indices.contains(view.list.selected) else { break }
        let id = shown[view.list.selected].id
        state.overlay = .progress(ProgressModalState(jobID: id, openedAt: state.now))
        return [.loadJobProgress(id)]
    default: break
    }
    view.list.clamp(count: view.shown.count, visible: visible)
    state.overlay = .jobs(view)
    return []
}
