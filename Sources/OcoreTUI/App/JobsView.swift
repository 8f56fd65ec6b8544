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

    public var jobs: [JobRecord] = [] { didSet { haystacks = jobs.map(Self.haystack); refilter() } }
    public var loaded = false
    public var filter = TextFieldState() { didSet { if filter.text != oldValue.text { refilter() } } }
    public var typing = false
    public var stateFilter = StateFilter.all { didSet { if stateFilter != oldValue { refilter() } } }
    public var list = ListState()
    /// The jobs the filters let through, in the order shown; kept, since a key reads it several
    /// times and two thousand jobs are too many to filter on each read.
    public private(set) var shown: [JobRecord] = []
    /// Each job's words, lowercased once when the jobs arrive.
    private var haystacks: [String] = []

    public init() {}

    private static func haystack(_ job: JobRecord) -> String {
        ("#\(job.id) \(job.kind) \(job.environment ?? "") \(job.status.rawValue) \(job.createdBy) " + job.lockedEnvironments.joined(separator: " ")).lowercased()
    }

    private mutating func refilter() {
        let words = filter.text.lowercased().split(separator: " ")
        shown = zip(jobs, haystacks).compactMap { job, text in
            stateFilter.admits(job.status) && words.allSatisfy { text.contains($0) } ? job : nil
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
