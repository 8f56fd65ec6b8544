import OcoreModel
@testable import OcoreTUI
import Testing

private func clone(_ id: Int64, from source: String, to target: String, status: JobStatus, by user: String = "ops") -> JobRecord {
    var j = job(id, env: target, status: status)
    j.kind = "clone"
    j.lockedEnvironments = [target, "read:" + source]
    j.createdBy = user
    return j
}

@Suite("Jobs everywhere: the Jobs view, reopening a running job, a dead worker")
struct JobsViewTests {
    let rows = [row("production", .production), row("staging"), row("dev", .development)]

    @Test("J lists every job newest first with its environments; s narrows by state, / by text; Enter opens the job's modal")
    func jobsView() {
        var s = dashboard(rows, width: 120, height: 30)
        #expect(update(&s, .key(.character("J"))) == [.loadAllJobs])
        #expect(screen(s).text.contains("loading…"))
        let jobs = [clone(12, from: "production", to: "staging", status: .running), job(11, env: "dev", status: .failed),
                    job(10, env: "production", status: .completed)]
        _ = update(&s, .allJobsLoaded(jobs))
        var text = screen(s).text
        #expect(text.contains("Jobs · 3 of 3") && text.contains("staging ← production"), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        let order = [12, 11, 10].compactMap { id in lines.firstIndex { $0.contains("│ \(id) ") } }
        #expect(order.count == 3 && order == order.sorted(), "newest first: \(order)")
        press(&s, .character("s"))  // active
        #expect(screen(s).text.contains("Jobs · 1 of 3"))
        press(&s, .character("s"))  // failed
        text = screen(s).text
        #expect(text.contains("Jobs · 1 of 3") && text.contains("failed"))
        press(&s, .character("s"), .character("s"), .character("/"))  // all, then filter
        type(&s, "production")
        press(&s, .enter)
        #expect(screen(s).text.contains("Jobs · 2 of 3"), "the clone reads production, job 10 is on it")
        press(&s, .down)
        #expect(update(&s, .key(.enter)) == [.loadJobProgress(10)])
        guard case .progress(let modal) = s.overlay else { Issue.record("no modal"); return }
        #expect(modal.jobID == 10)
    }

    @Test("starting the dashboard while the user's job runs opens its modal, with how to minimize it; another user's job alongside does not")
    func reopensRunningJob() {
        var s = dashboard(rows)
        let active = [clone(5, from: "production", to: "staging", status: .running, by: "alice"), clone(4, from: "production", to: "dev", status: .running, by: "bob")]
        _ = update(&s, .jobsLoaded(active: active))
        #expect(update(&s, .startedWithJobs(active: active, user: "bob")) == [.loadJobProgress(4)])
        #expect(s.toast?.message.contains("m or Esc minimizes it") == true)
        var t = dashboard(rows)
        #expect(update(&t, .startedWithJobs(active: active, user: "carol")).isEmpty, "two jobs of others: which one is not ours to guess")
        #expect(update(&t, .startedWithJobs(active: [active[0]], user: "carol")) == [.loadJobProgress(5)], "the only job running opens")
        var sweep = job(6, env: "production", status: .running)
        sweep.kind = JobRecord.retentionSweepKind
        sweep.createdBy = "carol"
        var u = dashboard(rows)
        #expect(update(&u, .startedWithJobs(active: [sweep], user: "carol")).isEmpty && u.overlay == .none,
                "the retention sweep a backup queued by itself does not stand in front of the tree")
    }

    @Test("w opens the running job from the strip; o in its modal opens its environment")
    func stripAndOpen() {
        var s = dashboard(rows)
        let running = clone(5, from: "production", to: "dev", status: .running)
        _ = update(&s, .jobsLoaded(active: [running]))
        #expect(update(&s, .key(.character("w"))) == [.loadJobProgress(5)])
        _ = update(&s, .jobProgressLoaded(running, [], []))
        #expect(update(&s, .key(.character("o"))) == [.loadDetails(environment: "dev", job: 5)])
        #expect(s.overlay == .none && s.focusedEnvironment?.name == "dev")
    }

    @Test("a job whose worker is gone reads interrupted (worker gone) in the strip and its modal, and says so once")
    func workerGone() {
        var s = dashboard(rows, width: 100, height: 30)
        let running = clone(5, from: "production", to: "staging", status: .running)
        _ = update(&s, .jobsLoaded(active: [running]))
        _ = update(&s, .workerChecked(gone: [5]))
        #expect(screen(s).text.contains("#5 clone staging interrupted (worker gone)"))
        #expect(s.toast?.message.contains("the worker running job #5 is gone") == true)
        s.toast = nil
        _ = update(&s, .workerChecked(gone: [5]))
        #expect(s.toast == nil, "said once")
        press(&s, .character("w"))
        _ = update(&s, .jobProgressLoaded(running, [], []))
        #expect(screen(s).text.contains("clone #5 · interrupted (worker gone)"))
        _ = update(&s, .jobsLoaded(active: []))  // the new worker has marked it interrupted
        #expect(s.workerGone.isEmpty)
    }
}

