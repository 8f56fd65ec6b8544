import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

/// Drives the real binary in tmux, as a person at a terminal would. Each instance has its own
/// tmux server (`-L`): with one shared server, a test ending the last session stops the server
/// while another test is starting its own, and that session is lost.
struct Tmux {
    let session = "ocore-test-\(UUID().uuidString.prefix(8))"
    let local = LocalExecutor()

    func start(_ command: String, width: Int, height: Int) throws {
        let new = Command(["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), command],
                          environment: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        // On a loaded machine tmux now and then reports "server exited unexpectedly" while its new
        // server starts; that is tmux's start-up, not the program under test: try again.
        for attempt in 1...3 {
            let result = try local.run(new)
            if result.succeeded { return }
            if attempt == 3 { throw CommandFailure(command: new, host: "local", result: result) }
            kill()
            usleep(300_000)
        }
    }

    func keys(_ keys: String...) throws { try self.keys(contentsOf: keys) }
    func keys(contentsOf keys: [String]) throws { _ = try local.output(Command(["tmux", "-L", session, "send-keys", "-t", session] + keys)) }
    func resize(width: Int, height: Int) throws {
        _ = try local.output(Command(["tmux", "-L", session, "resize-window", "-t", session, "-x", String(width), "-y", String(height)]))
    }

    /// Filters the tree to `environment` and selects it.
    func select(_ environment: String) throws {
        try keys("/")
        try keys("-l", environment)
        try keys("Enter", "j")
    }

    func screen() throws -> String { try local.output(Command(["tmux", "-L", session, "capture-pane", "-p", "-t", session])) }
    func kill() { _ = try? local.run(Command(["tmux", "-L", session, "kill-server"])) }

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
    func inventory() throws -> OcoreBinary {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        let db = try TestPostgres.createDatabase(prefix: "tmux")
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", db])
        _ = try ocore.ok(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", "acme_staging"])
        _ = try ocore.ok(["env", "add", "feature-login", "--project", "shop", "--type", "development", "--server", "local", "--db", "shop_dev"])
        return ocore
    }

    @Test("navigate, filter, help, palette, resize, and q restores the terminal")
    func walkThrough() throws {
        let ocore = try inventory()
        let tmux = Tmux()
        defer { tmux.kill() }
        let exitFile = ocore.home + "/exit-code"
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); echo \"EXIT=$?\" > \(exitFile); echo after-ocore; sleep 60", width: 100, height: 26)
        let first = try tmux.waitFor("the environment tree") { $0.contains("feature-login") && $0.contains("▾ acme (2)") }
        #expect(first.contains("3 environments"))
        // The background probe reaches the real database of production.
        try tmux.keys("j")
        let probed = try tmux.waitFor("production's probe result") { $0.contains("reachable") }
        #expect(probed.contains("production · acme"))
        #expect(probed.contains("Neutralized"))

        try tmux.keys("/")
        try tmux.keys("-l", "feat")
        let filtered = try tmux.waitFor("the filtered tree") { !$0.contains("staging") && $0.contains("/feat") }
        #expect(filtered.contains("feature-login"))
        try tmux.keys("Escape")
        _ = try tmux.waitFor("the filter cleared") { $0.contains("staging") }

        try tmux.keys("?")
        // A capture can catch a frame half written: wait for its last line, not its title.
        let help = try tmux.waitFor("the help overlay") { $0.contains("─ Keys ─") && $0.contains("quit (jobs keep running)") }
        #expect(help.contains("command palette") && help.contains("quit (jobs keep running)"))
        try tmux.keys("Escape")

        try tmux.keys(":")
        try tmux.keys("-l", "jo")
        _ = try tmux.waitFor("the palette") { $0.contains("─ Command ─") && $0.contains("show the Jobs tab") }
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the Jobs tab") { $0.contains("No jobs on this environment yet.") }

        try tmux.resize(width: 70, height: 14)
        // The tree as well as the title: a capture can catch the frame after its first line.
        let narrow = try tmux.waitFor("the narrower layout") { screen in
            screen.split(separator: "\n").allSatisfy { $0.count <= 70 } && screen.contains("3 environments") && screen.contains("production")
        }
        #expect(narrow.contains("production"))
        try tmux.resize(width: 40, height: 10)
        _ = try tmux.waitFor("the too-small notice") { $0.contains("terminal too small") }
        try tmux.resize(width: 90, height: 20)
        _ = try tmux.waitFor("the dashboard again") { $0.contains("feature-login") }

        try tmux.keys("q")
        let after = try tmux.waitFor("the shell after quitting") { $0.contains("after-ocore") }
        #expect(!after.contains("3 environments"), "the dashboard's screen should be gone after quitting")
        #expect(try String(contentsOfFile: exitFile, encoding: .utf8) == "EXIT=0\n")
    }

    @Test("a job started from the CLI shows in the running-jobs strip and its end rings a toast")
    func jobsStrip() throws {
        let ocore = try inventory()
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 100, height: 24)
        _ = try tmux.waitFor("the tree") { $0.contains("feature-login") }
        _ = try ocore.ok(["jobs", "diagnose", "--env", "staging", "--steps", "2", "--seconds", "1", "--scratch", ocore.home + "/s"])
        let running = try tmux.waitFor("the jobs strip") { $0.contains("#1 diagnostic staging running") }
        #expect(running.contains("1 job running"))
        let ended = try tmux.waitFor("the toast") { $0.contains("job 1 diagnostic on staging completed") }
        #expect(!ended.contains("1 job running"))
        try tmux.keys("q")
    }

