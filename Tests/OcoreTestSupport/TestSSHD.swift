import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote

/// Two "servers": real OpenSSH daemons on 127.0.0.2 and 127.0.0.3 (same port, separate host
/// keys), with generated ed25519 host and user keys, an RSA user key (which libssh2 1.10 cannot
/// use against modern sshd), a key the servers do not know, and a known_hosts file of their own.
public struct TestSSHD: Sendable {
    public let directory: String
    public let port: Int
    public let user: String
    public let addresses = ["127.0.0.2", "127.0.0.3"]
    public var identity: String { directory + "/id_ed25519" }
    public var wrongIdentity: String { directory + "/id_wrong" }
    public var rsaIdentity: String { directory + "/id_rsa" }
    public var ecdsaIdentity: String { directory + "/id_ecdsa" }
    public var knownHosts: String { directory + "/known_hosts" }
    /// An empty known_hosts: every host key is unknown.
    public var emptyKnownHosts: String { directory + "/known_hosts_empty" }

    public func endpoint(_ index: Int, identity: String? = nil, knownHosts: String? = nil, acceptNew: Bool = false) -> SSHEndpoint {
        SSHEndpoint(user: user, host: addresses[index], port: port, identityFile: identity ?? self.identity,
                    knownHostsFile: knownHosts ?? self.knownHosts, acceptNewHostKey: acceptNew)
    }

    public static let shared: TestSSHD = {
        do { return try start() } catch { fatalError("cannot start test sshd: \(error)") }
    }()

    static func start() throws -> TestSSHD {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            fatalError("OpenSSH server is missing (/usr/sbin/sshd): run scripts/test.sh, or apt-get install openssh-server")
        }
        let dir = TestDirectories.make("ocore-test-sshd")
        let local = LocalExecutor()
        func keygen(_ type: String, _ file: String, _ extra: [String] = []) throws {
            _ = try local.output(Command(["ssh-keygen", "-q", "-t", type] + extra + ["-N", "", "-C", "ocore-test", "-f", dir + "/" + file]))
        }
        try keygen("ed25519", "host_a")
        try keygen("ed25519", "host_b")
        try keygen("ed25519", "id_ed25519")
        try keygen("ed25519", "id_wrong")
        try keygen("rsa", "id_rsa", ["-b", "2048"])
        try keygen("ecdsa", "id_ecdsa", ["-b", "256"])
        let authorized = try ["id_ed25519.pub", "id_rsa.pub", "id_ecdsa.pub"].map { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined()
        try authorized.write(toFile: dir + "/authorized_keys", atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        var knownHosts = ""
        for (address, key) in [("127.0.0.2", "host_a"), ("127.0.0.3", "host_b")] {
            let pub = try String(contentsOfFile: "\(dir)/\(key).pub", encoding: .utf8).split(separator: " ")
            knownHosts += "[\(address)]:\(port) \(pub[0]) \(pub[1])\n"
        }
        try knownHosts.write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/known_hosts_empty", atomically: true, encoding: .utf8)
        if geteuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }

        var daemons: [BackgroundProcess] = []
        for (address, key) in [("127.0.0.2", "host_a"), ("127.0.0.3", "host_b")] {
            let config = """
                Port \(port)
                ListenAddress \(address)
                HostKey \(dir)/\(key)
                AuthorizedKeysFile \(dir)/authorized_keys
                PidFile \(dir)/sshd-\(address).pid
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                Subsystem sftp internal-sftp
                LogLevel ERROR
                MaxSessions 50
                MaxStartups 50:30:100
                """
            let configPath = "\(dir)/sshd-\(address).conf"
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            let daemon = try BackgroundProcess.spawn(["/usr/sbin/sshd", "-D", "-e", "-f", configPath], logPath: "\(dir)/sshd-\(address).log")
            daemons.append(daemon)
        }
        Cleanup.register(shell: daemons.map { ["kill", String($0.pid)] } + [["rm", "-rf", dir]]) {
            for d in daemons { d.stop() }
            try? FileManager.default.removeItem(atPath: dir)
        }
        for address in ["127.0.0.2", "127.0.0.3"] { try waitForPort(address: address, port: port, logDir: dir) }
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        return TestSSHD(directory: dir, port: port, user: user)
    }

    public static func waitForPort(address: String, port: Int, logDir: String) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, address, &addr.sin_addr)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            close(fd)
            if ok { return }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: "\(logDir)/sshd-\(address).log", encoding: .utf8)) ?? ""
        throw ExecutionError.io("sshd on \(address):\(port) did not start: \(log)")
    }
}
