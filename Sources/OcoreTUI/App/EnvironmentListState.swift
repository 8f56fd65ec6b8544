import OcoreModel

/// A row of the environments list: what the screen shows, nothing it must query again.
public struct EnvironmentRow: Equatable, Sendable {
    public var project: String
    public var name: String
    public var type: EnvironmentType
    public var server: String
    public var database: String
    public var isProtected: Bool

    public init(project: String, name: String, type: EnvironmentType, server: String, database: String, isProtected: Bool) {
        self.project = project
        self.name = name
        self.type = type
        self.server = server
        self.database = database
        self.isProtected = isProtected
    }

    public init(_ env: Environment) {
        self.init(project: env.project, name: env.name, type: env.type, server: env.server, database: env.dbName,
                  isProtected: env.isProtected)
    }
}

/// Everything the first screen shows. A value: `update` returns a new one, `view` draws it.
public struct AppState: Equatable, Sendable {
    public var environments: [EnvironmentRow] = []
    public var selected = 0
    /// First row shown; kept so the selection stays visible.
    public var scrollOffset = 0
    public var width = 80
    public var height = 24
    public var storeError: String?
    public var shouldQuit = false
    public var storePath: String

    public init(storePath: String) {
        self.storePath = storePath
    }
}

/// What can happen to the app: input, terminal changes, and results of work done elsewhere.
public enum Message: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case environmentsLoaded([EnvironmentRow])
    case storeFailed(String)
    case tick
}

/// Side effects `update` asks the runtime to perform; their results come back as messages.
public enum Effect: Equatable, Sendable {
    case reloadEnvironments
    case redrawAll
}
