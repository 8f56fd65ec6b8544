import Crypto
import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("Running commands over SSH (libssh2) against a real sshd")
struct SSHExecutorTests {
    let sshd = TestSSHD.shared

    @Test("a command runs on each server and reports its exit status and stderr")
    func exec() throws {
        for index in 0..<2 {
            let ssh = SSHExecutor(endpoint: sshd.endpoint(index))
            #expect(try ssh.output(Command(["echo", "hello"])) == "hello\n")
            let failed = try ssh.run(Command(["sh", "-c", "echo bad >&2; exit 7"]))
            #expect(failed.termination == .exited(7))
            #expect(failed.stderrText == "bad\n")
        }
    }

    @Test("remote quoting is injection-proof: arguments arrive verbatim")
    func quoting() throws {
        let ssh = SSHExecutor(endpoint: sshd.endpoint(0))
        let hostile = ["a b", "$(touch /tmp/ocore-ssh-pwned)", "`id`", "x;y|z&", "it's", "\"dq\"", "new\nline", "ünï", "*", ""]
        let out = try ssh.output(Command(["printf", "%s\\n"] + hostile, environment: ["V": "$(id) 'x'"], workingDirectory: "/tmp"))
        #expect(out == hostile.map { $0 + "\n" }.joined())
        #expect(try ssh.output(Command(["sh", "-c", "printf %s \"$V\""], environment: ["V": "$(id) 'x'"])) == "$(id) 'x'")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ocore-ssh-pwned"))
    }

    @Test("hundreds of MB stream through the channel without growing memory")
    func largeOutput() throws {
        let ssh = SSHExecutor(endpoint: sshd.endpoint(0))
        let before = maxRSS()
        let counter = DiscardingSink()
        let termination = try ssh.execute(Command(["head", "-c", "600000000", "/dev/zero"]), stdin: nil, stdout: counter,
                                          stderr: DiscardingSink(), cancellation: nil)
        #expect(termination == .exited(0))
        #expect(counter.count == 600_000_000)
        // Peak RSS is the whole test process's, and other suites run alongside (on CI they added
        // 130 MB at once): the bound only has to tell "streamed" (a few MiB of buffers) from
        // "held" (600 MB), with room for the others.
        #expect(maxRSS() - before < 320 << 20)
    }

    @Test("standard input streams to the remote command")
    func stdin() throws {
        let ssh = SSHExecutor(endpoint: sshd.endpoint(1))
        var payload = Data(count: 20 << 20)
        payload.withUnsafeMutableBytes { raw in for i in stride(from: 0, to: raw.count, by: 512) { raw[i] = UInt8(i % 253) } }
        let digest = try ssh.run(Command(["sha256sum"]), input: payload).stdoutText.prefix(64)
        #expect(String(digest) == SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined())
    }

    @Test("an unknown host key is refused with its fingerprint and what to do")
    func unknownHostKey() {
        let ssh = SSHExecutor(endpoint: sshd.endpoint(0, knownHosts: sshd.emptyKnownHosts))
        do {
            try ssh.connect()
            Issue.record("connected to a host whose key is unknown")
        } catch let error as SSHError {
            guard case .unknownHostKey(_, let fingerprint, _) = error else { Issue.record("wrong error: \(error)"); return }
            #expect(fingerprint.hasPrefix("SHA256:"))
            #expect(error.description.contains("--accept-new-host-key"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("accept-new records an unknown key once; a changed key is then refused")
    func acceptNewThenChanged() throws {
        let dir = TestDirectories.make("ocore-kh")
        let file = dir + "/known_hosts"
        try SSHExecutor(endpoint: sshd.endpoint(0, knownHosts: file, acceptNew: true)).connect()
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("[127.0.0.2]:\(sshd.port)"))
        try SSHExecutor(endpoint: sshd.endpoint(0, knownHosts: file)).connect()
        // Server .3 has a different host key: pretend it is .2 by rewriting the recorded address.
        let text = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "127.0.0.2", with: "127.0.0.3")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: SSHError.self) { try SSHExecutor(endpoint: sshd.endpoint(1, knownHosts: file, acceptNew: true)).connect() }
        do { try SSHExecutor(endpoint: sshd.endpoint(1, knownHosts: file, acceptNew: true)).connect() } catch let error as SSHError {
            guard case .hostKeyChanged = error else { Issue.record("wrong error: \(error)"); return }
        }
    }

    @Test("a key the server does not accept is refused, naming the key")
    func wrongKey() {
        do {
            try SSHExecutor(endpoint: sshd.endpoint(0, identity: sshd.wrongIdentity)).connect()
            Issue.record("authenticated with a wrong key")
        } catch let error as SSHError {
            guard case .authenticationFailed = error else { Issue.record("wrong error: \(error)"); return }
            #expect(error.description.contains(sshd.wrongIdentity))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("an RSA key refused by modern OpenSSH explains libssh2 1.10's limit")
    func rsaKeyRefused() {
        do {
            try SSHExecutor(endpoint: sshd.endpoint(0, identity: sshd.rsaIdentity)).connect()
            Issue.record("RSA key unexpectedly accepted")
        } catch let error as SSHError {
            #expect(error == .rsaKeyRefused(destination: "127.0.0.2:\(sshd.port)", keyFile: sshd.rsaIdentity))
            #expect(error.description.contains("ed25519"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("an unreachable server is a clear connection error")
    func unreachable() {
        let closedPort = freeLoopbackPort(address: "127.0.0.2")
        let endpoint = SSHEndpoint(user: "root", host: "127.0.0.2", port: closedPort, identityFile: sshd.identity, knownHostsFile: sshd.knownHosts)
        do { try SSHExecutor(endpoint: endpoint).connect(); Issue.record("connected to a closed port") } catch let error as SSHError {
            guard case .connectFailed = error else { Issue.record("wrong error: \(error)"); return }
            #expect(error.description.contains("cannot reach 127.0.0.2:\(closedPort)"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("a remote command that hangs hits its timeout")
    func timeout() throws {
        let result = try SSHExecutor(endpoint: sshd.endpoint(0)).run(Command(["sleep", "30"], timeout: .milliseconds(500)))
        #expect(result.termination == .timedOut)
    }

    @Test("SFTP writes, reads back, renames, lists and deletes")
    func sftpRoundTrip() throws {
        let sftp = try SSHExecutor(endpoint: sshd.endpoint(1)).sftp()
        let dir = TestDirectories.make("ocore-sftp") + "/nested/deeper"
        try sftp.makeDirectories(dir)
        var payload = Data(count: 3 << 20)
        payload.withUnsafeMutableBytes { raw in for i in 0..<raw.count { raw[i] = UInt8(truncatingIfNeeded: i &* 31) } }
        #expect(try sftp.write(path: dir + "/a.tmp", from: DataSource(payload)) == Int64(payload.count))
        #expect(throws: SSHError.self) { try sftp.write(path: dir + "/a.tmp", from: DataSource(Data("x".utf8))) }
        try sftp.rename(from: dir + "/a.tmp", to: dir + "/a.bin")
        let back = CollectingSink(limit: 4 << 20)
        try sftp.read(path: dir + "/a.bin", into: back)
        #expect(back.data == payload)
        #expect(try sftp.stat(path: dir + "/a.bin")?.size == Int64(payload.count))
        #expect(try sftp.listFiles(under: (dir as NSString).deletingLastPathComponent).map(\.path) == ["deeper/a.bin"])
        try sftp.remove(path: dir + "/a.bin")
        #expect(try sftp.stat(path: dir + "/a.bin") == nil)
    }
}
