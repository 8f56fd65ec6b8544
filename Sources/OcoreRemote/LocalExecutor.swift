import COcoreSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs commands on this host with `posix_spawnp`: no shell, the child in its own process group
/// (so a kill reaches everything it started), pipes polled from one thread so neither stream can
/// fill up and stall the child, and no whole output held in memory unless a sink keeps it.
public struct LocalExecutor: Executor {
    /// Time between SIGTERM and SIGKILL when a command is stopped.
    public var killGrace: Duration

    public init(killGrace: Duration = .seconds(5)) {
        self.killGrace = killGrace
    }

    public var hostDescription: String { "local" }

    public func execute(_ command: Command, stdin: ByteSource?, stdout: ByteSink, stderr: ByteSink,
                        cancellation: CancellationFlag?) throws -> CommandResult.Termination {
        let child = try SpawnedProcess(command: command, wantsStdin: stdin != nil)
        cancellation?.started(processGroup: child.pid)
        defer { cancellation?.ended(processGroup: child.pid) }
        let deadline = command.timeout.map { ContinuousClock.now + $0 }
        var stopReason: CommandResult.Termination?
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var pendingInput: [UInt8] = []
        var pendingOffset = 0
        var inputDone = stdin == nil

        var outOpen = true, errOpen = true
        do {
        while outOpen || errOpen || !inputDone {
            if stopReason == nil {
                if cancellation?.isCancelled == true { stopReason = .cancelled }
                else if let deadline, ContinuousClock.now >= deadline { stopReason = .timedOut }
                if stopReason != nil {
                    child.terminate(grace: killGrace)
                    if !inputDone { child.closeStdin(); inputDone = true }
                }
            }
            // Refill the input buffer before polling, so POLLOUT is only asked for with data to send.
            if !inputDone, pendingOffset >= pendingInput.count, let source = stdin {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { child.closeStdin(); inputDone = true } else if n > 0 {
                    pendingInput = Array(buffer[0..<n])
                    pendingOffset = 0
                }
            }
            var fds: [pollfd] = []
            if outOpen { fds.append(pollfd(fd: child.stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if errOpen { fds.append(pollfd(fd: child.stderrFD, events: Int16(POLLIN), revents: 0)) }
            if !inputDone && pendingOffset < pendingInput.count { fds.append(pollfd(fd: child.stdinFD, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready < 0 && errno != EINTR { throw ExecutionError.io("poll failed: \(String(cString: strerror(errno)))") }
            for pfd in fds where pfd.revents != 0 {
                if pfd.fd == child.stdinFD {
                    if pfd.revents & Int16(POLLOUT) != 0 {
                        let written = pendingInput[pendingOffset...].withUnsafeBytes {
                            Glibc.write(child.stdinFD, $0.baseAddress, $0.count)
                        }
                        if written > 0 { pendingOffset += written }
                        else if written < 0 && errno != EAGAIN && errno != EINTR { child.closeStdin(); inputDone = true }
                    } else { child.closeStdin(); inputDone = true } // POLLERR/POLLHUP: the reader went away
                    continue
                }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(pfd.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    try buffer.withUnsafeBytes { raw in
                        let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                        try (pfd.fd == child.stdoutFD ? stdout : stderr).write(chunk)
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    if pfd.fd == child.stdoutFD { outOpen = false } else { errOpen = false }
                }
            }
        }
        } catch {
            // A sink or source failed (e.g. the other end of a pipe went away): stop the command.
            child.terminate(grace: killGrace)
            _ = child.wait()
            throw error
        }
        let status = child.wait()
        return stopReason ?? status
    }
}

/// A child process with its three pipes. Closes what it owns when done.
final class SpawnedProcess {
    let pid: pid_t
    private(set) var stdinFD: Int32 = -1
    let stdoutFD: Int32
    let stderrFD: Int32

    init(command: Command, wantsStdin: Bool) throws {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard ocore_pipe_cloexec(&inPipe) == 0, ocore_pipe_cloexec(&outPipe) == 0, ocore_pipe_cloexec(&errPipe) == 0 else {
            throw ExecutionError.spawnFailed(command.program, reason: String(cString: strerror(errno)))
        }
        // A 1 MiB output pipe (F_SETPIPE_SZ; Linux's default is 64 KiB): a producer such as
        // pg_dump runs ahead while its reader compresses, instead of stopping every 64 KiB.
        _ = fcntl(outPipe[0], 1031, Int32(1 << 20))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if wantsStdin {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let dir = command.workingDirectory { ocore_spawn_addchdir(&actions, dir) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        configureSpawnAttributes(&attributes, newSession: false)

        var env = ProcessInfo.processInfo.environment
        for (k, v) in command.environment { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }

        var pid: pid_t = 0
        let program = PostgresClientPath.program(for: command)
        let rc = withCStrings(command.arguments) { argv in
            withCStrings(envStrings) { envp in
                posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
            }
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            if rc == ENOENT { throw ExecutionError.programNotFound(command.program, host: "this host") }
            throw ExecutionError.spawnFailed(command.program, reason: String(cString: strerror(rc)))
        }
        self.pid = pid
        if wantsStdin {
            stdinFD = inPipe[1]
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        } else {
            close(inPipe[1])
        }
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD); stdinFD = -1 }
    }

    /// SIGTERM to the whole process group now, SIGKILL after `grace` if it is still there.
    func terminate(grace: Duration) {
        kill(-pid, SIGTERM)
        let pgid = pid
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18)
            kill(-pgid, SIGKILL)
        }
    }

    func wait() -> CommandResult.Termination {
        closeStdin()
        close(stdoutFD)
        close(stderrFD)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// Children start with default signal handlers and an empty mask (whatever this process set up
/// for itself), in a process group of their own — or, with `newSession`, a session of their own,
/// so that a closing terminal's SIGHUP never reaches them.
func configureSpawnAttributes(_ attributes: inout posix_spawnattr_t, newSession: Bool) {
    var defaults = sigset_t()
    sigfillset(&defaults)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
    if newSession {
        flags |= ocore_spawn_setsid_flag()
    } else {
        flags |= Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))
}