@Suite("Read-only mode: everything shown, nothing changed")
struct ReadOnlyTests {
    @Test("the header says READ-ONLY; c, b, D, E and a backup's delete are refused with a reason before any dialog opens")
    func refusesChanges() {
        var s = dashboard([row("production", .production), row("staging")])
        s.readOnly = true
        #expect(screen(s).text.split(separator: "\n").first?.contains("READ-ONLY") == true)
        press(&s, .down)
        for key in ["c", "b", "D", "E", "F"] {
            #expect(update(&s, .key(.character(Character(key)))).isEmpty, "\(key)")
            #expect(s.overlay == .none && s.toast?.message.hasPrefix("read-only:") == true, "\(key): \(s.toast?.message ?? "no reason")")
        }
        _ = update(&s, .environmentDetailsLoaded(environment: "production", jobs: [], log: [], backups: [backup("b1", env: "production", daysAgo: 1, now: s.now)]))
        press(&s, .character("2"))
        #expect(update(&s, .key(.character("d"))).isEmpty && s.overlay == .none)
        #expect(update(&s, .key(.enter)).isEmpty && s.overlay == .none, "no restore dialog")
        press(&s, .character("J"))
        guard case .jobs = s.overlay else { Issue.record("the Jobs view is for watching: it opens"); return }
    }

    @Test("whatever path a key takes, an effect that changes something never leaves update")
    func effectGuard() {
        var s = dashboard([row("production", .production), row("staging")])
        s.readOnly = true
        var running = job(4, env: "staging")
        running.kind = "clone"
        _ = update(&s, .jobStarted(4))
        _ = update(&s, .jobProgressLoaded(running, [], []))
        #expect(update(&s, .key(.character("x"))).isEmpty && s.toast?.message.contains("cancelling a job") == true)
        // The palette's actions are refused the same way as their keys.
        s.overlay = .palette(PaletteState())
        type(&s, "backup")
        #expect(update(&s, .key(.enter)).isEmpty)
        guard case .palette = s.overlay else { Issue.record("no backup dialog opens: \(s.overlay)"); return }
        // And should a dialog ask for a change anyway, the effect never leaves update.
        var edit = EditEnvironmentState(environment: row("staging"))
        edit.field = .save
        s.overlay = .editEnvironment(edit)
        let effects = update(&s, .key(.enter))
        #expect(effects.allSatisfy { !$0.isChange } && s.overlay == .none && s.toast?.message.hasPrefix("read-only") == true, "\(effects)")
    }
}

@Suite("The audit log in the dashboard")
struct AuditViewTests {
    @Test("A shows the audit log; / narrows it through the store's filter, and a reply to an older filter is dropped")
    func audit() {
        var s = dashboard([row("production", .production), row("staging")], width: 120, height: 30)
        #expect(update(&s, .key(.character("A"))) == [.loadAudit(matching: "")])
        let records = [AuditRecord(id: 2, at: "2026-12-01T09:00:00.000Z", user: "alice", from: "10.0.0.7", action: "env.rm", environment: "staging", jobID: nil,
                                   result: "done", detail: "database db_staging left in place"),
                       AuditRecord(id: 1, at: "2026-12-01T08:00:00.000Z", user: "bob", from: "local", action: "clone", environment: "staging", jobID: 4,
                                   result: "completed", detail: nil)]
        _ = update(&s, .auditLoaded(matching: "", records))
        let text = screen(s).text
        #expect(text.contains("Audit · 2 records") && text.contains("env.rm") && text.contains("10.0.0.7") && text.contains("completed #4"), "\(text)")
        press(&s, .character("/"))
        #expect(update(&s, .key(.character("r"))) == [.loadAudit(matching: "r")])
        #expect(update(&s, .key(.character("m"))) == [.loadAudit(matching: "rm")])
        _ = update(&s, .auditLoaded(matching: "rm", [records[0]]))
        _ = update(&s, .auditLoaded(matching: "r", records))  // a late reply to "r"
        #expect(screen(s).text.contains("Audit · 1 record"), "the newest filter's rows stay")
        press(&s, .enter, .escape)
        #expect(s.overlay == .none)
    }
}

