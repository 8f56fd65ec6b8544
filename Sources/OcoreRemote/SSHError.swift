/// Why an SSH connection could not be used. Each message says what is wrong and what to do.
public enum SSHError: Error, CustomStringConvertible, Equatable, Sendable {
    case connectFailed(destination: String, reason: String)
    case handshakeFailed(destination: String, reason: String)
    case unknownHostKey(destination: String, fingerprint: String, knownHosts: String)
    case hostKeyChanged(destination: String, fingerprint: String, knownHosts: String)
    case authenticationFailed(destination: String, method: String, reason: String)
    case rsaKeyRefused(destination: String, keyFile: String)
    case keyFileUnreadable(path: String)
    case channelFailed(destination: String, reason: String)
    case connectionLost(destination: String, reason: String)

    public var description: String {
        switch self {
        case let .connectFailed(d, reason):
            "cannot reach \(d): \(reason)"
        case let .handshakeFailed(d, reason):
            "SSH handshake with \(d) failed: \(reason)"
        case let .unknownHostKey(d, fp, kh):
            "the host key of \(d) (\(fp)) is not in \(kh): check the fingerprint, then add the server again with --accept-new-host-key (or add the key to that file)"
        case let .hostKeyChanged(d, fp, kh):
            "the host key of \(d) has CHANGED (now \(fp)) and no longer matches \(kh): this may be an attack; if the server was really reinstalled, remove its old line from that file"
        case let .authenticationFailed(d, method, reason):
            "\(d) refused \(method): \(reason)"
        case let .rsaKeyRefused(d, key):
            "\(d) refused the RSA key \(key): libssh2 1.10 cannot sign with rsa-sha2, which OpenSSH 8.8+ requires; use an ed25519 key (ssh-keygen -t ed25519) or the ssh-agent"
        case let .keyFileUnreadable(path):
            "cannot read the identity file \(path): check the path and its permissions"
        case let .channelFailed(d, reason):
            "cannot run a command on \(d): \(reason)"
        case let .connectionLost(d, reason):
            "lost the connection to \(d): \(reason)"
        }
    }
}
