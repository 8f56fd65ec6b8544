import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

/// Drives the real binary in tmux, as a person at a terminal would.
struct Tmux {
    let session = "ocore-test-\(UUID().uuidString.prefix(8))"
    let local = LocalExecutor()

    func start(_ command: String, width: Int, height: Int) throws {
        _ = try local.output(Command(["tmux", "new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), command],
                                     environment: ["LANG": "C.UTF-8", "TERM": "xterm-256color"]))
    }

    func keys(_ keys: String...) throws { _ = try local.output(Command(["tmux", "send-keys", "-t", session] + keys)) }
    func resize(width: Int, height: Int) throws {
        _ = try local.output(Command(["tmux", "resize-window", "-t", session, "-x", String(width), "-y", String(height)]))
    }
    func screen() throws -> String { try local.output(Command(["tmux", "capture-pane", "-p", "-t", session])) }
    func kill() { _ = try? local.run(Command(["tmux", "kill-session", "-t", session])) }

    /// Waits until the screen satisfies `condition` (the program draws asynchronously).
    func waitFor(_ what: String, timeout: Duration = .seconds(10), _ condition: (String) -> Bool) throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(what); screen was:\n\(last)")
        return last
    }
}

@Suite("The dashboard in a real terminal (tmux)")
struct DashboardTmuxTests {
    @Test("ocore opens the environment list, follows resizes, and q restores the terminal")
    func openResizeQuit() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        for (name, type) in [("production", "production"), ("staging", "staging"), ("feature-login", "development")] {
            _ = try ocore.ok(["env", "add", name, "--project", "acme", "--type", type, "--server", "local", "--db", "acme_\(name.replacingOccurrences(of: "-", with: "_"))"])
        }
        let tmux = Tmux()
        defer { tmux.kill() }
        let exitFile = ocore.home + "/exit-code"
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); echo \"EXIT=$?\" > \(exitFile); echo after-ocore; sleep 60", width: 100, height: 20)
        let first = try tmux.waitFor("the environment list") { $0.contains("feature-login") }
        #expect(first.contains("production") && first.contains("staging") && first.contains("acme_production"))
        #expect(first.contains("3 environments"))
        let widthBefore = first.split(separator: "\n").first.map { $0.count } ?? 0
        #expect(widthBefore > 80)

        try tmux.keys("j")
        try tmux.resize(width: 60, height: 12)
        let narrow = try tmux.waitFor("the narrower layout") { screen in
            screen.split(separator: "\n").allSatisfy { $0.count <= 60 } && screen.contains("3 environments")
        }
        #expect(narrow.contains("▶ acme    staging"), "selection moved to the second row:\n\(narrow)")

        try tmux.resize(width: 30, height: 8)
        _ = try tmux.waitFor("the too-small notice") { $0.contains("terminal too small") }
        try tmux.resize(width: 90, height: 15)
        _ = try tmux.waitFor("the list again") { $0.contains("feature-login") }

        try tmux.keys("q")
        let after = try tmux.waitFor("the shell after quitting") { $0.contains("after-ocore") }
        #expect(!after.contains("3 environments"), "the dashboard's screen should be gone after quitting")
        #expect(try String(contentsOfFile: exitFile, encoding: .utf8) == "EXIT=0\n")
    }

    @Test("an empty inventory shows how to start")
    func emptyInventory() throws {
        let ocore = OcoreBinary()
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 90, height: 16)
        let screen = try tmux.waitFor("the empty-state hint") { $0.contains("No environments yet") }
        #expect(screen.contains("ocore demo"))
        try tmux.keys("q")
    }
}
