/// How ocore reaches a server: by running commands on this host, or over SSH.
public enum ServerConnection: Equatable, Sendable, Codable {
    case local
    case ssh(SSHEndpoint)
}

/// An SSH destination and the credentials to use for it. Secrets are references only: a key file,
/// or the ssh-agent when no identity is given.
public struct SSHEndpoint: Equatable, Sendable, Codable {
    public var user: String
    public var host: String
    public var port: Int
    /// Private key file; `nil` means use the ssh-agent.
    public var identityFile: String?
    /// known_hosts file to check the host key against; `nil` means `~/.ssh/known_hosts`.
    public var knownHostsFile: String?
    /// Accept and record an unknown host key on first contact (never a changed one).
    public var acceptNewHostKey: Bool

    public init(user: String, host: String, port: Int = 22, identityFile: String? = nil,
                knownHostsFile: String? = nil, acceptNewHostKey: Bool = false) {
        self.user = user
        self.host = host
        self.port = port
        self.identityFile = identityFile
        self.knownHostsFile = knownHostsFile
        self.acceptNewHostKey = acceptNewHostKey
    }

    /// Parses `USER@HOST[:PORT]`.
    public static func parse(_ text: String) throws(ModelError) -> SSHEndpoint {
        guard let at = text.firstIndex(of: "@"), at != text.startIndex else {
            throw .invalidValue(field: "ssh destination", value: text, reason: "expected USER@HOST[:PORT]")
        }
        let user = String(text[..<at])
        var hostPart = String(text[text.index(after: at)...])
        var port = 22
        if let colon = hostPart.lastIndex(of: ":") {
            guard let p = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(p) else {
                throw .invalidValue(field: "ssh destination", value: text, reason: "the port must be a number from 1 to 65535")
            }
            port = p
            hostPart = String(hostPart[..<colon])
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
            throw .invalidValue(field: "ssh destination", value: text, reason: "the host is not a valid host name or address")
        }
        guard user.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw .invalidValue(field: "ssh destination", value: text, reason: "the user name has characters SSH user names cannot have")
        }
        return SSHEndpoint(user: user, host: hostPart, port: port)
    }

    public var destination: String { port == 22 ? "\(user)@\(host)" : "\(user)@\(host):\(port)" }
}

/// PostgreSQL connection settings as seen from the server the commands run on. Every field is
/// optional: an unset field falls back to the server's, then to ``PostgresSettings/builtInDefaults``.
public struct PostgresSettings: Equatable, Sendable, Codable {
    public var host: String?
    public var port: Int?
    public var user: String?

    public init(host: String? = nil, port: Int? = nil, user: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
    }

    /// What an Odoo host usually has: the local socket, port 5432, the `odoo` role.
    public static let builtInDefaults = PostgresSettings(host: nil, port: 5432, user: "odoo")

    /// Fills each unset field from `fallback`.
    public func applying(defaults fallback: PostgresSettings) -> PostgresSettings {
        PostgresSettings(host: host ?? fallback.host, port: port ?? fallback.port, user: user ?? fallback.user)
    }
}

/// A machine that hosts Odoo databases and filestores.
public struct Server: Equatable, Sendable, Codable, Identifiable {
    public var id: Int64?
    public var name: String
    public var connection: ServerConnection
    public var postgres: PostgresSettings
    /// Odoo's `data_dir` on that server; filestores default to `<dataDir>/filestore/<db>`.
    public var dataDir: String?
    /// How many mutating jobs may run on this server at once.
    public var maxConcurrentJobs: Int

    public static let defaultDataDir = "/var/lib/odoo"

    public init(id: Int64? = nil, name: String, connection: ServerConnection,
                postgres: PostgresSettings = PostgresSettings(), dataDir: String? = nil, maxConcurrentJobs: Int = 2) {
        self.id = id
        self.name = name
        self.connection = connection
        self.postgres = postgres
        self.dataDir = dataDir
        self.maxConcurrentJobs = maxConcurrentJobs
    }

    public func validate() throws(ModelError) {
        try Names.validateInventoryName(name, kind: "server")
        if let port = postgres.port, !(1...65535).contains(port) {
            throw .invalidValue(field: "--pg-port", value: String(port), reason: "must be from 1 to 65535")
        }
        if let dir = dataDir, !dir.hasPrefix("/") {
            throw .invalidValue(field: "--data-dir", value: dir, reason: "must be an absolute path on the server")
        }
    }

    public var effectiveDataDir: String { dataDir ?? Server.defaultDataDir }

    public var kindLabel: String {
        switch connection {
        case .local: "local"
        case .ssh(let e): "ssh \(e.destination)"
        }
    }
}
