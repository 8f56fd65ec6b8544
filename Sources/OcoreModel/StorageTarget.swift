/// Where backups go. Credentials are references (environment-variable names, key files), never values.
public enum StorageLocation: Equatable, Sendable, Codable {
    case directory(path: String)
    case sftp(SFTPLocation)
    case s3(S3Location)
    case ftp(FTPLocation)

    public var kind: String {
        switch self {
        case .directory: "dir"
        case .sftp: "sftp"
        case .s3: "s3"
        case .ftp(let f): f.tls ? "ftps" : "ftp"
        }
    }

    /// Plain FTP sends the password and the backup in clear text: shown wherever storage is chosen.
    public var securityWarning: String? {
        if case .ftp(let f) = self, !f.tls { return "plain FTP: password and data travel unencrypted" }
        return nil
    }

    /// One line an operator recognises, with no secrets in it.
    public var summary: String {
        switch self {
        case .directory(let path): path
        case .sftp(let s): "sftp://\(s.endpoint.destination)\(s.path)"
        case .s3(let s): "s3://\(s.bucket)\(s.prefix.isEmpty ? "" : "/" + s.prefix) at \(s.endpoint)"
        case .ftp(let f): "\(f.tls ? "ftps" : "ftp")://\(f.user)@\(f.host):\(f.port)\(f.path)"
        }
    }
}

/// An FTP server (libcurl), optionally with explicit TLS (`AUTH TLS`) on control and data.
public struct FTPLocation: Equatable, Sendable, Codable {
    public var user: String
    public var host: String
    public var port: Int
    public var path: String
    /// The environment variable holding the password (never the password itself).
    public var passwordEnv: String?
    public var tls: Bool
    /// CA certificates to check the server's certificate against (default: the system's).
    public var caFile: String?

    /// Parses `USER@HOST[:PORT]:/PATH` (port 21 by default).
    public static func parse(_ text: String, passwordEnv: String?, tls: Bool, caFile: String?) throws(ModelError) -> FTPLocation {
        guard let slash = text.firstRange(of: ":/"), let at = text.firstIndex(of: "@"), at < slash.lowerBound else {
            throw .invalidValue(field: "--ftp", value: text, reason: "expected USER@HOST[:PORT]:/PATH")
        }
        let user = String(text[..<at])
        let hostPort = text[text.index(after: at)..<slash.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
        guard !user.isEmpty, let host = hostPort.first, !host.isEmpty, hostPort.count <= 2 else {
            throw .invalidValue(field: "--ftp", value: text, reason: "expected USER@HOST[:PORT]:/PATH")
        }
        let port = hostPort.count == 2 ? Int(hostPort[1]) : 21
        guard let port, (1...65535).contains(port) else { throw .invalidValue(field: "--ftp", value: text, reason: "the port must be 1-65535") }
        if let passwordEnv, !Environment.isEnvironmentVariableName(passwordEnv) {
            throw .invalidValue(field: "--password-env", value: passwordEnv, reason: "must be the name of an environment variable, not the password itself")
        }
        let path = String(text[text.index(after: slash.lowerBound)...]).replacingOccurrences(of: "//", with: "/")
        return FTPLocation(user: user, host: String(host), port: port, path: path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path,
                           passwordEnv: passwordEnv, tls: tls, caFile: caFile)
    }
}

public struct SFTPLocation: Equatable, Sendable, Codable {
    public var endpoint: SSHEndpoint
    public var path: String

    /// Parses `USER@HOST[:PORT]:/PATH`.
    public static func parse(_ text: String) throws(ModelError) -> SFTPLocation {
        guard let slash = text.firstRange(of: ":/") else {
            throw .invalidValue(field: "--sftp", value: text, reason: "expected USER@HOST[:PORT]:/PATH")
        }
        let endpoint = try SSHEndpoint.parse(String(text[..<slash.lowerBound]))
        return SFTPLocation(endpoint: endpoint, path: String(text[text.index(after: slash.lowerBound)...]))
    }
}

public struct S3Location: Equatable, Sendable, Codable {
    public var bucket: String
    public var prefix: String
    public var endpoint: String
    public var region: String
    public var accessKeyEnv: String
    public var secretKeyEnv: String

    /// Builds a location from `BUCKET[/PREFIX]` and the other flags, checking each.
    public static func parse(bucketAndPrefix: String, endpoint: String, region: String,
                             accessKeyEnv: String, secretKeyEnv: String) throws(ModelError) -> S3Location {
        let parts = bucketAndPrefix.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let bucket = String(parts[0])
        let prefix = parts.count > 1 ? String(parts[1]).trimmingSlashes() : ""
        let bucketOK = (3...63).contains(bucket.count) && bucket.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }
            && bucket.unicodeScalars.allSatisfy { $0.isASCII }
        guard bucketOK else {
            throw .invalidValue(field: "--s3", value: bucketAndPrefix, reason: "bucket names are 3-63 lower-case letters, digits, '-' or '.'")
        }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw .invalidValue(field: "--endpoint", value: endpoint, reason: "must start with http:// or https://")
        }
        guard !region.isEmpty else { throw .invalidValue(field: "--region", value: region, reason: "is required") }
        for (flag, name) in [("--access-key-env", accessKeyEnv), ("--secret-key-env", secretKeyEnv)]
        where !Environment.isEnvironmentVariableName(name) {
            throw .invalidValue(field: flag, value: name, reason: "must be the name of an environment variable, not the key itself")
        }
        return S3Location(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region,
                          accessKeyEnv: accessKeyEnv, secretKeyEnv: secretKeyEnv)
    }
}

/// A named backup destination.
public struct StorageTarget: Equatable, Sendable, Codable, Identifiable {
    public var id: Int64?
    public var name: String
    public var location: StorageLocation
    public var isDefault: Bool
    /// Client-side encryption of every backup stored here, when set.
    public var encryption: EncryptionKeyRef?

    public init(id: Int64? = nil, name: String, location: StorageLocation, isDefault: Bool = false, encryption: EncryptionKeyRef? = nil) {
        self.id = id
        self.name = name
        self.location = location
        self.isDefault = isDefault
        self.encryption = encryption
    }

    public func validate() throws(ModelError) {
        try Names.validateInventoryName(name, kind: "storage")
        switch location {
        case .directory(let path) where !path.hasPrefix("/"):
            throw .invalidValue(field: "--dir", value: path, reason: "must be an absolute path")
        case .sftp(let s) where !s.path.hasPrefix("/"):
            throw .invalidValue(field: "--sftp", value: s.path, reason: "the remote path must be absolute")
        default: break
        }
    }
}

extension String {
    func trimmingSlashes() -> String {
        var s = Substring(self)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}

/// Where a storage target's backup encryption key comes from: a file or an environment
/// variable (never the key itself).
public struct EncryptionKeyRef: Equatable, Sendable, Codable {
    public var file: String?
    public var env: String?

    public init(file: String? = nil, env: String? = nil) {
        self.file = file
        self.env = env
    }
}
