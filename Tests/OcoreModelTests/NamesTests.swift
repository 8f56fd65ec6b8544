import OcoreModel
import Testing

@Suite("Names operators type are safe everywhere they end up")
struct NamesTests {
    @Test("ordinary inventory names are accepted", arguments: ["production", "staging-2", "acme.erp", "dev_01", "A1"])
    func acceptsOrdinaryNames(name: String) throws {
        try Names.validateInventoryName(name, kind: "environment")
    }

    @Test("hostile or ambiguous names are rejected with the offending character named",
          arguments: ["prod'; DROP TABLE x;--", "a b", "$(reboot)", "`id`", "café", "-rf", "../etc", "", "x\"y", "tab\there"])
    func rejectsHostileNames(name: String) {
        #expect(throws: ModelError.self) { try Names.validateInventoryName(name, kind: "environment") }
        do { try Names.validateInventoryName(name, kind: "environment") } catch {
            #expect(error.description.contains("invalid environment name"))
        }
    }

    @Test("database names follow Odoo's rule")
    func databaseNames() throws {
        try Names.validateDatabaseName("odoo_prod-17.0")
        #expect(throws: ModelError.self) { try Names.validateDatabaseName("x") }
        #expect(throws: ModelError.self) { try Names.validateDatabaseName("odoo\"; drop") }
        #expect(throws: ModelError.self) { try Names.validateDatabaseName(String(repeating: "a", count: 64)) }
    }
}

@Suite("SSH and storage destinations parse as operators write them")
struct DestinationParsingTests {
    @Test func sshDestinationWithAndWithoutPort() throws {
        let withPort = try SSHEndpoint.parse("odoo@erp.example.com:2222")
        #expect(withPort.user == "odoo" && withPort.host == "erp.example.com" && withPort.port == 2222)
        let plain = try SSHEndpoint.parse("root@10.0.0.5")
        #expect(plain.port == 22 && plain.destination == "root@10.0.0.5")
    }

    @Test("malformed SSH destinations are refused", arguments: ["erp.example.com", "@host", "u@", "u@host:99999", "u@ho st", "u;x@host"])
    func badSSH(text: String) {
        #expect(throws: ModelError.self) { try SSHEndpoint.parse(text) }
    }

    @Test func sftpLocation() throws {
        let loc = try SFTPLocation.parse("backup@nas.local:2200:/srv/backups/odoo")
        #expect(loc.endpoint.port == 2200 && loc.path == "/srv/backups/odoo")
        #expect(throws: ModelError.self) { try SFTPLocation.parse("backup@nas.local") }
    }

    @Test func s3LocationRequiresVariableNamesNotKeys() throws {
        let loc = try S3Location.parse(bucketAndPrefix: "odoo-backups/prod/", endpoint: "https://s3.eu-west-1.amazonaws.com",
                                       region: "eu-west-1", accessKeyEnv: "AWS_ACCESS_KEY_ID", secretKeyEnv: "AWS_SECRET_ACCESS_KEY")
        #expect(loc.bucket == "odoo-backups" && loc.prefix == "prod")
        #expect(throws: ModelError.self) {
            try S3Location.parse(bucketAndPrefix: "b-1", endpoint: "https://x", region: "r",
                                 accessKeyEnv: "AKIA/REAL+KEY", secretKeyEnv: "S")
        }
        #expect(throws: ModelError.self) {
            try S3Location.parse(bucketAndPrefix: "Bad_Bucket", endpoint: "https://x", region: "r", accessKeyEnv: "A", secretKeyEnv: "S")
        }
    }
}

@Suite("An environment inherits its server's settings")
struct ResolutionTests {
    let server = Server(name: "erp1", connection: .local, postgres: PostgresSettings(host: "db.internal", port: 6432, user: "odoo_admin"),
                        dataDir: "/srv/odoo")

    @Test func serverDefaultsFillWhatTheEnvironmentLeavesOpen() {
        let env = Environment(name: "prod", project: "acme", type: .production, server: "erp1", dbName: "acme_prod",
                              postgres: PostgresSettings(port: 5433))
        let resolved = ResolvedEnvironment(env, on: server)
        #expect(resolved.postgres == PostgresSettings(host: "db.internal", port: 5433, user: "odoo_admin"))
        #expect(resolved.filestore == "/srv/odoo/filestore/acme_prod")
    }

    @Test func builtInDefaultsApplyLast() {
        let bare = Server(name: "s", connection: .local)
        let env = Environment(name: "dev", project: "p", type: .development, server: "s", dbName: "dev_db", filestore: "/data/fs")
        let resolved = ResolvedEnvironment(env, on: bare)
        #expect(resolved.postgres.port == 5432 && resolved.postgres.user == "odoo" && resolved.postgres.host == nil)
        #expect(resolved.filestore == "/data/fs")
    }

    @Test func productionIsProtectedUnlessSaidOtherwise() {
        #expect(Environment(name: "p", project: "x", type: .production, server: "s", dbName: "db").isProtected)
        #expect(!Environment(name: "s", project: "x", type: .staging, server: "s", dbName: "db").isProtected)
        #expect(!Environment(name: "p", project: "x", type: .production, server: "s", dbName: "db", isProtected: false).isProtected)
    }

    @Test func relativePathsAndPasswordsInPlaceOfVariableNamesAreRefused() {
        let base = Environment(name: "p", project: "x", type: .staging, server: "s", dbName: "db")
        var relative = base
        relative.filestore = "filestore/db"
        #expect(throws: ModelError.self) { try relative.validate() }
        var secret = base
        secret.pgPasswordEnv = "hunter2!"
        #expect(throws: ModelError.self) { try secret.validate() }
    }
}
