import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore
import TOMLKit

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Export or import servers, environments and storage as TOML.",
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the inventory to a TOML file (secrets are references only).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Destination file, or - for stdout.", valueName: "file.toml")) var file: String
        @Flag(help: "Write JSON (the same tables and keys) instead of TOML.") var json = false

        func run() throws {
            let inventory = try global.openStore().exportInventory()
            let text = json ? try InventoryTOML.json(inventory) : try InventoryTOML.encode(inventory)
            if file == "-" { return print(text, terminator: "") }
            try text.write(toFile: absolutePath(file), atomically: true, encoding: .utf8)
            print("inventory written to \(file)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", 
            abstract: "Add or update (by name) everything in a TOML file, all or nothing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Inventory file.", valueName: "file.toml")) var file: String
        @Option(help: ArgumentHelp("Allow the file to lower this protected environment's protection or change its type (repeat per environment).", valueName: "name"))
        var confirm: [String] = []
        @Flag(help: "Print what was imported as JSON.") var json = false

        func run() throws {
            let path = absolutePath(file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError("cannot read \(file): check the path and its permissions")
            }
            let inventory = try InventoryTOML.decode(text, source: file)
            try InventoryImport(inventory: inventory, source: file, confirmed: confirm).apply(store: try global.openStore(), by: .current)
            if json { return try JSONOutput.print(["servers": inventory.servers.count, "environments": inventory.environments.count, "storage": inventory.storage.count]) }
            print("imported \(inventory.servers.count) server(s), \(inventory.environments.count) environment(s), \(inventory.storage.count) storage target(s)")
        }
    }
}

/// The TOML layout of an inventory file: `[[servers]]`, `[[environments]]`, `[[storage]]` tables
/// with the same names as the CLI flags.
enum InventoryTOML {
    struct File: Codable {
        var servers: [ServerEntry]?
        var environments: [EnvironmentEntry]?
        var storage: [StorageEntry]?
    }

    struct ServerEntry: Codable {
        var name: String
        var ssh: String?
        var identity: String?
        var known_hosts: String?
        var accept_new_host_key: Bool?
        var pg_host: String?
        var pg_port: Int?
        var pg_user: String?
        var data_dir: String?
        var max_jobs: Int?
    }

    struct EnvironmentEntry: Codable {
        var name: String
        var project: String
        var type: String
        var server: String
        var db: String
        var pg_host: String?
        var pg_port: Int?
        var pg_user: String?
        var pg_password_env: String?
        var filestore: String?
        var addons: [String]?
        var url: String?
        var branch: String?
        var protected: Bool?
        var stop_command: [String]?
        var start_command: [String]?
        var filestore_owner: String?
        var odoo_conf: String?
    }

    struct StorageEntry: Codable {
        var name: String
        var dir: String?
        var sftp: String?
        var identity: String?
        var known_hosts: String?
        var s3: String?
        var endpoint: String?
        var region: String?
        var access_key_env: String?
        var secret_key_env: String?
        var encrypt_key_file: String?
        var encrypt_key_env: String?
        var ftp: String?
        var password_env: String?
        var ftps: Bool?
        var ca_file: String?
        var `default`: Bool?
    }

    static func encode(_ inventory: Inventory) throws -> String {
        let table: TOMLTable = try TOMLEncoder().encode(file(inventory))
        return "# ocore inventory. Secrets are references (key files, environment variable names), never values.\n"
            + table.convert(to: .toml) + "\n"
    }

