import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Register and check the servers that host Odoo databases and filestores.",
        subcommands: [Add.self, List.self, Show.self, Test.self, Exec.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", 
            abstract: "Register a server reached on this host (--local) or over SSH (--ssh USER@HOST[:PORT]).",
            discussion: "An SSH server is contacted once before it is saved, so a wrong key or an unknown host key is reported now.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the server.") var name: String
        @Flag(help: "Commands run on this host.") var local = false
        @Option(help: ArgumentHelp("SSH destination.", valueName: "user@host[:port]")) var ssh: String?
        @Option(help: ArgumentHelp("Private key (ed25519 or ECDSA); default: the ssh-agent.", valueName: "file")) var identity: String?
        @Option(name: .customLong("known-hosts"), help: ArgumentHelp("known_hosts file (default ~/.ssh/known_hosts).", valueName: "file")) var knownHosts: String?
        @Flag(name: .customLong("accept-new-host-key"), help: "Record the host key on first contact (a changed key is still refused).") var acceptNewHostKey = false
        @Flag(name: .customLong("no-check"), help: "Save without contacting the server.") var noCheck = false
        @OptionGroup var postgres: PostgresOptions
        @Option(name: .customLong("data-dir"), help: ArgumentHelp("Odoo data_dir on the server (default /var/lib/odoo).", valueName: "dir")) var dataDir: String?
        @Option(name: .customLong("max-jobs"), help: "Mutating jobs allowed at once on this server.") var maxJobs: Int = 2

        func validate() throws {
            guard local != (ssh != nil) else { throw ValidationError("give exactly one of --local or --ssh USER@HOST[:PORT]") }
            if local && (identity != nil || knownHosts != nil || acceptNewHostKey) {
                throw ValidationError("--identity, --known-hosts and --accept-new-host-key only apply to --ssh servers")
            }
            guard maxJobs >= 1 else { throw ValidationError("--max-jobs must be at least 1") }
        }

        func run() throws {
            let connection: ServerConnection
            if let ssh {
                var endpoint = try SSHEndpoint.parse(ssh)
                endpoint.identityFile = identity.map(absolutePath)
                endpoint.knownHostsFile = knownHosts.map(absolutePath)
                endpoint.acceptNewHostKey = acceptNewHostKey
                connection = .ssh(endpoint)
            } else {
                connection = .local
            }
            let server = Server(name: name, connection: connection, postgres: postgres.settings, dataDir: dataDir,
                                maxConcurrentJobs: maxJobs)
            var registration = ServerRegistration(server: server)
            registration.checkConnection = !noCheck
            try registration.register(store: try global.openStore(), by: .current)
            print("server \(name) added (\(server.kindLabel))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List servers.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let servers = try global.openStore().servers()
            if json { return try JSONOutput.print(servers.map(ServerJSON.init)) }
            var table = TextTable(header: ["NAME", "CONNECTION", "POSTGRESQL", "DATA DIR"])
            for s in servers {
                let pg = s.postgres.applying(defaults: .builtInDefaults)
                table.rows.append([s.name, s.kindLabel, "\(pg.user ?? "")@\(pg.host ?? "socket"):\(pg.port ?? 5432)", s.effectiveDataDir])
            }
            print(servers.isEmpty ? "no servers yet: add one with `ocore server add NAME --local` or `--ssh USER@HOST`" : table.render())
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one server.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let server = try global.openStore().server(named: name)
            let view = ServerJSON(server)
            if json { return try JSONOutput.print(view) }
            for (key, value) in view.fields { print("\(key.padding(toLength: 20, withPad: " ", startingAt: 0)) \(value)") }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Reach a server and check pg_dump/psql, PostgreSQL, disk, CPU and memory.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let server = try global.openStore().server(named: name)
            let results = try ServerCheck(server: server, executor: Executors.forServer(server)).run()
            if json {
                try JSONOutput.print(results)
            } else {
                for r in results {
                    print("\(r.passed ? "✓" : "✗") \(r.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(r.detail)")
                }
            }
            let failed = results.filter { !$0.passed }
            guard failed.isEmpty else {
                throw CLIError("server \(name) failed \(failed.count) check(s): " + failed.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
            }
        }
    }

    struct Exec: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "exec", 
            abstract: "Run a command on a server through ocore's executor (the same path jobs use), streaming its output.",
            discussion: "Example: ocore server exec erp1 -- df -h /var/lib/odoo")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).") var command: [String] = []

        func run() throws {
            let argv = command.first == "--" ? Array(command.dropFirst()) : command
            guard !argv.isEmpty else { throw ValidationError("give the command after --, e.g. `ocore server exec \(name) -- uptime`") }
            let server = try global.openStore().server(named: name)
            let termination = try Executors.forServer(server).execute(Command(argv), stdin: isatty(0) == 1 ? nil : FileDescriptorSource(0), stdout: FileDescriptorSink(1),
                                                                      stderr: FileDescriptorSink(2), cancellation: nil)
            switch termination {
            case .exited(0): return
            case .exited(let code): throw ExitCode(code)
            default: throw ExitCode(1)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a server record (it must host no environments).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            try ServerRemoval(name: name).remove(store: try global.openStore(), by: .current)
            print("server \(name) removed")
        }
    }
}

