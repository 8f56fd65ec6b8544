import Foundation
import OcoreTestSupport
import Testing

@Suite("Storage targets and inventory files")
struct StorageAndTOMLTests {
    @Test("storage test round-trips a probe on a local directory")
    func directoryStorage() throws {
        let ocore = OcoreBinary()
        let dir = TestDirectories.make("ocore-backups")
        _ = try ocore.ok(["storage", "add", "nas", "--dir", dir, "--default"])
        let out = try ocore.ok(["storage", "test", "nas"])
        #expect(out.contains("✓ read   content matches") && out.contains("storage nas works"))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).filter { !$0.hasSuffix("ocore-probe") }.isEmpty)
        let list = try ocore.jsonArray(["storage", "list", "--json"])
        #expect(list.first?["is_default"] as? Bool == true && list.first?["kind"] as? String == "dir")
    }

    @Test("storage test round-trips over SFTP on 127.0.0.3")
    func sftpStorage() throws {
        let sshd = TestSSHD.shared
        let ocore = OcoreBinary()
        let dir = TestDirectories.make("ocore-sftp-target")
        _ = try ocore.ok(["storage", "add", "offsite", "--sftp", "\(sshd.user)@127.0.0.3:\(sshd.port):\(dir)/backups",
                          "--identity", sshd.identity, "--known-hosts", sshd.knownHosts])
        let out = try ocore.ok(["storage", "test", "offsite"])
        #expect(out.contains("storage offsite works"))
    }

    @Test("storage test round-trips on S3 (moto, signatures checked); a wrong secret is refused")
    func s3Storage() throws {
        let s3 = TestS3.shared
        let ocore = OcoreBinary()
        let env = ["T_AK": s3.accessKey, "T_SK": s3.secretKey]
        let setup = """
            import boto3
            boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)').create_bucket(Bucket='ocore-test')
            """
        _ = try OcoreRemoteShim.python(setup)
        _ = try ocore.ok(["storage", "add", "cloud", "--s3", "ocore-test/prod", "--endpoint", s3.endpoint, "--region", s3.region,
                          "--access-key-env", "T_AK", "--secret-key-env", "T_SK"])
        let out = try ocore.ok(["storage", "test", "cloud"], environment: env)
        #expect(out.contains("storage cloud works"))
        let wrong = try ocore.run(["storage", "test", "cloud"], environment: ["T_AK": s3.accessKey, "T_SK": "not-the-secret"])
        expectCleanFailure(wrong, mentions: "SignatureDoesNotMatch")
        expectCleanFailure(try ocore.run(["storage", "test", "cloud"]), mentions: "variable T_AK is not set")
    }

    @Test("storage test round-trips over FTPS (TLS required, certificate checked); a wrong password, a missing variable and an untrusted certificate are refused")
    func ftpsStorage() throws {
        let ftp = TestFTP.tls
        let ocore = OcoreBinary()
        let dir = "/probe-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try ocore.ok(["storage", "add", "vault", "--ftp", "\(ftp.user)@127.0.0.1:\(ftp.port):\(dir)", "--password-env", "T_FTP_PW",
                          "--ftps", "--ca-file", ftp.caFile!])
        let out = try ocore.ok(["storage", "test", "vault"], environment: ["T_FTP_PW": ftp.password])
        #expect(out.contains("✓ list") && out.contains("storage vault works"))
        // Nothing is left behind, not even a temporary name.
        #expect(try FileManager.default.subpathsOfDirectory(atPath: ftp.root + dir).filter { !$0.hasSuffix("ocore-probe") }.isEmpty)
        expectCleanFailure(try ocore.run(["storage", "test", "vault"], environment: ["T_FTP_PW": "wrong"]), mentions: "Login denied")
        expectCleanFailure(try ocore.run(["storage", "test", "vault"]), mentions: "variable T_FTP_PW is not set")
        // Without the CA file the self-signed certificate is not trusted.
        _ = try ocore.ok(["storage", "add", "untrusted", "--ftp", "\(ftp.user)@127.0.0.1:\(ftp.port):\(dir)", "--password-env", "T_FTP_PW", "--ftps"])
        expectCleanFailure(try ocore.run(["storage", "test", "untrusted"], environment: ["T_FTP_PW": ftp.password]), mentions: "certificate")
        let list = try ocore.jsonArray(["storage", "list", "--json"])
        #expect(list.first { $0["name"] as? String == "vault" }?["kind"] as? String == "ftps")
    }

    @Test("an inventory exported as TOML imports into a fresh home unchanged")
    func tomlRoundTrip() throws {
        let source = OcoreBinary()
        try source.addLocalServer()
        _ = try source.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", "acme",
                           "--url", "https://erp.acme.example", "--pg-password-env", "ACME_PG_PASSWORD"])
        _ = try source.ok(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", "acme_stg", "--protected"])
        _ = try source.ok(["storage", "add", "nas", "--dir", "/srv/backups", "--default"])
        let file = source.home + "/inventory.toml"
        _ = try source.ok(["inventory", "export", file])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("ACME_PG_PASSWORD"))

        let target = OcoreBinary()
        _ = try target.ok(["inventory", "import", file])
        for list in [["env", "list", "--json"], ["server", "list", "--json"], ["storage", "list", "--json"]] {
            #expect(try target.ok(list) == source.ok(list))
        }
    }

    @Test("a broken TOML file is reported with its line and changes nothing")
    func badTOML() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        let file = ocore.home + "/bad.toml"
        try "[[servers]]\nname = \"x\"\nssh = \n".write(toFile: file, atomically: true, encoding: .utf8)
        expectCleanFailure(try ocore.run(["inventory", "import", file]), mentions: "bad.toml:3")
        try "[[environments]]\nname = \"e\"\nproject = \"p\"\ntype = \"prod\"\nserver = \"local\"\ndb = \"e_db\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        expectCleanFailure(try ocore.run(["inventory", "import", file]), mentions: "type must be production, staging or development")
        try "[[environments]]\nname = \"e\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        expectCleanFailure(try ocore.run(["inventory", "import", file]), mentions: "missing key")
        #expect(try ocore.jsonArray(["env", "list", "--json"]).isEmpty)
    }
}

enum OcoreRemoteShim {
    static func python(_ script: String) throws -> String {
        try OcoreRemoteRunner.output(["python3", "-c", script])
    }
}
