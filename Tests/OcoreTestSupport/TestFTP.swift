import Foundation
import OcoreOdoo
import OcoreRemote

/// An FTP server on loopback (pyftpdlib): plain, or FTPS with explicit TLS required on control
/// and data connections and a self-signed certificate for 127.0.0.1 that tests pass as CA file.
public struct TestFTP: Sendable {
    public let port: Int
    public let user = "ocore"
    public let password: String
    /// The server's root as seen on this host's disk (FTP path "/" is this directory).
    public let root: String
    public let caFile: String?

    public static let plain: TestFTP = start(tls: false)
    public static let tls: TestFTP = start(tls: true)

    static func start(tls: Bool) -> TestFTP {
        do { return try launch(tls: tls) } catch { fatalError("cannot start the FTP server: \(error)\nrun scripts/test.sh, or pip install pyftpdlib pyopenssl") }
    }

    static func launch(tls: Bool) throws -> TestFTP {
        let dir = TestDirectories.make("ocore-test-ftp")
        let root = dir + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let password = UUID().uuidString
        var cert: String?
        if tls {
            cert = dir + "/cert.pem"
            _ = try LocalExecutor().output(Command(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                                                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir + "/key.pem", "-out", cert!]))
        }
        let script = """
            import sys
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
            from pyftpdlib.servers import FTPServer
            root, port, password, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
            auth = DummyAuthorizer()
            auth.add_user('ocore', password, root, perm='elradfmwMT')
            handler = TLS_FTPHandler if cert else FTPHandler
            if cert:
                handler.certfile, handler.keyfile = cert, key
                handler.tls_control_required = handler.tls_data_required = True
            handler.authorizer = auth
            FTPServer(('127.0.0.1', port), handler).serve_forever()
            """
        try script.write(toFile: dir + "/server.py", atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        let server = try BackgroundProcess.spawn(["python3", dir + "/server.py", root, String(port), password, cert ?? "", cert == nil ? "" : dir + "/key.pem"],
                                                 logPath: dir + "/ftp.log")
        Cleanup.register(shell: [["kill", String(server.pid)], ["rm", "-rf", dir]]) {
            server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: dir)
        return TestFTP(port: port, password: password, root: root, caFile: cert)
    }
}
