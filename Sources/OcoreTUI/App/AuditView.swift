import OcoreModel

/// `A`: the audit log, newest first: who did what, from where, on which environment. `/` narrows
/// it by words (the same filter as `ocore audit --filter`).
public struct AuditViewState: Equatable, Sendable {
    public var records: [AuditRecord] = []
    public var loaded = false
    public var filter = TextFieldState()
    public var typing = false
    public var list = ListState()

    public init() {}
}

func handleAuditView(_ key: Key, _ view: inout AuditViewState, _ state: inout DashboardState) -> [Effect] {
    let visible = max(state.bodyHeight - 5, 1)
    if view.typing {
        switch key {
        case .enter, .down, .up: view.typing = false
        case .escape:
            view.typing = false
            view.filter = TextFieldState()
        default: _ = view.filter.handle(key)
        }
        view.list = ListState()
        state.overlay = .audit(view)
        return [.loadAudit(matching: view.filter.text)]
    }
    switch key {
    case .escape, .character("q"), .character("A"):
        state.overlay = .none
        return []
    case .character("/"): view.typing = true
    case .down, .character("j"): view.list.move(1, count: view.records.count, visible: visible)
    case .up, .character("k"): view.list.move(-1, count: view.records.count, visible: visible)
    case .pageDown: view.list.move(visible, count: view.records.count, visible: visible)
    case .pageUp: view.list.move(-visible, count: view.records.count, visible: visible)
    default: break
    }
    state.overlay = .audit(view)
    return []
}
