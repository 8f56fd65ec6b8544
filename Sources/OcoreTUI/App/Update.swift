/// The app's one state transition: pure, so every screen behaviour is testable without a terminal.
public func update(_ state: inout AppState, _ message: Message) -> [Effect] {
    switch message {
    case .key(let key):
        return handle(key, &state)
    case let .resize(width, height):
        state.width = width
        state.height = height
        keepSelectionVisible(&state)
    case .environmentsLoaded(let rows):
        let previous = state.environments.indices.contains(state.selected) ? state.environments[state.selected].name : nil
        state.environments = rows
        state.storeError = nil
        // Keep the same environment selected when the list changes under it.
        state.selected = previous.flatMap { name in rows.firstIndex { $0.name == name } } ?? min(state.selected, max(rows.count - 1, 0))
        keepSelectionVisible(&state)
    case .storeFailed(let reason):
        state.storeError = reason
    case .tick:
        return [.reloadEnvironments]
    }
    return []
}

private func handle(_ key: Key, _ state: inout AppState) -> [Effect] {
    let count = state.environments.count
    switch key {
    case .character("q"), .control("c"):
        state.shouldQuit = true
    case .down, .character("j"):
        state.selected = min(state.selected + 1, max(count - 1, 0))
    case .up, .character("k"):
        state.selected = max(state.selected - 1, 0)
    case .pageDown:
        state.selected = min(state.selected + max(listHeight(state) - 1, 1), max(count - 1, 0))
    case .pageUp:
        state.selected = max(state.selected - max(listHeight(state) - 1, 1), 0)
    case .home, .character("g"):
        state.selected = 0
    case .end, .character("G"):
        state.selected = max(count - 1, 0)
    case .control("l"):
        return [.redrawAll]
    default:
        break
    }
    keepSelectionVisible(&state)
    return []
}

/// Rows available to the list: the screen minus title, column header and key-hint bar.
func listHeight(_ state: AppState) -> Int { max(state.height - 3, 1) }

private func keepSelectionVisible(_ state: inout AppState) {
    let visible = listHeight(state)
    if state.selected < state.scrollOffset { state.scrollOffset = state.selected }
    if state.selected >= state.scrollOffset + visible { state.scrollOffset = state.selected - visible + 1 }
    state.scrollOffset = max(0, min(state.scrollOffset, max(state.environments.count - visible, 0)))
}
