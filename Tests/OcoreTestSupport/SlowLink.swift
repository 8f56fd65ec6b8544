import Foundation
import OcoreOdoo
import OcoreRemote

/// A slow network link on loopback: a TCP relay in front of a server whose upload direction is
/// held to a rate the test sets, and can change while it runs.
///
/// A test that must act while an upload is under way (kill the worker mid-upload) cannot win a
/// race against a fast loopback server on an idle machine; behind this link the upload takes as
/// long as the test needs, the way it does over a real WAN link. Bytes pass unchanged, so request
/// signatures stay valid.
public final class SlowLink: Sendable {
    /// The endpoint to give the client, `http://127.0.0.1:<port>`.
    public let endpoint: String
    private let rateFile: String
    private let process: BackgroundProcess

    /// - Parameters:
    ///   - upstream: `host:port` of the real server.
    ///   - bytesPerSecond: the client-to-server rate; 0 is unlimited.
    public init(to upstream: String, bytesPerSecond: Int) throws {
        let dir = TestDirectories.make("slow-link")
        let port = freeLoopbackPort()
        rateFile = dir + "/rate"
        try String(bytesPerSecond).write(toFile: rateFile, atomically: true, encoding: .utf8)
        try """
            import socket, sys, threading, time
            port, upstream, rate_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            host, _, upstream_port = upstream.rpartition(':')
            def rate():
                try: return float(open(rate_file).read().strip() or 0)
                except (OSError, ValueError): return 0.0
            def relay(src, dst, limited):
                try:
                    while True:
                        data = src.recv(65536)
                        if not data: break
                        dst.sendall(data)
                        r = rate() if limited else 0
                        if r > 0: time.sleep(len(data) / r)
                except OSError: pass
                finally:
                    for s in (src, dst):
                        try: s.shutdown(socket.SHUT_RDWR)
                        except OSError: pass
            listener = socket.create_server(('127.0.0.1', port))
            while True:
                client, _ = listener.accept()
                server = socket.create_connection((host, int(upstream_port)))
                threading.Thread(target=relay, args=(client, server, True), daemon=True).start()
                threading.Thread(target=relay, args=(server, client, False), daemon=True).start()
            """.write(toFile: dir + "/link.py", atomically: true, encoding: .utf8)
        process = try BackgroundProcess.spawn(["python3", dir + "/link.py", String(port), upstream, rateFile],
                                              logPath: dir + "/link.log")
        let pid = process.pid
        Cleanup.register(shell: [["kill", String(pid)]]) { kill(pid, SIGTERM) }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: dir)
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// Changes the rate for every connection, from the next chunk on; 0 lifts the limit.
    public func setRate(bytesPerSecond: Int) throws {
        try String(bytesPerSecond).write(toFile: rateFile, atomically: true, encoding: .utf8)
    }

    deinit { process.stop() }
}
