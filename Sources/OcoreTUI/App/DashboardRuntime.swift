import Foundation
import OcoreModel
import OcoreStore

/// Settings for running the dashboard in a terminal.
public struct DashboardSettings: Sendable {
    public var theme: Theme
    public var escDelayMs: Int

    public init(theme: Theme, escDelayMs: Int) {
        self.theme = theme
        self.escDelayMs = escDelayMs
    }

    /// ESCDELAY: the user's value wins; otherwise ~25 ms locally and ~100 ms over SSH, where
    /// escape sequences can arrive split.
    public static func escDelay(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let value = environment["ESCDELAY"].flatMap(Int.init), value >= 0 { return value }
        return environment["SSH_TTY"] != nil ? 100 : 25
    }
}

/// The event loop: input and ticks become messages, `update` decides, `render` draws into a
/// buffer, the terminal shows it. The store is re-read only when another process changed it
/// (`PRAGMA data_version`), so an idle dashboard writes nothing to the terminal.
public final class DashboardRuntime {
    private let store: SQLiteStateStore
    private let settings: DashboardSettings
    private var state: AppState
    private var lastDataVersion: Int?

    public init(store: SQLiteStateStore, settings: DashboardSettings) {
        self.store = store
        self.settings = settings
        self.state = AppState(storePath: store.path)
    }

    public func run() throws {
        let terminal = try NcursesTerminal(useColor: settings.theme.name != "mono", escDelayMs: settings.escDelayMs)
        defer { terminal.end() }
        let size = terminal.size
        apply(.resize(width: size.width, height: size.height), terminal)
        apply(.environmentsLoaded([]), terminal)
        perform(.reloadEnvironments, terminal, force: true)
        var dirty = true
        var lastTick = ContinuousClock.now
        while !state.shouldQuit {
            if dirty {
                var buffer = CellBuffer(width: state.width, height: state.height)
                render(state, theme: settings.theme, into: &buffer)
                terminal.draw(buffer)
                dirty = false
            }
            let before = state
            switch terminal.readInput(timeoutMs: 250) {
            case .key(let key)?: apply(.key(key), terminal)
            case .resize?:
                let s = terminal.size
                apply(.resize(width: s.width, height: s.height), terminal)
                dirty = true
            case nil: break
            }
            if ContinuousClock.now - lastTick >= .milliseconds(500) {
                lastTick = ContinuousClock.now
                apply(.tick, terminal)
            }
            if state != before { dirty = true }
        }
    }

    private func apply(_ message: Message, _ terminal: NcursesTerminal) {
        for effect in update(&state, message) { perform(effect, terminal) }
    }

    private func perform(_ effect: Effect, _ terminal: NcursesTerminal, force: Bool = false) {
        switch effect {
        case .redrawAll:
            terminal.invalidate()
            var buffer = CellBuffer(width: state.width, height: state.height)
            render(state, theme: settings.theme, into: &buffer)
            terminal.draw(buffer)
        case .reloadEnvironments:
            do {
                let version = try store.dataVersion()
                guard force || version != lastDataVersion else { return }
                lastDataVersion = version
                let rows = try store.environments().map(EnvironmentRow.init)
                apply(.environmentsLoaded(rows), terminal)
            } catch {
                apply(.storeFailed("\(error)"), terminal)
            }
        }
    }
}
