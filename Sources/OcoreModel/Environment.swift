/// The three kinds of environment operators run, from the seeds.
public enum EnvironmentType: String, CaseIterable, Sendable, Codable {
    case production, staging, development

    /// Short badge for narrow columns.
    public var badge: String {
        switch self {
        case .production: "PROD"
        case .staging: "STAG"
        case .development: "DEV"
        }
    }
}

/// A grouping of environments (typically one customer or one Odoo instance family).
public struct Project: Equatable, Sendable, Codable, Identifiable {
    public var id: Int64?
    public var name: String

    public init(id: Int64? = nil, name: String) {
        self.id = id
        self.name = name
    }
}

/// One Odoo environment: a PostgreSQL database, a filestore directory and addons, on a server.
/// Connection fields left `nil` inherit the server's settings (see ``ResolvedEnvironment``).
public struct Environment: Equatable, Sendable, Codable, Identifiable {
    public var id: Int64?
    public var name: String
    public var project: String
    public var type: EnvironmentType
    public var server: String
    public var dbName: String
    public var postgres: PostgresSettings
    /// Name of an environment variable that holds the database password; never the password.
    public var pgPasswordEnv: String?
    public var filestore: String?
    public var addons: [String]
    public var url: String?
    public var branch: String?
    /// Destructive actions on a protected environment need a typed confirmation.
    public var isProtected: Bool
    /// Stops / starts the environment's Odoo service on its server (an argument vector, no
    /// shell), run around a restore that replaces its database.
    public var serviceStop: [String]?
    public var serviceStart: [String]?
    /// `user[:group]` the filestore's files belong to (Odoo's service user); a restore sets it
    /// on what it extracts, since the extraction runs as ocore's own user.
    public var filestoreOwner: String?
    /// Where its `odoo.conf` is on its server (workers, limits, db_name, …), when ocore may read and edit it.
    public var odooConf: String?
    /// Every clone from or into it fails closed: refused while a personal or secret-like column
    /// would be copied as it is (as `clone --strict` does for one clone).
    public var strictSanitization = false

    public init(id: Int64? = nil, name: String, project: String, type: EnvironmentType, server: String,
                dbName: String, postgres: PostgresSettings = PostgresSettings(), pgPasswordEnv: String? = nil,
                filestore: String? = nil, addons: [String] = [], url: String? = nil, branch: String? = nil,
                isProtected: Bool? = nil, serviceStop: [String]? = nil, serviceStart: [String]? = nil, filestoreOwner: String? = nil,
                odooConf: String? = nil) {
        self.id = id
        self.name = name
        self.project = project
        self.type = type
        self.server = server
        self.dbName = dbName
        self.postgres = postgres
        self.pgPasswordEnv = pgPasswordEnv
        self.filestore = filestore
        self.addons = addons
        self.url = url
        self.branch = branch
        // Production is protected unless the operator explicitly says otherwise.
        self.isProtected = isProtected ?? (type == .production)
        self.serviceStop = serviceStop.flatMap { $0.isEmpty ? nil : $0 }
        self.serviceStart = serviceStart.flatMap { $0.isEmpty ? nil : $0 }
        self.filestoreOwner = filestoreOwner
        self.odooConf = odooConf
    }

    /// Splits an operator's command line into an argument vector on blanks (no shell: no
    /// quoting, variables or pipes; a command that needs them belongs in a script).
    public static func commandVector(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// "user" or "user:group", as `chown` takes it (and nothing it could read as an option).
    public static func validateFilestoreOwner(_ owner: String) throws(ModelError) {
        if owner.isEmpty || owner.hasPrefix("-") || owner.contains(where: { !($0.isLetter || $0.isNumber || "._:-".contains($0)) }) {
            throw .invalidValue(field: "--filestore-owner", value: owner, reason: "expected user or user:group")
        }
    }

    public func validate() throws(ModelError) {
        try Names.validateInventoryName(name, kind: "environment")
        try Names.validateInventoryName(project, kind: "project")
        try Names.validateDatabaseName(dbName)
        if let port = postgres.port, !(1...65535).contains(port) {
            throw .invalidValue(field: "--pg-port", value: String(port), reason: "must be from 1 to 65535")
        }
        if let fs = filestore { try PathRules.validateDataDirectory(fs, field: "--filestore") }
        for dir in addons where !dir.hasPrefix("/") {
            throw .invalidValue(field: "--addons", value: dir, reason: "must be an absolute path on the server")
        }
        if let owner = filestoreOwner { try Self.validateFilestoreOwner(owner) }
        if let conf = odooConf, !conf.hasPrefix("/") || conf.contains("/../") || conf.hasSuffix("/..") || conf.contains(where: \.isNewline) {
            throw .invalidValue(field: "--odoo-conf", value: conf, reason: "must be an absolute path on the server, without '..'")
        }
        if let variable = pgPasswordEnv, !Self.isEnvironmentVariableName(variable) {
            throw .invalidValue(field: "--pg-password-env", value: variable,
                                reason: "must be the name of an environment variable (letters, digits, '_')")
        }
        if let url { try URLRules.validateWebURL(url, field: "--url") }
    }

    public static func isEnvironmentVariableName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// An environment with its server's defaults applied: what commands actually use.
public struct ResolvedEnvironment: Equatable, Sendable {
    public var environment: Environment
    public var server: Server
    public var postgres: PostgresSettings
    public var filestore: String

    public init(_ environment: Environment, on server: Server) {
        self.environment = environment
        self.server = server
        self.postgres = environment.postgres
            .applying(defaults: server.postgres)
            .applying(defaults: .builtInDefaults)
        self.filestore = environment.filestore ?? "\(server.effectiveDataDir)/filestore/\(environment.dbName)"
    }
}