/// PostgreSQL connection flags shared by `server add` and `env add`.
struct PostgresOptions: ParsableArguments {
    @Option(name: .customLong("pg-host"), help: ArgumentHelp("PostgreSQL host or socket directory, as seen from the server.", valueName: "host")) var host: String?
    @Option(name: .customLong("pg-port"), help: ArgumentHelp("PostgreSQL port.", valueName: "port")) var port: Int?
    @Option(name: .customLong("pg-user"), help: ArgumentHelp("PostgreSQL role.", valueName: "user")) var user: String?

    var settings: PostgresSettings { PostgresSettings(host: host, port: port, user: user) }
}

func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    if path.hasPrefix("~/") { return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst() }
    return FileManager.default.currentDirectoryPath + "/" + path
}

/// The JSON shape of a server in `server list/show --json`.
struct ServerJSON: Encodable {
    let server: Server

    init(_ server: Server) { self.server = server }

    enum Keys: String, CodingKey {
        case name, kind, ssh_user, ssh_host, ssh_port, identity_file, known_hosts_file, accept_new_host_key
        case pg_host, pg_port, pg_user, data_dir, max_concurrent_jobs
    }

    var ssh: SSHEndpoint? { if case .ssh(let e) = server.connection { e } else { nil } }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(server.name, forKey: .name)
        try c.encode(ssh == nil ? "local" : "ssh", forKey: .kind)
        try c.encodeNullable(ssh?.user, forKey: .ssh_user)
        try c.encodeNullable(ssh?.host, forKey: .ssh_host)
        try c.encodeNullable(ssh?.port, forKey: .ssh_port)
        try c.encodeNullable(ssh?.identityFile, forKey: .identity_file)
        try c.encodeNullable(ssh?.knownHostsFile, forKey: .known_hosts_file)
        try c.encode(ssh?.acceptNewHostKey ?? false, forKey: .accept_new_host_key)
        let pg = server.postgres.applying(defaults: .builtInDefaults)
        try c.encodeNullable(pg.host, forKey: .pg_host)
        try c.encodeNullable(pg.port, forKey: .pg_port)
        try c.encodeNullable(pg.user, forKey: .pg_user)
        try c.encode(server.effectiveDataDir, forKey: .data_dir)
        try c.encode(server.maxConcurrentJobs, forKey: .max_concurrent_jobs)
    }

    var fields: [(String, String)] {
        let pg = server.postgres.applying(defaults: .builtInDefaults)
        var f: [(String, String)] = [("name", server.name), ("connection", server.kindLabel)]
        if let ssh {
            f.append(("identity", ssh.identityFile ?? "ssh-agent"))
            f.append(("known hosts", ssh.knownHostsFile ?? "~/.ssh/known_hosts"))
        }
        f += [("postgresql host", pg.host ?? "(local socket)"), ("postgresql port", String(pg.port ?? 5432)),
              ("postgresql user", pg.user ?? ""), ("data dir", server.effectiveDataDir),
              ("max jobs", String(server.maxConcurrentJobs))]
        return f
    }
}