    /// The same tables as JSON, for scripts (`inventory export --json`).
    static func json(_ inventory: Inventory) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(file(inventory)), as: UTF8.self) + "\n"
    }

    static func file(_ inventory: Inventory) -> File {
        File(
            servers: inventory.servers.map { s in
                var entry = ServerEntry(name: s.name, pg_host: s.postgres.host, pg_port: s.postgres.port, pg_user: s.postgres.user,
                                        data_dir: s.dataDir, max_jobs: s.maxConcurrentJobs)
                if case .ssh(let e) = s.connection {
                    entry.ssh = "\(e.user)@\(e.host):\(e.port)"
                    entry.identity = e.identityFile
                    entry.known_hosts = e.knownHostsFile
                    entry.accept_new_host_key = e.acceptNewHostKey
                }
                return entry
            },
            environments: inventory.environments.map { e in
                EnvironmentEntry(name: e.name, project: e.project, type: e.type.rawValue, server: e.server, db: e.dbName,
                                 pg_host: e.postgres.host, pg_port: e.postgres.port, pg_user: e.postgres.user,
                                 pg_password_env: e.pgPasswordEnv, filestore: e.filestore, addons: e.addons, url: e.url,
                                 branch: e.branch, protected: e.isProtected, stop_command: e.serviceStop, start_command: e.serviceStart,
                                 filestore_owner: e.filestoreOwner, odoo_conf: e.odooConf)
            },
            storage: inventory.storage.map { t in
                var entry = StorageEntry(name: t.name, default: t.isDefault)
                entry.encrypt_key_file = t.encryption?.file
                entry.encrypt_key_env = t.encryption?.env
                switch t.location {
                case .directory(let path): entry.dir = path
                case .sftp(let s):
                    entry.sftp = "\(s.endpoint.user)@\(s.endpoint.host):\(s.endpoint.port):\(s.path)"
                    entry.identity = s.endpoint.identityFile
                    entry.known_hosts = s.endpoint.knownHostsFile
                case .s3(let s):
                    entry.s3 = s.prefix.isEmpty ? s.bucket : "\(s.bucket)/\(s.prefix)"
                    entry.endpoint = s.endpoint
                    entry.region = s.region
                    entry.access_key_env = s.accessKeyEnv
                    entry.secret_key_env = s.secretKeyEnv
                case .ftp(let f):
                    entry.ftp = "\(f.user)@\(f.host):\(f.port):\(f.path)"
                    entry.password_env = f.passwordEnv
                    entry.ftps = f.tls ? true : nil
                    entry.ca_file = f.caFile
                }
                return entry
            })
    }

    static func decode(_ text: String, source: String) throws -> Inventory {
        let file: File
        do {
            let table = try TOMLTable(string: text)
            try checkKeys(table, source: source)
            file = try TOMLDecoder().decode(File.self, from: table)
        } catch let error as TOMLParseError {
            throw CLIError("\(source):\(error.source.begin.line):\(error.source.begin.column): invalid TOML: \(error.description)")
        } catch let error as DecodingError {
            throw CLIError("\(source): \(describe(error))")
        }
        var inventory = Inventory()
        for s in file.servers ?? [] {
            var connection = ServerConnection.local
            if let ssh = s.ssh {
                var endpoint = try SSHEndpoint.parse(ssh)
                endpoint.identityFile = s.identity
                endpoint.knownHostsFile = s.known_hosts
                endpoint.acceptNewHostKey = s.accept_new_host_key ?? false
                connection = .ssh(endpoint)
            }
            inventory.servers.append(Server(name: s.name, connection: connection,
                                            postgres: PostgresSettings(host: s.pg_host, port: s.pg_port, user: s.pg_user),
                                            dataDir: s.data_dir, maxConcurrentJobs: s.max_jobs ?? 2))
        }
        for e in file.environments ?? [] {
            guard let type = EnvironmentType(rawValue: e.type) else {
                throw CLIError("\(source): environment \(e.name): type must be production, staging or development, not \"\(e.type)\"")
            }
            inventory.environments.append(Environment(
                name: e.name, project: e.project, type: type, server: e.server, dbName: e.db,
                postgres: PostgresSettings(host: e.pg_host, port: e.pg_port, user: e.pg_user), pgPasswordEnv: e.pg_password_env,
                filestore: e.filestore, addons: e.addons ?? [], url: e.url, branch: e.branch, isProtected: e.protected,
                serviceStop: e.stop_command, serviceStart: e.start_command, filestoreOwner: e.filestore_owner,
                odooConf: e.odoo_conf))
        }
        for t in file.storage ?? [] {
            let location: StorageLocation
            if let dir = t.dir {
                location = .directory(path: dir)
            } else if let sftp = t.sftp {
                var parsed = try SFTPLocation.parse(sftp)
                parsed.endpoint.identityFile = t.identity
                parsed.endpoint.knownHostsFile = t.known_hosts
                location = .sftp(parsed)
            } else if let s3 = t.s3, let endpoint = t.endpoint, let region = t.region, let ak = t.access_key_env, let sk = t.secret_key_env {
                location = .s3(try S3Location.parse(bucketAndPrefix: s3, endpoint: endpoint, region: region, accessKeyEnv: ak, secretKeyEnv: sk))
            } else if let ftp = t.ftp {
                location = .ftp(try FTPLocation.parse(ftp, passwordEnv: t.password_env, tls: t.ftps ?? false, caFile: t.ca_file))
            } else {
                throw CLIError("\(source): storage \(t.name): give dir, sftp, ftp, or s3 with endpoint, region, access_key_env and secret_key_env")
            }
            let encryption = (t.encrypt_key_file != nil || t.encrypt_key_env != nil) ? EncryptionKeyRef(file: t.encrypt_key_file, env: t.encrypt_key_env) : nil
            inventory.storage.append(StorageTarget(name: t.name, location: location, isDefault: t.default ?? false, encryption: encryption))
        }
        return inventory
    }

    /// Keys each table may have: a typo (`protcted = true`) is an error, not a silent default.
    static let knownKeys: [String: Set<String>] = [
        "servers": keys(of: ServerEntry(name: "")),
        "environments": keys(of: EnvironmentEntry(name: "", project: "", type: "", server: "", db: "")),
        "storage": keys(of: StorageEntry(name: "")),
    ]

    private static func keys(of value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap(\.label)) }

    static func checkKeys(_ table: TOMLTable, source: String) throws {
        for key in table.keys where knownKeys[key] == nil {
            throw CLIError("\(source): unknown table \"\(key)\" (expected servers, environments, storage)")
        }
        for (section, allowed) in knownKeys {
            guard let entries = table[section]?.array else { continue }
            for (i, entry) in entries.enumerated() {
                guard let entry = entry.table else { continue }
                if let unknown = entry.keys.sorted().first(where: { !allowed.contains($0) }) {
                    let name = entry["name"]?.string ?? "#\(i + 1)"
                    throw CLIError("\(source): \(section) \(name): unknown key \"\(unknown)\" (known: \(allowed.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\" in \(path(context).isEmpty ? "the file" : path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "wrong value at \(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
