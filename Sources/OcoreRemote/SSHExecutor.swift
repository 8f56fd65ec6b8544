import CLibssh2
import Foundation
import OcoreModel

/// Runs commands on a server over SSH (libssh2). The connection opens on first use and is reused;
/// commands on one executor run one at a time (a libssh2 session is single-threaded), so use one
/// executor per concurrent stream.
public final class SSHExecutor: Executor, @unchecked Sendable {
    public let endpoint: SSHEndpoint
    private let lock = NSLock()
    private var session: SSHSession?

    public init(endpoint: SSHEndpoint) {
        self.endpoint = endpoint
    }

    public var hostDescription: String { endpoint.destination }

    /// Opens the connection now (host key check and authentication), so errors surface early.
    public func connect() throws {
        _ = try openSession()
    }

    func connectedSession() throws -> SSHSession { try openSession() }

    private func openSession() throws -> SSHSession {
        try lock.withLock {
            if let session { return session }
            let opened = try SSHSession(endpoint: endpoint)
            session = opened
            return opened
        }
    }

    public func execute(_ command: Command, stdin: ByteSource?, stdout: ByteSink, stderr: ByteSink,
                        cancellation: CancellationFlag?) throws -> CommandResult.Termination {
        let ssh = try openSession()
        let line = ShellQuote.remoteCommandLine(for: command, announcePID: true)
        return try ssh.withSession { session, _ in
            try Self.exec(ssh: ssh, session: session, line: line, timeout: command.timeout, stdin: stdin,
                          stdout: stdout, stderr: stderr, cancellation: cancellation)
        }
    }

