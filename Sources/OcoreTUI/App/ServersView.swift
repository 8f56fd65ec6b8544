import OcoreModel

/// A server as the dashboard lists it (every server, also one that hosts no environment yet).
public struct ServerRow: Equatable, Sendable {
    public var name: String
    /// "local" or "ssh odoo@erp2".
    public var connection: String
    public var dataDir: String
    public var maxJobs: Int

    public init(name: String, connection: String, dataDir: String, maxJobs: Int) {
        (self.name, self.connection, self.dataDir, self.maxJobs) = (name, connection, dataDir, maxJobs)
    }

    public init(_ server: Server) {
        self.init(name: server.name, connection: server.kindLabel, dataDir: server.effectiveDataDir, maxJobs: server.maxConcurrentJobs)
    }
}

/// What the add-server form asks for, as `ocore server add` takes it.
public struct ServerForm: Equatable, Sendable {
    public var name: String
    /// "local", or USER@HOST[:PORT].
    public var destination: String
    public var identity: String
    public var knownHosts: String
    public var pgHost: String
    public var pgPort: String
    public var dataDir: String
    public var maxJobs: String
}

/// A change to the servers, asked by the Servers view; the engine checks it (`ServerRegistration`,
/// `ServerRemoval`) as it checks `ocore server add|rm`.
public enum ServerEdit: Equatable, Sendable {
    case add(ServerForm)
    case remove(name: String)
}

/// `S`: every server with what it can take now, refreshed in the background; `a` adds one,
/// `e` tests one (`ocore server test`), `d` removes one (its name typed).
public struct ServersViewState: Equatable, Sendable {
    public enum Mode: Equatable, Sendable {
        case list
        case adding(AddServerState)
        case removing(name: String, typed: TextFieldState)
        case tested(name: String, lines: [String])
    }

    public var list = ListState()
    public var mode = Mode.list

    public init() {}
}

/// The add-server form, one field per flag of `ocore server add`.
public struct AddServerState: Equatable, Sendable {
    public enum Field: Int, CaseIterable, Equatable, Sendable { case name, destination, identity, knownHosts, pgHost, pgPort, dataDir, maxJobs, save }

    public var fields: [TextFieldState] = [TextFieldState(), TextFieldState(text: "local")] + Array(repeating: TextFieldState(), count: 5) + [TextFieldState(text: "2")]
    public var field = Field.name
    public var error: String?

    public init() {}

    public var form: ServerForm {
        let t = fields.map { $0.text.trimmingCharacters(in: .whitespaces) }
        return ServerForm(name: t[0], destination: t[1], identity: t[2], knownHosts: t[3], pgHost: t[4], pgPort: t[5], dataDir: t[6], maxJobs: t[7])
    }
}

func handleServersView(_ key: Key, _ view: inout ServersViewState, _ state: inout DashboardState) -> [Effect] {
    let servers = state.servers
    let selected = servers.indices.contains(view.list.selected) ? servers[view.list.selected] : nil
    switch view.mode {
    case .tested:
        view.mode = .list
    case .removing(let name, var typed):
        switch key {
        case .escape: view.mode = .list
        case .enter:
            guard typed.text == name else { break }
            view.mode = .list
            state.overlay = .servers(view)
            return [.editServer(.remove(name: name))]
        default:
            _ = typed.handle(key)
            view.mode = .removing(name: name, typed: typed)
        }
    case .adding(var form):
        let control: FormControl = form.field == .save ? .button : .text
        switch FormInput.interpret(key, on: control) {
        case .close: view.mode = .list
        case .move(let delta), .page(let delta): form.field = FormKeys.moved(form.field, by: delta, in: AddServerState.Field.allCases)
        case .advance, .activate:
            if form.field == .save || form.field == .maxJobs {
                guard !form.form.name.isEmpty else {
                    form.error = "give the server a name"
                    form.field = .name
                    view.mode = .adding(form)
                    break
                }
                view.mode = .list
                state.overlay = .servers(view)
                return [.editServer(.add(form.form))]
            }
            form.field = FormKeys.moved(form.field, by: 1, in: AddServerState.Field.allCases)
        case .edit(let key):
            if form.field != .save { _ = form.fields[form.field.rawValue].handle(key) }
            form.error = nil
        case .change, .none: break
        }
        if case .adding = view.mode { view.mode = .adding(form) }
    case .list:
        switch key {
        case .escape, .character("q"), .character("S"):
            state.overlay = .none
            return []
        case .down, .character("j"): view.list.move(1, count: servers.count, visible: max(state.bodyHeight - 5, 1))
        case .up, .character("k"): view.list.move(-1, count: servers.count, visible: max(state.bodyHeight - 5, 1))
        case .character("a"): view.mode = .adding(AddServerState())
        case .character("e"):
            guard let s = selected else { break }
            view.mode = .tested(name: s.name, lines: ["testing…"])
            state.overlay = .servers(view)
            return [.testServer(s.name)]
        case .character("d"):
            guard let s = selected else { break }
            let hosted = state.environments.filter { $0.server == s.name }.map(\.name)
            guard hosted.isEmpty else {
                state.toast = Toast(message: "\(s.name) still hosts \(hosted.joined(separator: ", ")): remove those first", kind: .error, expiresAt: state.now + 8)
                break
            }
            view.mode = .removing(name: s.name, typed: TextFieldState())
        case .character("r"), .function(5):
            state.overlay = .servers(view)
            return servers.map { .loadServerFacts($0.name) }
        default: break
        }
    }
    state.overlay = .servers(view)
    return []
}
