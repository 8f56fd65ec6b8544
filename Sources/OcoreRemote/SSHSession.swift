import CLibssh2
import Foundation
import OcoreModel
#if canImport(Glibc)
import Glibc
#endif

/// One authenticated libssh2 session. libssh2 sessions are not thread-safe: every use goes
/// through `withSession`, which serialises callers.
final class SSHSession: @unchecked Sendable {
    let endpoint: SSHEndpoint
    let destination: String
    private let session: OpaquePointer
    private let socket: Int32
    private let lock = NSLock()

    private static let libraryInitialised: Int32 = libssh2_init(0)

    /// Connects, verifies the host key against known_hosts and authenticates.
    init(endpoint: SSHEndpoint, connectTimeout: Duration = .seconds(15)) throws {
        _ = Self.libraryInitialised
        self.endpoint = endpoint
        self.destination = endpoint.port == 22 ? endpoint.host : "\(endpoint.host):\(endpoint.port)"
        socket = try Self.openSocket(host: endpoint.host, port: endpoint.port, timeout: connectTimeout, destination: destination)
        guard let s = ocore_ssh_session_init() else {
            close(socket)
            throw SSHError.handshakeFailed(destination: destination, reason: "libssh2 could not create a session")
        }
        session = s
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, Int(connectTimeout.components.seconds * 1000))
        Self.preferFastAlgorithms(session)
        // From here on a throw still runs deinit (all properties are set), which frees the session.
        guard libssh2_session_handshake(session, socket) == 0 else {
            throw SSHError.handshakeFailed(destination: destination, reason: lastError)
        }
        try verifyHostKey()
        try authenticate()
        // Long dumps go quiet for minutes; keepalives stop NAT boxes from dropping the session.
        libssh2_keepalive_config(session, 1, 30)
        libssh2_session_set_timeout(session, 0)
    }

    /// Bulk transfers (dumps, filestores) are bound by cipher and MAC speed. libssh2 1.10 has no
    /// AEAD ciphers, so prefer AES-128-CTR (AES-NI) and, where the server offers both, the MACs
    /// in order of speed; everything listed is still secure, and the server decides what it allows.
    static let cipherPreference = ProcessInfo.processInfo.environment["OCORE_SSH_CIPHERS"]
        ?? "aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc,aes128-cbc"
    static let macPreference = ProcessInfo.processInfo.environment["OCORE_SSH_MACS"] ?? "hmac-sha2-256,hmac-sha2-512,hmac-sha1"

    private static func preferFastAlgorithms(_ session: OpaquePointer) {
        _ = ocore_ssh_method_pref(session, ocore_ssh_method_crypt_cs(), cipherPreference)
        _ = ocore_ssh_method_pref(session, ocore_ssh_method_crypt_sc(), cipherPreference)
        _ = ocore_ssh_method_pref(session, ocore_ssh_method_mac_cs(), macPreference)
        _ = ocore_ssh_method_pref(session, ocore_ssh_method_mac_sc(), macPreference)
    }

    deinit {
        _ = ocore_ssh_disconnect(session, "ocore done")
        libssh2_session_free(session)
        close(socket)
    }

    func withSession<T>(_ body: (OpaquePointer, Int32) throws -> T) rethrows -> T {
        try lock.withLock { try body(session, socket) }
    }

    var lastError: String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        libssh2_session_last_error(session, &message, &length, 0)
        return message.map { String(cString: $0) } ?? "unknown libssh2 error"
    }

    /// Waits until the socket is ready in the direction libssh2 is blocked on, up to `timeoutMs`.
    func waitSocket(timeoutMs: Int32) {
        let directions = libssh2_session_block_directions(session)
        var events: Int16 = 0
        if directions & ocore_ssh_session_block_inbound() != 0 { events |= Int16(POLLIN) }
        if directions & ocore_ssh_session_block_outbound() != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        var pfd = pollfd(fd: socket, events: events, revents: 0)
        _ = poll(&pfd, 1, timeoutMs)
    }

    func sendKeepalive() {
        var next: Int32 = 0
        libssh2_keepalive_send(session, &next)
    }

    // MARK: Connecting

    private static func openSocket(host: String, port: Int, timeout: Duration, destination: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw SSHError.connectFailed(destination: destination, reason: "cannot resolve host (\(String(cString: gai_strerror(rc))))")
        }
        defer { freeaddrinfo(result) }
        var lastReason = "no address"
        var info: UnsafeMutablePointer<addrinfo>? = first
        while let ai = info {
            info = ai.pointee.ai_next
            let fd = Glibc.socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var ok = Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0
            if !ok && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ms = Int32(timeout.components.seconds * 1000)
                if poll(&pfd, 1, ms) == 1 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    ok = err == 0
                    if !ok { lastReason = String(cString: strerror(err)) }
                } else {
                    lastReason = "timed out after \(timeout)"
                }
            } else if !ok {
                lastReason = String(cString: strerror(errno))
            }
            if ok {
                _ = fcntl(fd, F_SETFL, flags)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            close(fd)
        }
        throw SSHError.connectFailed(destination: destination, reason: lastReason)
    }

    private var knownHostsPath: String {
        endpoint.knownHostsFile ?? (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.ssh/known_hosts"
    }

    private func hostKeyFingerprint() -> String {
        guard let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) else { return "unknown fingerprint" }
        let bytes = Data(bytes: hash, count: 32)
        var b64 = bytes.base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    private func verifyHostKey() throws {
        var keyLength = 0
        var keyType: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &keyLength, &keyType) else {
            throw SSHError.handshakeFailed(destination: destination, reason: "the server sent no host key")
        }
        guard let knownHosts = libssh2_knownhost_init(session) else {
            throw SSHError.handshakeFailed(destination: destination, reason: "libssh2 could not load known hosts")
        }
        defer { libssh2_knownhost_free(knownHosts) }
        let path = knownHostsPath
        if FileManager.default.fileExists(atPath: path) {
            _ = libssh2_knownhost_readfile(knownHosts, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
        }
        let keyBits = Self.knownHostKeyBits(forHostKeyType: keyType)
        let mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | keyBits
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        let check = libssh2_knownhost_checkp(knownHosts, endpoint.host, Int32(endpoint.port), key, keyLength, mask, &entry)
        let fingerprint = hostKeyFingerprint()
        switch check {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            throw SSHError.hostKeyChanged(destination: destination, fingerprint: fingerprint, knownHosts: path)
        default:
            guard endpoint.acceptNewHostKey else {
                throw SSHError.unknownHostKey(destination: destination, fingerprint: fingerprint, knownHosts: path)
            }
            try appendHostKey(knownHosts, key: key, length: keyLength, mask: mask, path: path)
        }
    }

    /// Appends one line for this host instead of rewriting the file, so entries libssh2 cannot
    /// parse (it stops reading at the first one) are never lost.
    private func appendHostKey(_ knownHosts: OpaquePointer, key: UnsafePointer<CChar>, length: Int, mask: Int32, path: String) throws {
        let name = endpoint.port == 22 ? endpoint.host : "[\(endpoint.host)]:\(endpoint.port)"
        var added: UnsafeMutablePointer<libssh2_knownhost>?
        guard libssh2_knownhost_addc(knownHosts, name, nil, key, length, nil, 0, mask, &added) == 0, let added else {
            throw SSHError.handshakeFailed(destination: destination, reason: "cannot record the host key: \(lastError)")
        }
        var line = [CChar](repeating: 0, count: 8192)
        var written = 0
        guard libssh2_knownhost_writeline(knownHosts, added, &line, line.count, &written, LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0 else {
            throw SSHError.handshakeFailed(destination: destination, reason: "cannot format the host key line")
        }
        let text = String(cString: line)
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SSHError.handshakeFailed(destination: destination, reason: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    private static func knownHostKeyBits(forHostKeyType type: Int32) -> Int32 {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case LIBSSH2_HOSTKEY_TYPE_DSS: LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case LIBSSH2_HOSTKEY_TYPE_ED25519: LIBSSH2_KNOWNHOST_KEY_ED25519
        default: LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
    }

    // MARK: Authentication

    private func authenticate() throws {
        if let keyFile = endpoint.identityFile {
            guard FileManager.default.isReadableFile(atPath: keyFile) else { throw SSHError.keyFileUnreadable(path: keyFile) }
            let rc = ocore_ssh_userauth_publickey_fromfile(session, endpoint.user, keyFile, nil)
            guard rc == 0 else {
                if Self.isRSAKey(path: keyFile) { throw SSHError.rsaKeyRefused(destination: destination, keyFile: keyFile) }
                throw SSHError.authenticationFailed(destination: "\(endpoint.user)@\(destination)", method: "the key \(keyFile)",
                                                    reason: lastError)
            }
            return
        }
        try authenticateWithAgent()
    }

    private func authenticateWithAgent() throws {
        let who = "\(endpoint.user)@\(destination)"
        guard let agent = libssh2_agent_init(session) else {
            throw SSHError.authenticationFailed(destination: who, method: "the ssh-agent", reason: "cannot initialise agent support")
        }
        defer { libssh2_agent_disconnect(agent); libssh2_agent_free(agent) }
        guard libssh2_agent_connect(agent) == 0 else {
            throw SSHError.authenticationFailed(destination: who, method: "the ssh-agent",
                                                reason: "no agent is running (SSH_AUTH_SOCK); give --identity FILE or start ssh-agent")
        }
        guard libssh2_agent_list_identities(agent) == 0 else {
            throw SSHError.authenticationFailed(destination: who, method: "the ssh-agent", reason: "cannot list the agent's keys")
        }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        var sawRSA = false
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            if libssh2_agent_userauth(agent, endpoint.user, current) == 0 { return }
            if let blob = current.pointee.blob, current.pointee.blob_len > 11,
               String(decoding: UnsafeBufferPointer(start: blob + 4, count: 7), as: UTF8.self) == "ssh-rsa" {
                sawRSA = true
            }
            previous = current
        }
        throw SSHError.authenticationFailed(destination: who, method: "every key in the ssh-agent",
                                            reason: sawRSA ? "only RSA keys were tried and libssh2 1.10 cannot sign with rsa-sha2; add an ed25519 key" : lastError)
    }

    /// Tells RSA keys apart in both PEM and OpenSSH formats (the latter names its type inside the base64 body).
    static func isRSAKey(path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        if text.contains("BEGIN RSA PRIVATE KEY") { return true }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return false }
        return data.range(of: Data("ssh-rsa".utf8)) != nil
    }
}
