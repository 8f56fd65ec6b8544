import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("SSH authentication: ECDSA keys, the ssh-agent, and server exec")
struct SSHAuthTests {
    let sshd = TestSSHD.shared

    @Test("an ECDSA key works like an ed25519 key")
    func ecdsa() throws {
        let ocore = OcoreBinary()
        _ = try ocore.ok(["server", "add", "erp2", "--ssh", "\(sshd.user)@127.0.0.2:\(sshd.port)", "--identity", sshd.ecdsaIdentity,
                          "--known-hosts", sshd.knownHosts])
        #expect(try ocore.ok(["server", "exec", "erp2", "--", "echo", "hello from", "erp2"]) == "hello from erp2\n")
    }

    @Test("without --identity the ssh-agent's keys are used; without an agent the error says what to do")
    func agent() throws {
        let dir = TestDirectories.make("ocore-agent")
        let socket = dir + "/agent.sock"
        let agent = try BackgroundProcess.spawn(["ssh-agent", "-D", "-a", socket], logPath: dir + "/agent.log")
        Cleanup.register(shell: [["kill", String(agent.pid)]]) { agent.stop() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }
        _ = try LocalExecutor().output(Command(["ssh-add", sshd.identity], environment: ["SSH_AUTH_SOCK": socket]))

        let ocore = OcoreBinary()
        let destination = "\(sshd.user)@127.0.0.3:\(sshd.port)"
        expectCleanFailure(try ocore.run(["server", "add", "erp3", "--ssh", destination, "--known-hosts", sshd.knownHosts],
                                         environment: ["SSH_AUTH_SOCK": dir + "/none.sock"]), mentions: "give --identity FILE or start ssh-agent")
        let added = try ocore.run(["server", "add", "erp3", "--ssh", destination, "--known-hosts", sshd.knownHosts], environment: ["SSH_AUTH_SOCK": socket])
        #expect(added.succeeded, "\(added.stderrText)")
        let out = try ocore.run(["server", "exec", "erp3", "--", "sh", "-c", "exit 3"], environment: ["SSH_AUTH_SOCK": socket])
        #expect(out.termination == .exited(3), "server exec passes the remote exit status on")
    }
}
