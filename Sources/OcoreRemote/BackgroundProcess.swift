import COcoreSupport
import Foundation

/// A process started to run on its own: output to a log file, stdin from /dev/null, in its own
/// process group (or, with `newSession`, its own session, so closing the terminal that started
/// it does not send it SIGHUP). Used for servers in tests and for detached workers.
public struct BackgroundProcess: Sendable {
    public let pid: pid_t

    public static func spawn(_ arguments: [String], environment: [String: String] = [:], logPath: String,
                             newSession: Bool = false) throws -> BackgroundProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        configureSpawnAttributes(&attributes, newSession: newSession)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(env.map { "\($0.key)=\($0.value)" }) { envp in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard rc == 0 else {
            if rc == ENOENT { throw ExecutionError.programNotFound(arguments[0], host: "this host") }
            throw ExecutionError.spawnFailed(arguments[0], reason: String(cString: strerror(rc)))
        }
        return BackgroundProcess(pid: pid)
    }

    public var isRunning: Bool { kill(pid, 0) == 0 }

    /// SIGTERM to its process group, then SIGKILL after `grace`; reaps it if it is our child.
    public func stop(grace: Duration = .seconds(3)) {
        kill(-pid, SIGTERM)
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid || !isRunning { return }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}
