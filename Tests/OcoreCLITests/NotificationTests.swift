import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("Notifications when jobs end")
struct NotificationTests {
    /// A real HTTP server on loopback that records the bodies POSTed to it.
    func startWebhookReceiver(_ dir: String) throws -> Int {
        let port = freeLoopbackPort()
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    open(sys.argv[2] + '/hook-%d.json' % len(__import__('os').listdir(sys.argv[2])), 'wb').write(body)
                    self.send_response(204); self.end_headers()
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        let server = try BackgroundProcess.spawn(["python3", "-c", script, String(port), dir], logPath: dir + "/../webhook.log")
        Cleanup.register(shell: [["kill", String(server.pid)]]) { server.stop() }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: dir)
        return port
    }

    /// A real SMTP server on loopback (Python's smtpd) that prints what it receives.
    func startSMTPReceiver(_ logPath: String) throws -> Int {
        let port = freeLoopbackPort()
        let server = try BackgroundProcess.spawn(["python3", "-u", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", "127.0.0.1:\(port)"],
                                                 logPath: logPath)
        Cleanup.register(shell: [["kill", String(server.pid)]]) { server.stop() }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: (logPath as NSString).deletingLastPathComponent)
        return port
    }

    @Test("a project's webhook and e-mail hear about a job's end; a failing channel never fails the job")
    func webhookAndEmail() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", "acme_stg"])
        let hooks = ocore.home + "/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        let webPort = try startWebhookReceiver(hooks)
        let smtpLog = ocore.home + "/smtp.log"
        let smtpPort = try startSMTPReceiver(smtpLog)

        _ = try ocore.ok(["notify", "set", "acme", "--webhook", "http://127.0.0.1:\(webPort)/ocore", "--smtp", "smtp://127.0.0.1:\(smtpPort)",
                          "--to", "ops@acme.example", "--from", "ocore@acme.example"])
        #expect(try ocore.ok(["notify", "test", "acme"]).contains("test notification sent"))
        _ = try ocore.ok(["jobs", "diagnose", "--env", "staging", "--steps", "1", "--seconds", "0.1", "--scratch", ocore.home + "/s", "--follow"])

        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, (try? FileManager.default.contentsOfDirectory(atPath: hooks).count) ?? 0 < 2 { usleep(100_000) }
        let bodies = try FileManager.default.contentsOfDirectory(atPath: hooks).sorted().map {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: hooks + "/" + $0))) as! [String: String]
        }
        #expect(bodies.count == 2)
        #expect(bodies.contains { $0["kind"] == "diagnostic" && $0["status"] == "completed" && $0["environment"] == "staging" && $0["project"] == "acme" })
        var mail = ""
        while ContinuousClock.now < deadline + .seconds(5), !mail.contains("diagnostic") { usleep(100_000); mail = (try? String(contentsOfFile: smtpLog, encoding: .utf8)) ?? "" }
        #expect(mail.contains("Subject: [ocore] diagnostic 1 on staging: completed"))
        #expect(mail.contains("ops@acme.example"))

        // A dead webhook is logged on the job, which still completes.
        _ = try ocore.ok(["notify", "set", "acme", "--webhook", "http://127.0.0.1:\(freeLoopbackPort())/gone"])
        let run = try ocore.run(["jobs", "diagnose", "--env", "staging", "--steps", "1", "--seconds", "0.1", "--scratch", ocore.home + "/t", "--follow"])
        #expect(run.succeeded)
        let job2 = try ocore.jsonObject(["jobs", "show", "2", "--json"])
        let deadline2 = ContinuousClock.now + .seconds(10)
        var logs = (job2["logs"] as? [[String: Any]]) ?? []
        while ContinuousClock.now < deadline2, !logs.contains(where: { ($0["message"] as? String)?.contains("webhook failed") == true }) {
            usleep(100_000)
            logs = (try ocore.jsonObject(["jobs", "show", "2", "--json"])["logs"] as? [[String: Any]]) ?? []
        }
        #expect(logs.contains { ($0["message"] as? String)?.contains("webhook failed") == true })
        expectCleanFailure(try ocore.run(["notify", "test", "acme"]), mentions: "webhook failed")
    }
}