    private static func exec(ssh: SSHSession, session: OpaquePointer, line: String, timeout: Duration?,
                             stdin: ByteSource?, stdout: ByteSink, stderr realStderr: ByteSink,
                             cancellation: CancellationFlag?) throws -> CommandResult.Termination {
        let stderr = PIDCapturingSink(realStderr)
        libssh2_session_set_blocking(session, 1)
        guard let channel = ocore_ssh_channel_open_session(session) else {
            throw SSHError.channelFailed(destination: ssh.destination, reason: ssh.lastError)
        }
        var freed = false
        defer { if !freed { libssh2_channel_free(channel) } }
        guard ocore_ssh_channel_exec(channel, line) == 0 else {
            throw SSHError.channelFailed(destination: ssh.destination, reason: ssh.lastError)
        }
        if stdin == nil { libssh2_channel_send_eof(channel) }

        libssh2_session_set_blocking(session, 0)
        let eagain = ssize_t(ocore_ssh_error_eagain())
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var lastKeepalive = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var pending: [UInt8] = []
        var pendingOffset = 0
        var inputDone = stdin == nil
        var stop: CommandResult.Termination?

        while true {
            if cancellation?.isCancelled == true { stop = .cancelled; break }
            if let deadline, ContinuousClock.now >= deadline { stop = .timedOut; break }
            var progressed = false
            var outEOF = false, errEOF = false
            // Drain both streams so the remote side never blocks on a full window.
            for isStderr in [false, true] {
                while true {
                    let n = buffer.withUnsafeMutableBytes { raw in
                        let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                        return isStderr ? ocore_ssh_channel_read_stderr(channel, base, raw.count)
                                        : ocore_ssh_channel_read(channel, base, raw.count)
                    }
                    if n > 0 {
                        progressed = true
                        try buffer.withUnsafeBytes { raw in
                            try (isStderr ? stderr : stdout).write(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                        }
                    } else if n == eagain {
                        break
                    } else if n == 0 {
                        if isStderr { errEOF = true } else { outEOF = true }
                        break
                    } else {
                        throw SSHError.connectionLost(destination: ssh.destination, reason: ssh.lastError)
                    }
                }
            }
            if !inputDone, let source = stdin {
                if pendingOffset >= pending.count {
                    let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                    if n == 0 {
                        inputDone = true
                        while libssh2_channel_send_eof(channel) == Int32(eagain) { ssh.waitSocket(timeoutMs: 100) }
                    } else if n > 0 {
                        pending = Array(buffer[0..<n])
                        pendingOffset = 0
                    }
                }
                if pendingOffset < pending.count {
                    let written = pending[pendingOffset...].withUnsafeBytes { raw in
                        ocore_ssh_channel_write(channel, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                    }
                    if written > 0 { pendingOffset += written; progressed = true }
                    else if written != eagain {
                        throw SSHError.connectionLost(destination: ssh.destination, reason: ssh.lastError)
                    }
                }
            }
            if outEOF && errEOF && libssh2_channel_eof(channel) != 0 { break }
            if !progressed {
                if ContinuousClock.now - lastKeepalive > .seconds(20) {
                    ssh.sendKeepalive()
                    lastKeepalive = ContinuousClock.now
                }
                ssh.waitSocket(timeoutMs: 100)
            }
        }

        try stderr.finish()
        libssh2_session_set_blocking(session, 1)
        if let stop, let pid = stderr.pid {
            // Stop the remote command and everything it started: TERM, a grace period, then KILL.
            let group = "-\(pid)"
            _ = quickExec(session, "kill -TERM -- \(group) 2>/dev/null")
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline, quickExec(session, "kill -0 -- \(group) 2>/dev/null") == 0 {
                Thread.sleep(forTimeInterval: 0.1)
            }
            _ = quickExec(session, "kill -KILL -- \(group) 2>/dev/null")
        }
        if let stop {
            // Do not wait for the remote side: closing the channel makes sshd close the command's
            // pipes, and a command still writing dies of SIGPIPE. (libssh2 1.10 cannot send a
            // signal over the channel; killing a silent remote command is the job engine's.)
            libssh2_session_set_timeout(session, 500)
            libssh2_channel_close(channel)
            libssh2_channel_free(channel)
            freed = true
            libssh2_session_set_timeout(session, 0)
            return stop
        }
        libssh2_channel_close(channel)
        libssh2_channel_wait_closed(channel)
        var signalName: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        libssh2_channel_get_exit_signal(channel, &signalName, &signalLength, nil, nil, nil, nil)
        if let signalName {
            defer { free(signalName) }
            return .signalled(Self.signalNumber(String(cString: signalName)))
        }
        return .exited(libssh2_channel_get_exit_status(channel))
    }

    /// Runs a short command on a new channel of the session (blocking) and returns its exit status.
    private static func quickExec(_ session: OpaquePointer, _ line: String) -> Int32? {
        libssh2_session_set_timeout(session, 5_000)
        defer { libssh2_session_set_timeout(session, 0) }
        guard let channel = ocore_ssh_channel_open_session(session) else { return nil }
        defer { libssh2_channel_free(channel) }
        guard ocore_ssh_channel_exec(channel, line) == 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 4096)
        while ocore_ssh_channel_read(channel, &buffer, buffer.count) > 0 {}
        while ocore_ssh_channel_read_stderr(channel, &buffer, buffer.count) > 0 {}
        libssh2_channel_close(channel)
        libssh2_channel_wait_closed(channel)
        return libssh2_channel_get_exit_status(channel)
    }

    private static func signalNumber(_ name: String) -> Int32 {
        ["HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "ABRT": 6, "FPE": 8, "KILL": 9, "SEGV": 11, "PIPE": 13,
         "ALRM": 14, "TERM": 15][name] ?? 0
    }
}

/// Builds the executor for a server: this host's for local servers, an SSH one otherwise.
public enum Executors {
    public static func forServer(_ server: Server) -> any Executor {
        switch server.connection {
        case .local: LocalExecutor()
        case .ssh(let endpoint): SSHExecutor(endpoint: endpoint)
        }
    }
}

/// Takes the PID announcement off the front of a remote command's stderr and passes the rest on.
final class PIDCapturingSink: ByteSink {
    let target: ByteSink
    private(set) var pid: Int?
    private var head = Data()
    private var done = false

    init(_ target: ByteSink) { self.target = target }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if done { return try target.write(bytes) }
        head.append(contentsOf: bytes)
        guard let newline = head.firstIndex(of: 0x0A) else {
            if head.count > 256 { try flushHead() }  // no announcement: pass everything through
            return
        }
        let line = String(decoding: head[head.startIndex..<newline], as: UTF8.self)
        if line.hasPrefix(ShellQuote.pidMarker), let value = Int(line.dropFirst(ShellQuote.pidMarker.count)) {
            pid = value
            head = Data(head[(newline + 1)...])
        }
        try flushHead()
    }

    /// Passes on whatever is still held (a stderr that ended without a newline).
    func finish() throws {
        if !done { try flushHead() }
    }

    private func flushHead() throws {
        done = true
        if !head.isEmpty { try head.withUnsafeBytes { try target.write($0) } }
        head = Data()
    }
}
