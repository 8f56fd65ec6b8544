import Foundation
import OcoreModel
import OcoreRemote

/// What `server test` checks on a server, each reported on its own line.
public struct ServerCheck: Sendable {
    public struct Result: Sendable, Equatable, Codable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public let server: Server
    public let executor: any Executor

    public init(server: Server, executor: any Executor) {
        self.server = server
        self.executor = executor
    }

    /// Runs every check. Throws only when the server cannot be reached at all (connection, host
    /// key, authentication): then nothing else can be checked.
    public func run() throws -> [Result] {
        var results: [Result] = []
        // Reaching the server: any command proves connection, host key and authentication.
        let hello = try executor.run(Command(["uname", "-sr"], timeout: .seconds(30)))
        let via = server.connection == .local ? "local" : "ssh \(executor.hostDescription), host key verified"
        results.append(Result(name: "reach", passed: hello.succeeded,
                              detail: hello.succeeded ? "\(via) (\(hello.stdoutText.trimmed))" : hello.summary))
        for program in ["pg_dump", "psql", "pg_restore"] {
            results.append(versionCheck(program))
        }
        let pg = PSQL(executor: executor, connection: PostgresConnection.maintenance(of: server))
        do {
            let version = try pg.scalar("SHOW server_version") ?? "?"
            results.append(Result(name: "postgresql", passed: true, detail: "server \(version) as \(pg.connection.user)"))
        } catch {
            results.append(Result(name: "postgresql", passed: false, detail: "\(error)"))
        }
        results.append(check("disk") {
            let space = try RemoteFileSystem(executor).diskSpace(at: server.effectiveDataDir)
            return "\(formatBytes(space.free)) free of \(formatBytes(space.total)) on \(space.mount) (data dir \(server.effectiveDataDir))"
        })
        results.append(check("cpu") { "\(try RemoteFileSystem(executor).cpuCount()) cores" })
        results.append(check("memory") {
            let mem = try RemoteFileSystem(executor).memory()
            return "\(formatBytes(mem.available)) available of \(formatBytes(mem.total))"
        })
        return results
    }

    private func versionCheck(_ program: String) -> Result {
        do {
            let result = try executor.run(Command([program, "--version"], timeout: .seconds(30)))
            if result.succeeded { return Result(name: program, passed: true, detail: result.stdoutText.trimmed) }
            if case .exited(127) = result.termination {
                return Result(name: program, passed: false,
                              detail: "\(program) is not installed on \(executor.hostDescription): apt-get install postgresql-client-15")
            }
            return Result(name: program, passed: false, detail: result.summary)
        } catch ExecutionError.programNotFound {
            return Result(name: program, passed: false,
                          detail: "\(program) is not installed on \(executor.hostDescription): apt-get install postgresql-client-15")
        } catch {
            return Result(name: program, passed: false, detail: "\(error)")
        }
    }

    private func check(_ name: String, _ body: () throws -> String) -> Result {
        do { return Result(name: name, passed: true, detail: try body()) } catch {
            return Result(name: name, passed: false, detail: "\(error)")
        }
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension ServerCheck {
    /// What the server can take now (the Servers view, the wizard's ✓/✗): each fact read on its
    /// own, so one that cannot be read leaves the others. Unreachable only when nothing answers.
    public func facts() -> ServerFacts {
        // An unreachable server fails once here, not once per fact.
        do { _ = try executor.run(Command(["true"], timeout: .seconds(20))) } catch { return .unreachable("\(error)") }
        let fs = RemoteFileSystem(executor)
        let disk = try? fs.diskSpace(at: server.effectiveDataDir)
        let memory = try? fs.memory()
        let cores = try? fs.cpuCount()
        let pg = PSQL(executor: executor, connection: PostgresConnection.maintenance(of: server))
        return ServerFacts(cores: cores, load1: try? fs.loadAverage(), memoryTotal: memory?.total, memoryAvailable: memory?.available,
                           diskTotal: disk?.total, freeBytes: disk?.free, postgresVersion: try? pg.scalar("SHOW server_version"))
    }
}
