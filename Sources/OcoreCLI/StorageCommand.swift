import ArgumentParser
import Foundation
import OcoreArchive
import OcoreEngine
import OcoreModel
import OcoreStorage
import OcoreStore

struct StorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Register where backups go: a local directory, SFTP, S3-compatible storage or FTP/FTPS.",
        subcommands: [Add.self, List.self, Test.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Register a backup storage target.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: ArgumentHelp("Local directory.", valueName: "path")) var dir: String?
        @Option(help: ArgumentHelp("SFTP destination.", valueName: "user@host[:port]:/path")) var sftp: String?
        @Option(help: ArgumentHelp("S3 bucket and optional key prefix.", valueName: "bucket[/prefix]")) var s3: String?
        @Option(help: ArgumentHelp("FTP destination (less secure than SFTP unless --ftps).", valueName: "user@host[:port]:/path")) var ftp: String?
        @Option(name: .customLong("password-env"), help: ArgumentHelp("Variable holding the FTP password.", valueName: "var")) var passwordEnv: String?
        @Flag(help: "FTP with explicit TLS on control and data connections (FTPS), certificate checked.") var ftps = false
        @Option(name: .customLong("ca-file"), help: ArgumentHelp("CA certificates for the FTPS server's certificate (default: the system's).", valueName: "file")) var caFile: String?
        @Option(help: ArgumentHelp("Private key for SFTP (default: the ssh-agent).", valueName: "file")) var identity: String?
        @Option(name: .customLong("known-hosts"), help: ArgumentHelp("known_hosts file for SFTP.", valueName: "file")) var knownHosts: String?
        @Option(help: ArgumentHelp("S3 endpoint URL.", valueName: "url")) var endpoint: String?
        @Option(help: "S3 region.") var region: String?
        @Option(name: .customLong("access-key-env"), help: ArgumentHelp("Variable holding the S3 access key id.", valueName: "var")) var accessKeyEnv: String?
        @Option(name: .customLong("secret-key-env"), help: ArgumentHelp("Variable holding the S3 secret key.", valueName: "var")) var secretKeyEnv: String?
        @Flag(name: .customLong("default"), help: "Make this the default storage.") var isDefault = false
        @Option(name: .customLong("encrypt-key-file"), help: ArgumentHelp("Encrypt every backup here (AES-256-GCM) with the key in this file (64 hex digits; `openssl rand -hex 32`).", valueName: "file")) var encryptKeyFile: String?
        @Option(name: .customLong("encrypt-key-env"), help: ArgumentHelp("Encrypt every backup here with the key in this environment variable.", valueName: "var")) var encryptKeyEnv: String?

        func validate() throws {
            guard [dir, sftp, s3, ftp].compactMap({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --dir PATH, --sftp USER@HOST[:PORT]:/PATH, --s3 BUCKET[/PREFIX] or --ftp USER@HOST[:PORT]:/PATH")
            }
            if ftp == nil, ftps || passwordEnv != nil || caFile != nil { throw ValidationError("--ftps, --password-env and --ca-file go with --ftp") }
            if s3 != nil, endpoint == nil || region == nil || accessKeyEnv == nil || secretKeyEnv == nil {
                throw ValidationError("--s3 needs --endpoint, --region, --access-key-env and --secret-key-env")
            }
        }

        func run() throws {
            let location: StorageLocation
            if let dir {
                location = .directory(path: absolutePath(dir))
            } else if let sftp {
                var parsed = try SFTPLocation.parse(sftp)
                parsed.endpoint.identityFile = identity.map(absolutePath)
                parsed.endpoint.knownHostsFile = knownHosts.map(absolutePath)
                location = .sftp(parsed)
            } else if let ftp {
                location = .ftp(try FTPLocation.parse(ftp, passwordEnv: passwordEnv, tls: ftps, caFile: caFile.map(absolutePath)))
            } else {
                location = .s3(try S3Location.parse(bucketAndPrefix: s3!, endpoint: endpoint!, region: region!,
                                                    accessKeyEnv: accessKeyEnv!, secretKeyEnv: secretKeyEnv!))
            }
            let encryption = (encryptKeyFile != nil || encryptKeyEnv != nil) ? EncryptionKeyRef(file: encryptKeyFile.map(absolutePath), env: encryptKeyEnv) : nil
            let keyID = try StorageRegistration(target: StorageTarget(name: name, location: location, isDefault: isDefault, encryption: encryption))
                .register(store: try global.openStore(), by: .current)
            print("storage \(name) added (\(location.kind): \(location.summary))\(isDefault ? ", default" : "")\(keyID.map { ", encrypted with key \($0)" } ?? "")")
            if let warning = location.securityWarning { FileHandle.standardError.write(Data("ocore: warning: \(warning); prefer --ftps, SFTP or S3, or add --encrypt-key-file\n".utf8)) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List storage targets.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let targets = try global.openStore().storageTargets()
            if json { return try JSONOutput.print(targets.map(StorageJSON.init)) }
            guard !targets.isEmpty else { return print("no storage yet: add one with `ocore storage add NAME --dir PATH --default`") }
            var table = TextTable(header: ["NAME", "KIND", "LOCATION", ""])
            for t in targets {
                table.rows.append([t.name, t.location.kind, t.location.summary, ([t.isDefault ? "default" : nil, t.encryption != nil ? "encrypted" : nil,
                                                                                    t.location.securityWarning != nil ? "less secure" : nil].compactMap { $0 }).joined(separator: ", ")])
            }
            print(table.render())
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Write, read back, list and delete a probe object on a storage target.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Print JSON (a failure is still an error on stderr, exit status 1).") var json = false

        func run() throws {
            let target = try global.openStore().storage(named: name)
            let provider = try StorageProviders.make(for: target.location)
            let report = try StorageProbe(provider: provider).run()
            if json {
                struct Tested: Encodable { let name: String; let location: String; let ok: Bool; let steps: [String] }
                return try JSONOutput.print(Tested(name: name, location: target.location.summary, ok: true, steps: report.map { "\($0)" }))
            }
            for step in report { print("✓ \(step)") }
            print("storage \(name) works (\(target.location.summary))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a storage record (stored backups are not deleted).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            try StorageRemoval(name: name).remove(store: try global.openStore(), by: .current)
            print("storage \(name) removed (the backups it holds were not touched)")
        }
    }
}

struct StorageJSON: Encodable {
    let target: StorageTarget
    init(_ target: StorageTarget) { self.target = target }

    enum Keys: String, CodingKey {
        case name, kind, location, is_default, path, bucket, prefix, endpoint, region, access_key_env, secret_key_env, encrypt_key_file, encrypt_key_env
        case host, port, user, password_env, ca_file, warning
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(target.name, forKey: .name)
        try c.encode(target.location.kind, forKey: .kind)
        try c.encode(target.location.summary, forKey: .location)
        try c.encode(target.isDefault, forKey: .is_default)
        try c.encodeIfPresent(target.encryption?.file, forKey: .encrypt_key_file)
        try c.encodeIfPresent(target.encryption?.env, forKey: .encrypt_key_env)
        switch target.location {
        case .directory(let path): try c.encode(path, forKey: .path)
        case .sftp(let s): try c.encode(s.path, forKey: .path)
        case .s3(let s):
            try c.encode(s.bucket, forKey: .bucket)
            try c.encode(s.prefix, forKey: .prefix)
            try c.encode(s.endpoint, forKey: .endpoint)
            try c.encode(s.region, forKey: .region)
            try c.encode(s.accessKeyEnv, forKey: .access_key_env)
            try c.encode(s.secretKeyEnv, forKey: .secret_key_env)
        case .ftp(let f):
            try c.encode(f.path, forKey: .path)
            try c.encode(f.host, forKey: .host)
            try c.encode(f.port, forKey: .port)
            try c.encode(f.user, forKey: .user)
            try c.encodeIfPresent(f.passwordEnv, forKey: .password_env)
            try c.encodeIfPresent(f.caFile, forKey: .ca_file)
        }
        try c.encodeIfPresent(target.location.securityWarning, forKey: .warning)
    }
}