    @Test("an empty inventory shows how to start; NO_COLOR and a non-UTF-8 locale still give a usable screen")
    func emptyMonoAscii() throws {
        let ocore = OcoreBinary()
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("env NO_COLOR=1 LANG=C LC_ALL=C \(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 90, height: 16)
        let screen = try tmux.waitFor("the empty-state hint") { $0.contains("No environments yet") }
        #expect(screen.contains("ocore demo"))
        try tmux.keys("q")
    }

    @Test("a broken theme file falls back to the default with a warning")
    func brokenTheme() throws {
        let ocore = OcoreBinary()
        let themes = ocore.home + "/themes"
        try FileManager.default.createDirectory(atPath: themes, withIntermediateDirectories: true)
        try "[styles\n".write(toFile: themes + "/broken.toml", atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("env OCORE_THEMES_DIR=\(themes) \(OcoreBinary.path) --home \(ocore.home) --theme broken 2>\(ocore.home)/err; sleep 60", width: 90, height: 16)
        _ = try tmux.waitFor("the dashboard") { $0.contains("No environments yet") }
        try tmux.keys("q")
        let err = try String(contentsOfFile: ocore.home + "/err", encoding: .utf8)
        #expect(err.contains("theme file") && err.contains("using the built-in default theme"))
    }

    /// The dashboard on `home`, the clone wizard opened on production, the target named, on the Sanitization tab.
    func openCloneWizard(_ tmux: Tmux, home: String, naming target: String, height: Int) throws {
        try tmux.start("\(OcoreBinary.path) --home \(home); sleep 60", width: 110, height: height)
        _ = try tmux.waitFor("the tree") { $0.contains("production") }
        try tmux.keys("j", "c")
        _ = try tmux.waitFor("the wizard") { $0.contains("Clone production (production)") }
        try tmux.keys("C-u")
        try tmux.keys("-l", target)
        try tmux.keys("Tab")
    }

    @Test("the clone wizard: walk it, start a clone of a real database, watch it finish")
    func cloneWizard() throws {
        let f = try CloneFixture()
        let tmux = Tmux()
        defer { tmux.kill() }
        try openCloneWizard(tmux, home: f.ocore.home, naming: "wizard-stg", height: 36)
        let sanitization = try tmux.waitFor("impact counts") { $0.contains("customer email(s) will be anonymized") }
        #expect(sanitization.contains("(•) Recommended"))
        try tmux.keys("Tab", "Tab")
        _ = try tmux.waitFor("the review") { $0.contains("✓ ready") && $0.contains("wizard-stg (staging)") }
        try tmux.keys("Enter")
        // The header and the step list may be one frame apart: wait for both.
        let done = try tmux.waitFor("the clone to complete", timeout: .seconds(60)) { $0.contains("· completed") && $0.contains("✓ Verifying") }
        #expect(done.contains("✓ Verifying"))
        try tmux.keys("m")
        _ = try tmux.waitFor("the new environment in the tree") { $0.contains("wizard-stg") && !$0.contains("· completed") }
        #expect(try f.target("wizard-stg").scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
        try tmux.keys("q")
    }

    @Test("with a fresh golden copy the Overview names it and the wizard ticks it: the clone started there is made from the golden copy, as `clone --from-golden`")
    func cloneFromGoldenCopy() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["golden", "refresh", "production"])
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(f.ocore.home); sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains("production") }
        try tmux.keys("j")
        let overview = try tmux.waitFor("the golden copy in the Overview") { $0.contains("Golden copy  production as of") }
        #expect(overview.contains("sanitized with") && overview.contains("NEUTRALIZED"))
        try tmux.keys("c")
        _ = try tmux.waitFor("the wizard") { $0.contains("Clone production (production)") }
        try tmux.keys("C-u")
        try tmux.keys("-l", "wizard-golden")
        let target = try tmux.screen()
        #expect(target.contains("[x] Golden copy: production as of"), "\(target)")
        try tmux.keys("Tab", "Tab", "Tab")
        _ = try tmux.waitFor("the review") { $0.contains("the golden copy's (NEUTRALIZED)") && $0.contains("✓ ready") }
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the clone to complete", timeout: .seconds(60)) { $0.contains("· completed") && $0.contains("✓ Verifying") }
        try tmux.keys("q")
        let jobs = try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).filter { $0["kind"] as? String == "clone" }
        let log = try f.ocore.ok(["jobs", "show", String(try #require(jobs.first?["id"] as? Int))])
        #expect(log.contains("copied the golden copy golden_\(f.source) into wizard-golden"), "\(log)")
        #expect(try f.target("wizard-golden").scalar("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == "true")
    }

    @Test("the wizard shows the source's coverage with the project's sanitization.toml; a Strict clone started there applies the rules and completes")
    func strictCloneWithRules() throws {
        let f = try CloneFixture()
        try plantCustomModules(f.source)
        try TestPostgres.psql(f.source).execute("CREATE TABLE x_delivery_address (id serial PRIMARY KEY, street varchar); INSERT INTO x_delivery_address (street) VALUES ('12 Real Road');")
        try FileManager.default.createDirectory(atPath: f.ocore.home + "/projects/acme", withIntermediateDirectories: true)
        try "[columns]\n\"x_delivery_address.street\" = \"fake_name\"\n".write(toFile: f.ocore.home + "/projects/acme/sanitization.toml", atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        try openCloneWizard(tmux, home: f.ocore.home, naming: "strict-stg", height: 40)
        let coverage = try tmux.waitFor("the coverage", timeout: .seconds(30)) { $0.contains("Coverage:") }
        #expect(coverage.contains("1 by your rules") && coverage.contains("Every personal or secret-like column is sanitized"), "\(coverage)")
        try tmux.keys("Down", "Down", "Down", "Down", "Space")
        _ = try tmux.waitFor("Strict ticked") { $0.contains("[x] Strict") }
        try tmux.keys("Tab", "Tab")
        _ = try tmux.waitFor("the review") { $0.contains("✓ ready") && $0.contains("· strict") }
        try tmux.keys("Enter")
        let done = try tmux.waitFor("the clone to complete", timeout: .seconds(60)) { $0.contains("· completed") }
        #expect(done.contains("sanitization_rules"), "\(done)")
        #expect(try f.target("strict-stg").scalar("SELECT street FROM x_delivery_address") == "Name 1")
        // The wizard's Strict reached the engine's job, as `clone --strict` would.
        let parameters = try LocalExecutor().output(Command(["sqlite3", f.ocore.home + "/ocore.db", "SELECT json_extract(parameters, '$.strict') FROM job WHERE kind = 'clone'"]))
        #expect(parameters.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        try tmux.keys("q")
    }

    @Test("restore from the Backups tab: a staging environment is put back to its backup, with a safety backup first")
    func restoreFromBackupsTab() throws {
        let f = try RestoreFixture()
        // A name of its own: the test cluster is shared with tests that clone into "staging".
        let stg = "tmux_stg_\(UUID().uuidString.prefix(6).lowercased())"
        _ = try f.clone.clone(stg, preset: "minimal")
        let backup = try #require(try f.ocore.jsonObject(["backup", "create", stg, "--json"])["id"] as? String)
        try TestPostgres.psql(stg).execute("CREATE TABLE since_backup (x int);")
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(f.ocore.home); sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains(stg) }
        try tmux.keys("/")
        try tmux.keys("-l", stg)
        try tmux.keys("Enter", "j", "2")
        _ = try tmux.waitFor("the backup in the Backups tab") { $0.contains("completed") && $0.contains("EXPIRES") }
        try tmux.keys("R")
        // The whole dialog, not its first line: a capture can land between two lines' drawing.
        let dialog = try tmux.waitFor("the restore dialog") { $0.contains("Restore into \(stg)") && $0.contains("safety backup first") }
        #expect(dialog.contains("All changes to \(stg) since") && dialog.contains("safety backup first"))
        try tmux.keys("Tab", "Tab", "Enter")
        let done = try tmux.waitFor("the restore to complete", timeout: .seconds(90)) { $0.contains("· completed") }
        #expect(done.contains("Safety backup") && done.contains("Verify"))
        #expect(try TestPostgres.psql(stg).scalar("SELECT to_regclass('since_backup') IS NULL") == "t")
        let points = try f.ocore.jsonArray(["restore-points", stg, "--json"])
        #expect(points.first?["backup_id"] as? String == backup && points.first?["safety_backup_id"] as? String != nil)
        try tmux.keys("m", "q")
    }

    @Test("b with Sanitized set to Recommended takes a sanitized backup of a real database: the same job as `backup create --sanitized`, marked in the Backups tab")
    func sanitizedBackupFromDialog() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(f.ocore.home); sleep 60", width: 120, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains("production") }
        try tmux.select("production")
        try tmux.keys("b")
        _ = try tmux.waitFor("the backup dialog") { $0.contains("Back up production") && $0.contains("Create backup") }
        try tmux.keys("Down", "Down", "Space")
        let dialog = try tmux.waitFor("the choice") { $0.contains("‹ Recommended: a copy to hand out, sanitized as written ›") }
        #expect(dialog.contains("[ ] include filestore"), "the attachments are left out of a sanitized backup")
        try tmux.keys("Down", "Down", "Down", "Down", "Enter")
        _ = try tmux.waitFor("the backup to complete", timeout: .seconds(120)) { $0.contains("· completed") }
        let backups = try f.ocore.jsonArray(["backup", "list", "production", "--json"])
        #expect(backups.count == 1 && backups.first?["sanitized"] as? String == "NEUTRALIZED" && backups.first?["include_filestore"] as? Bool == false, "\(backups)")
        try tmux.keys("m", "2")
        _ = try tmux.waitFor("the mark in the Backups tab") { $0.contains("DATA") && $0.contains("sanitized") }
        try tmux.keys("q")
    }

    @Test("Backups tab actions through the real runtime: pin, verify, the retention plan, and a delete that needs the typed id")
    func backupActions() throws {
        let f = try RestoreFixture()
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(f.ocore.home); sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains("production") }
        try tmux.select("production")
        try tmux.keys("2")
        _ = try tmux.waitFor("the backup in the Backups tab") { $0.contains("completed") && $0.contains("EXPIRES") }
        try tmux.keys("p")
        _ = try tmux.waitFor("the pin") { $0.contains("pinned: retention never removes it") }
        #expect(try f.ocore.jsonObject(["backup", "show", f.backupID, "--json"])["pinned"] as? Bool == true)
        try tmux.keys("v")
        _ = try tmux.waitFor("the verification", timeout: .seconds(60)) { $0.contains("backup \(f.backupID) verified") }
        try tmux.keys("t")
        // Wait for the rows too: a capture can catch the frame between its header and its rows.
        let plan = try tmux.waitFor("the retention plan") { $0.contains("Retention of production") && $0.contains("1 kept, 0 to delete") && $0.contains("keep ") }
        #expect(plan.contains("keep"))
        try tmux.keys("Escape", "d")
        _ = try tmux.waitFor("the delete confirmation") { $0.contains("cannot be undone") }
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the refusal") { $0.contains("type \(f.backupID) to delete it") }
        #expect(try f.ocore.jsonObject(["backup", "show", f.backupID, "--json"])["status"] as? String == "completed")
        try tmux.keys("-l", f.backupID)
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the deletion", timeout: .seconds(30)) { $0.contains("deleted from storage") }
        #expect(try f.ocore.jsonObject(["backup", "show", f.backupID, "--json"])["status"] as? String == "deleted")
        try tmux.keys("q")
    }

    @Test("E, C, F and P in the real dashboard: the edit, the odoo.conf change, the weekly refresh and the backup policy reach the store and the server, as the CLI would make them")
    func editEnvironment() throws {
        let ocore = OcoreBinary()
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "qa-edit", "--project", "acme", "--type", "staging", "--server", "local", "--db", "qa_edit_db"])
        _ = try ocore.ok(["env", "add", "qa-src", "--project", "acme", "--type", "staging", "--server", "local", "--db", "qa_src_db"])
        let conf = TestDirectories.make("tmux-odoo-conf") + "/odoo.conf"
        try "[options]\n; tuned for 4 cores\nworkers = 2\nadmin_passwd = s3cret-master\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains("qa-edit") }
        try tmux.keys("j", "E")
        _ = try tmux.waitFor("the edit dialog") { $0.contains("Edit qa-edit") }
        try tmux.keys("Down")
        try tmux.keys("-l", "https://qa.acme.example")
        try tmux.keys("Down")
        try tmux.keys("-l", "odoo:odoo")
        try tmux.keys("Down", "Down", "Down")
        try tmux.keys("-l", conf)
        try tmux.keys("Down", "Down", "Enter")
        _ = try tmux.waitFor("the save") { $0.contains("qa-edit saved: staging, https://qa.acme.example") }
        let env = try ocore.jsonObject(["env", "show", "qa-edit", "--json"])
        #expect(env["url"] as? String == "https://qa.acme.example" && env["filestore_owner"] as? String == "odoo:odoo")
        #expect(try ocore.ok(["audit"]).contains("env.set"))

        // C: the odoo.conf just named, read from the server, edited in place.
        _ = try tmux.waitFor("the Config line") { $0.contains("workers 2") }
        try tmux.keys("C")
        _ = try tmux.waitFor("the config dialog") { $0.contains("odoo.conf of qa-edit") }
        try tmux.keys("C-u")
        try tmux.keys("-l", "6")
        try tmux.keys(contentsOf: Array(repeating: "Down", count: 11) + ["Enter"])
        let saved = try tmux.waitFor("the config save") { $0.contains("workers set in") }
        #expect(!saved.contains("s3cret"), "a secret of odoo.conf on screen: \(saved)")
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        #expect(text == "[options]\n; tuned for 4 cores\nworkers = 6\nadmin_passwd = s3cret-master\n", "\(text)")
        #expect(try String(contentsOfFile: conf + ".bak", encoding: .utf8).contains("workers = 2"))

        // F: a weekly refresh set up with the typed name.
        try tmux.keys("F")
        _ = try tmux.waitFor("the refresh dialog") { $0.contains("Weekly refresh of qa-edit") && $0.contains("‹ qa-src ›") }
        try tmux.keys("Down", "Down", "Down", "Down", "Down")
        try tmux.keys("-l", "qa-edit")
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the schedule") { $0.contains("qa-edit: refreshed every sun at 03:00 from qa-src") }
        #expect(try ocore.ok(["refresh", "show", "qa-edit"]).contains("every sun at 03:00 from qa-src (recommended)"))
        _ = try tmux.waitFor("the Refresh line") { $0.contains("Refresh") && $0.contains("F to change") }

        // P: scheduled backups, kept 14 days; a word where a number belongs is refused by the engine.
        try tmux.keys("P")
        _ = try tmux.waitFor("the policy dialog") { $0.contains("Backup policy of qa-edit") }
        try tmux.keys("Down", "Down", "Down", "Down", "Down", "Down", "Down", "C-u")  // past Repeat, To, Copy to, Contents, Format, Weekly to Keep daily
        try tmux.keys("-l", "two")
        try tmux.keys(contentsOf: Array(repeating: "Down", count: 5) + ["Enter"])
        _ = try tmux.waitFor("the refusal") { $0.contains("days kept takes a whole number") }
        // Every 6 hours (Repeat stepped five times: 1h 2h 3h 4h 6h), daily kept 14 days.
        try tmux.keys("P", "Down", "Right", "Right", "Right", "Right", "Right", "Down", "Down", "Down", "Down", "Down", "Down", "Down", "C-u")
        try tmux.keys("-l", "14")
        try tmux.keys(contentsOf: Array(repeating: "Down", count: 5) + ["Enter"])
        _ = try tmux.waitFor("the saved policy") { $0.contains("qa-edit: backed up every 6h from 02:00; keep the others 48 hours, 14 days") }
        let policy = try #require(try ocore.jsonObject(["policy", "show", "qa-edit", "--json"])["policy"] as? [String: Any])
        #expect((policy["retention"] as? [String: Any])?["daily_days"] as? Int == 14 && policy["every_hours"] as? Int == 6)
        #expect(try ocore.jsonArray(["audit", "--json"]).contains { $0["action"] as? String == "policy.set" })
        // Switched off from the same dialog: the button under Save.
        try tmux.keys(contentsOf: ["P"] + Array(repeating: "Down", count: 14) + ["Enter"])
        _ = try tmux.waitFor("the switch") { $0.contains("qa-edit: scheduled backups switched off") }
        #expect(try ocore.jsonObject(["policy", "show", "qa-edit", "--json"])["policy"].flatMap { ($0 as? [String: Any])?["enabled"] as? Bool } == false)
        _ = try tmux.waitFor("the Overview's word") { $0.contains("SWITCHED OFF") }
        try tmux.keys("q")
    }

    @Test("read-only for people who watch: readonly = true in the home's config.toml shows READ-ONLY, refuses c, b and D with a reason, and nothing is queued")
    func readOnly() throws {
        let ocore = try inventory()
        try "# watchers' home\nreadonly = true\n".write(toFile: ocore.home + "/config.toml", atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the read-only header") { $0.contains("READ-ONLY") && $0.contains("production") }
        try tmux.keys("j", "c")
        _ = try tmux.waitFor("the refusal of c") { $0.contains("read-only: cloning is not done here") }
        try tmux.keys("b")
        _ = try tmux.waitFor("the refusal of b") { $0.contains("read-only: a backup is not done here") }
        try tmux.keys("D")
        let screen = try tmux.waitFor("the refusal of D") { $0.contains("read-only: destroying an environment") }
        #expect(!screen.contains("Destroy production"))
        #expect(try ocore.jsonArray(["jobs", "--all", "--json"]).isEmpty)
        try tmux.keys("q")
        try "readonly = \"yes\"\n".write(toFile: ocore.home + "/config.toml", atomically: true, encoding: .utf8)
        expectCleanFailure(try ocore.run(["dashboard"]), mentions: "readonly takes true or false")
    }

    @Test("servers in the real dashboard: S shows each server's real capacity, a adds an empty one that the clone wizard then offers, d removes it with its name typed")
    func servers() throws {
        let ocore = try inventory()
        let spareData = TestDirectories.make("tmux-spare-data")
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(ocore.home); sleep 60", width: 140, height: 36)
        _ = try tmux.waitFor("the tree") { $0.contains("production") }
        try tmux.keys("S")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let listed = try tmux.waitFor("the local server's facts") { $0.contains("✓ reachable") && $0.contains("\(cores) · load") }
        #expect(listed.contains("Servers · 1"), "\(listed)")
        try tmux.keys("a")
        _ = try tmux.waitFor("the add form") { $0.contains("Add a server") }
        try tmux.keys("-l", "spare")
        try tmux.keys("Down", "Down", "Down", "Down", "Down", "Down")
        try tmux.keys("-l", spareData)
        try tmux.keys("Enter", "Enter")
        _ = try tmux.waitFor("the new server") { $0.contains("server spare added (local)") && $0.contains("Servers · 2") }
        #expect(try ocore.jsonArray(["server", "list", "--json"]).contains { $0["name"] as? String == "spare" })
        #expect(try ocore.jsonArray(["audit", "--json"]).contains { $0["action"] as? String == "server.add" })
        try tmux.keys("Escape", "j", "c")
        _ = try tmux.waitFor("the wizard offering the empty server") { $0.contains("Clone production") && $0.contains("spare") && $0.contains("free") }
        try tmux.keys("Escape", "S", "j", "d")
        _ = try tmux.waitFor("the removal question") { $0.contains("Remove server spare?") }
        try tmux.keys("-l", "spare")
        try tmux.keys("Enter")
        _ = try tmux.waitFor("the removal") { $0.contains("server spare removed") && $0.contains("Servers · 1") }
        #expect(try !ocore.jsonArray(["server", "list", "--json"]).contains { $0["name"] as? String == "spare" })
        try tmux.keys("q")
    }

    @Test("over a real ssh -tt session: the job left running opens at once, m minimizes it, J lists it, and q leaves it running")
    func overSSH() throws {
        let ocore = OcoreBinary()
        let sshd = TestSSHD.shared
        let scratch = ocore.home + "/scratch"
        let id = try ocore.diagnose(["--steps", "2", "--seconds", "20"], scratch: scratch)
        let tmux = Tmux()
        defer { tmux.kill() }
        let ssh = ["ssh", "-tt", "-i", sshd.identity, "-o", "UserKnownHostsFile=\(sshd.knownHosts)", "-o", "BatchMode=yes", "-p", String(sshd.port),
                   "\(sshd.user)@127.0.0.3", "env", "LANG=C.UTF-8", OcoreBinary.path, "--home", ocore.home]
        try tmux.start(ssh.joined(separator: " ") + "; sleep 60", width: 110, height: 36)
        _ = try tmux.waitFor("the job's modal over SSH", timeout: .seconds(20)) { $0.contains("diagnostic #\(id) · running") && $0.contains("m or Esc minimizes it") }
        try tmux.keys("m")
        _ = try tmux.waitFor("the strip") { $0.contains("#\(id) diagnostic") && !$0.contains("minimizes it") }
        try tmux.keys("J")
        _ = try tmux.waitFor("the Jobs view") { $0.contains("Jobs · 1 of 1") && $0.contains("running") }
        try tmux.keys("Escape", "q")
        _ = try tmux.waitFor("the session to end") { !$0.contains("Jobs ·") && !$0.contains("ocore environments") }
        #expect(try ocore.job(id)["status"] as? String == "running", "closing the dashboard over SSH does not stop the job")
        _ = try ocore.ok(["jobs", "cancel", String(id)])
    }

    @Test("jobs in the real dashboard: a detached clone opens at start, a worker killed mid-clone is noticed and its target removed with no other command, J reopens a failed job and R retries it to completion")
    func jobsEverywhere() throws {
        let f = try CloneFixture()
        // A storage whose directory is not there (a NAS not mounted): the first backup fails.
        let nas = TestDirectories.make("tmux-nas") + "/mount"
        try FileManager.default.createDirectory(atPath: nas, withIntermediateDirectories: true)
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])
        try FileManager.default.removeItem(atPath: nas)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: nas))
        let failed = try #require(try JSONSerialization.jsonObject(with: try f.ocore.run(["backup", "create", "production", "--json"]).stdout) as? [String: Any])
        #expect(failed["status"] as? String == "failed", "\(failed)")
        let backupJob = try #require(failed["job_id"] as? Int)

        // A clone onto a server behind a slow link (a WAN), started from the CLI and left running.
        let sshd = TestSSHD.shared
        let pg = TestPostgres.cluster
        let link = try SlowLink(to: "127.0.0.3:\(sshd.port)", bytesPerSecond: 4 << 20)
        let linkPort = try #require(link.endpoint.split(separator: ":").last.map(String.init))
        let farData = TestDirectories.make("tmux-far-data")
        let farKnownHosts = TestDirectories.make("tmux-far-keys") + "/known_hosts"
        _ = try f.ocore.ok(["server", "add", "far", "--ssh", "\(sshd.user)@127.0.0.1:\(linkPort)", "--identity", sshd.identity, "--known-hosts", farKnownHosts,
                            "--accept-new-host-key", "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--data-dir", farData])
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        _ = try LocalExecutor().output(Command(["dd", "if=/dev/urandom", "of=\(filestore)/zz/big", "bs=1M", "count=64", "status=none"]))
        let queued = try f.ocore.run(["clone", "production", "--new", "stg-far-kill", "--server", "far", "--type", "staging", "--url", "https://stg-far-kill.acme.example",
                                      "--preset", "minimal", "--detach", "--json"])
        let id = try #require((try? JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])?["id"] as? Int, "\(queued.stderrText)")
        let db = f.ocore.home + "/ocore.db"
        let copying = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < copying,
              (try? sqliteValue(db, "SELECT count(*) FROM job_step WHERE job_id = \(id) AND name LIKE 'backing_up_%' AND status = 'running'")) != "1" { usleep(50_000) }
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'stg-far-kill'") == "1", "the target is being made")
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("\(OcoreBinary.path) --home \(f.ocore.home); sleep 60", width: 110, height: 36)
        // The whole first frame (the modal and, on the last line, how to minimize it), not a half-drawn one.
        let opened = try tmux.waitFor("the running clone's modal at start") { $0.contains("clone #\(id) · running") && $0.contains("m or Esc minimizes it") }
        #expect(opened.contains("Copying database and filestore"), "\(opened)")

        // The worker dies mid-clone; the dashboard alone notices, and a new worker removes the half-made target.
        try f.ocore.killWorker()
        _ = try tmux.waitFor("the clone interrupted", timeout: .seconds(10)) { $0.contains("clone #\(id) · interrupted") }
        let undone = ContinuousClock.now + .seconds(30)
        func targetGone() -> Bool {
            (try? TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'stg-far-kill'")) == "0"
                && !FileManager.default.fileExists(atPath: farData + "/filestore/stg-far-kill")
        }
        while ContinuousClock.now < undone, !(targetGone() && (try? sqliteValue(db, "SELECT status FROM job WHERE id = \(id)")) == "interrupted") { usleep(100_000) }
        #expect(try sqliteValue(db, "SELECT status FROM job WHERE id = \(id)") == "interrupted")
        #expect(targetGone(), "the half-made target database and filestore are removed")
        #expect(try sqliteValue(db, "SELECT count(*) FROM environment WHERE name = 'stg-far-kill'") == "0")
        try link.setRate(bytesPerSecond: 0)

        // The NAS is back: the failed backup, found in the Jobs view, is retried with R.
        try FileManager.default.removeItem(atPath: nas)
        try FileManager.default.createDirectory(atPath: nas, withIntermediateDirectories: true)
        try tmux.keys("Escape", "J")
        _ = try tmux.waitFor("the Jobs view") { $0.contains("Jobs · 2 of 2") && $0.contains("stg-far-kill ← production") }
        try tmux.keys("/")
        try tmux.keys("-l", "backup")
        try tmux.keys("Enter", "Enter")
        _ = try tmux.waitFor("the failed backup's modal") { $0.contains("backup #\(backupJob) · failed") && $0.contains("R retries it") }
        try tmux.keys("R")
        _ = try tmux.waitFor("the retry question") { $0.contains("Retry job \(backupJob)?") }
        try tmux.keys("y")
        let retried = try tmux.waitFor("the retry to complete", timeout: .seconds(60)) { $0.contains("backup #") && $0.contains("· completed") }
        #expect(!retried.contains("backup #\(backupJob) ·"), "the retry is a new job: \(retried)")
        #expect(try sqliteValue(db, "SELECT count(*) FROM job WHERE retry_of = \(backupJob) AND status = 'completed'") == "1")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: nas).contains { $0.hasSuffix(".zip") }, "the retried backup is on the NAS")
        try tmux.keys("q")
    }
}

/// One value read straight from the state store, without running `ocore` (which would itself
/// notice a dead worker).
func sqliteValue(_ db: String, _ sql: String) throws -> String {
    try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", db, sql])).trimmingCharacters(in: .whitespacesAndNewlines)
}