@Suite("Servers in the dashboard")
struct ServersViewTests {
    let servers = [ServerRow(name: "erp1", connection: "ssh odoo@erp1", dataDir: "/var/lib/odoo", maxJobs: 2),
                   ServerRow(name: "dr-site", connection: "ssh odoo@dr", dataDir: "/srv/odoo", maxJobs: 1)]

    @Test("S lists every server, also one with no environment, with CPU, memory, disk, PostgreSQL and jobs; facts arrive in the background")
    func list() {
        var s = dashboard([row("production", .production), row("staging")], width: 140, height: 30)
        #expect(update(&s, .serversLoaded(servers)) == [.loadServerFacts("erp1"), .loadServerFacts("dr-site")])
        #expect(update(&s, .key(.character("S"))) == [.loadServerFacts("erp1"), .loadServerFacts("dr-site")])
        _ = update(&s, .serverFactsLoaded(server: "erp1", ServerFacts(cores: 8, load1: 0.42, memoryTotal: 32 << 30, memoryAvailable: 20 << 30,
                                                                      diskTotal: 500 << 30, freeBytes: 120 << 30, postgresVersion: "15.8")))
        _ = update(&s, .serverFactsLoaded(server: "dr-site", .unreachable("connection refused")))
        let text = screen(s).text
        #expect(text.contains("Servers · 2") && text.contains("dr-site") && text.contains("✗ unreachable"), "\(text)")
        press(&s, .down)
        #expect(screen(s).text.contains("dr-site: data directory /srv/odoo · unreachable: connection refused"))
        #expect(text.contains("8 · load 0.4") && text.contains("20.0 GiB/32.0 GiB") && text.contains("120 GiB/500 GiB") && text.contains("15.8"), "\(text)")
    }

    @Test("a adds a server through the form; d removes one with its name typed, and not one that hosts an environment; e tests one")
    func actions() {
        var s = dashboard([row("production", .production), row("staging")], width: 120, height: 30)
        _ = update(&s, .serversLoaded(servers))
        press(&s, .character("S"), .character("d"))
        #expect(s.toast?.message.contains("erp1 still hosts production, staging") == true)
        press(&s, .down, .character("d"))
        type(&s, "dr-sit")
        #expect(update(&s, .key(.enter)).isEmpty, "not until the whole name is typed")
        type(&s, "e")
        #expect(update(&s, .key(.enter)) == [.editServer(.remove(name: "dr-site"))])
        #expect(update(&s, .key(.character("e"))) == [.testServer("dr-site")])
        _ = update(&s, .serverTested(name: "dr-site", lines: ["✓ reach: ssh odoo@dr", "✗ disk: full"]))
        #expect(screen(s).text.contains("✗ disk: full"))
        press(&s, .escape, .character("a"))
        type(&s, "spare")
        press(&s, .down, .control("u"))
        type(&s, "odoo@10.0.0.9:2222")
        press(&s, .down, .down, .down, .down, .down)
        type(&s, "/srv/odoo")
        let effects = update(&s, .key(.enter)) + update(&s, .key(.enter))
        #expect(effects == [.editServer(.add(ServerForm(name: "spare", destination: "odoo@10.0.0.9:2222", identity: "", knownHosts: "",
                                                        pgHost: "", pgPort: "", dataDir: "/srv/odoo", maxJobs: "2")))])
    }

    @Test("the clone wizard offers every server with whether the copy fits there")
    func wizardVerdicts() {
        var s = dashboard([row("production", .production), row("staging")], width: 120, height: 36)
        _ = update(&s, .serversLoaded(servers))
        _ = update(&s, .statusUpdated(environment: "production", EnvironmentStatus(reachability: .reachable, databaseSize: 2 << 30, filestoreSize: 8 << 30)))
        _ = update(&s, .serverFactsLoaded(server: "erp1", ServerFacts(cores: 8, freeBytes: 120 << 30, postgresVersion: "15.8")))
        _ = update(&s, .serverFactsLoaded(server: "dr-site", ServerFacts(cores: 4, freeBytes: 5 << 30, postgresVersion: "15.8")))
        press(&s, .down, .character("c"))
        let text = screen(s).text
        #expect(text.contains("erp1             ✓ 120 GiB free · 8 cores"), "\(text)")
        #expect(text.contains("dr-site          ✗ needs ~12.0 GiB, 5.0 GiB free"), "a new server: the filestore is copied, not linked: \(text)")
    }
}
