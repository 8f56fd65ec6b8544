import Foundation
import OcoreOdoo
import OcoreTestSupport
import Testing

@Suite("Servers reached over SSH (real sshd on 127.0.0.2 and 127.0.0.3)")
struct SSHServerCommandTests {
    let sshd = TestSSHD.shared
    var destination2: String { "\(sshd.user)@127.0.0.2:\(sshd.port)" }
    var destination3: String { "\(sshd.user)@127.0.0.3:\(sshd.port)" }

    func pgFlags() -> [String] {
        ["--pg-host", TestPostgres.cluster.socketDirectory, "--pg-port", String(TestPostgres.cluster.port), "--pg-user", "odoo"]
    }

    @Test("server add checks the connection, and server test succeeds on 127.0.0.2")
    func addAndTest() throws {
        let ocore = OcoreBinary()
        _ = try ocore.ok(["server", "add", "erp2", "--ssh", destination2, "--identity", sshd.identity,
                          "--known-hosts", sshd.knownHosts, "--data-dir", "/tmp"] + pgFlags())
        let out = try ocore.ok(["server", "test", "erp2"])
        #expect(out.contains("✓ reach") && out.contains("host key verified"))
        #expect(out.contains("✓ pg_dump") && out.contains("✓ postgresql") && out.contains("✓ disk"))
        let shown = try ocore.jsonObject(["server", "show", "erp2", "--json"])
        #expect(shown["kind"] as? String == "ssh" && shown["ssh_host"] as? String == "127.0.0.2" && shown["ssh_port"] as? Int == sshd.port)
    }

    @Test("a wrong key is refused at add (nothing stored) and by server test")
    func wrongKey() throws {
        let ocore = OcoreBinary()
        expectCleanFailure(try ocore.run(["server", "add", "erp2", "--ssh", destination2, "--identity", sshd.wrongIdentity,
                                          "--known-hosts", sshd.knownHosts]), mentions: "refused the key \(sshd.wrongIdentity)")
        #expect(try ocore.jsonArray(["server", "list", "--json"]).isEmpty)
        _ = try ocore.ok(["server", "add", "erp2", "--ssh", destination2, "--identity", sshd.wrongIdentity,
                          "--known-hosts", sshd.knownHosts, "--no-check"])
        expectCleanFailure(try ocore.run(["server", "test", "erp2"]), mentions: "refused the key")
    }

    @Test("an unknown host key is refused until accepted explicitly")
    func unknownHostKey() throws {
        let ocore = OcoreBinary()
        let knownHosts = TestDirectories.make("ocore-kh") + "/known_hosts"
        expectCleanFailure(try ocore.run(["server", "add", "erp3", "--ssh", destination3, "--identity", sshd.identity,
                                          "--known-hosts", knownHosts]), mentions: "--accept-new-host-key")
        #expect(try ocore.jsonArray(["server", "list", "--json"]).isEmpty)
        _ = try ocore.ok(["server", "add", "erp3-unchecked", "--ssh", destination3, "--identity", sshd.identity,
                          "--known-hosts", knownHosts, "--no-check"] + pgFlags())
        expectCleanFailure(try ocore.run(["server", "test", "erp3-unchecked"]), mentions: "is not in \(knownHosts)")
        _ = try ocore.ok(["server", "add", "erp3", "--ssh", destination3, "--identity", sshd.identity,
                          "--known-hosts", knownHosts, "--accept-new-host-key"] + pgFlags())
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).contains("[127.0.0.3]:\(sshd.port)"))
        #expect(try ocore.ok(["server", "test", "erp3-unchecked"]).contains("✓ reach"))
    }

    @Test("an RSA key gets the libssh2 explanation")
    func rsaKey() throws {
        let ocore = OcoreBinary()
        expectCleanFailure(try ocore.run(["server", "add", "erp2", "--ssh", destination2, "--identity", sshd.rsaIdentity,
                                          "--known-hosts", sshd.knownHosts]), mentions: "libssh2 1.10 cannot sign with rsa-sha2")
    }

    @Test("an unreachable server is refused at add")
    func unreachable() throws {
        let ocore = OcoreBinary()
        let port = freeLoopbackPort(address: "127.0.0.3")
        expectCleanFailure(try ocore.run(["server", "add", "gone", "--ssh", "\(sshd.user)@127.0.0.3:\(port)", "--identity", sshd.identity,
                                          "--known-hosts", sshd.knownHosts]), mentions: "cannot reach 127.0.0.3:\(port)")
    }
}
