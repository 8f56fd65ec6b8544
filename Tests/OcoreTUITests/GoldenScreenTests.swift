import Foundation
@testable import OcoreModel
@testable import OcoreTUI
import Testing

/// The whole screen, as text, against `Golden/<name>.txt` beside this file. A difference fails
/// with the lines that differ, numbered; `OCORE_UPDATE_GOLDEN=1 swift test --filter Golden`
/// writes the current screens (then read the diff before committing it). Dates are drawn in the
/// machine's time zone, as the dashboard draws them: the screens here are UTC's, like CI's.
func expectGolden(_ state: DashboardState, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let actual = screen(state).text + "\n"
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name).txt").path
    if ProcessInfo.processInfo.environment["OCORE_UPDATE_GOLDEN"] == "1" {
        try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("no golden screen \(name).txt: run with OCORE_UPDATE_GOLDEN=1 to write it", sourceLocation: sourceLocation)
        return
    }
    guard expected != actual else { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false), e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    var diff: [String] = []
    for i in 0..<max(a.count, e.count) where (i < a.count ? a[i] : nil) != (i < e.count ? e[i] : nil) {
        diff.append("line \(i + 1):\n  expected |\(i < e.count ? String(e[i]) : "(none)")|\n  actual   |\(i < a.count ? String(a[i]) : "(none)")|")
    }
    let shown = diff.prefix(12).joined(separator: "\n")
    Issue.record("screen \(name) differs from its golden text:\n\(shown)", sourceLocation: sourceLocation)
}

/// Every overlay, in its states, as the operator sees it on a 100×32 terminal.
@Suite("Golden screens: every overlay in each state")
struct GoldenScreenTests {
    let rows = [row("production", .production), row("staging"), row("dev", .development)]

    func base(width: Int = 100, height: Int = 32) -> DashboardState {
        var s = dashboard(rows, width: width, height: height)
        _ = update(&s, .storagesLoaded([StorageChoice(name: "nas", kind: "dir", isDefault: true), StorageChoice(name: "old", kind: "ftp", isDefault: false, lessSecure: true)]))
        press(&s, .down)
        return s
    }

    func withBackups(_ env: String = "production") -> DashboardState {
        var s = base()
        press(&s, .character("2"))
        var b = backup("b2", env: env, daysAgo: 1, now: s.now)
        b.odooVersion = "17.0"
        _ = update(&s, .environmentDetailsLoaded(environment: env, jobs: [], log: [], backups: [b, backup("b1", env: env, daysAgo: 9, now: s.now, tier: .weekly)]))
        return s
    }

    @Test("help and the command palette")
    func helpAndPalette() {
        var s = base()
        press(&s, .character("?"))
        expectGolden(s, "help")
        press(&s, .escape, .character(":"))
        expectGolden(s, "palette")
        type(&s, "back")
        expectGolden(s, "palette-filtered")
    }

    @Test("the clone wizard: each tab, counts arriving, and replace mode")
    func cloneWizard() {
        var s = base()
        press(&s, .character("c"))
        expectGolden(s, "clone-target")
        _ = update(&s, .impactsLoaded(source: "production", ["anonymize_emails": 2000, "anonymize_phones": 1500, "disable_mail_servers": 3]))
        press(&s, .tab)
        expectGolden(s, "clone-sanitization")
        _ = update(&s, .sanitizationCounted(source: "production", SanitizationCounts(impacts: ["anonymize_emails": 2000, "anonymize_phones": 1500, "disable_mail_servers": 3], coverage: CloneWizardTests.coverage)))
        expectGolden(s, "clone-sanitization-coverage")
        press(&s, .tab)
        expectGolden(s, "clone-options")
        press(&s, .tab)
        expectGolden(s, "clone-review")
        press(&s, .tab)
        for _ in 0..<12 { press(&s, .down) }
        press(&s, .character(" "), .character(" "))
        expectGolden(s, "clone-replace")
    }

    @Test("the clone wizard offering a fresh golden copy on the target server, and its Review")
    func cloneFromGolden() {
        var s = base()
        _ = update(&s, .goldenCopiesLoaded(["production": [CloneWizardTests.golden(now: s.now)]]))
        expectGolden(s, "overview-golden")
        press(&s, .character("c"))
        expectGolden(s, "clone-target-golden")
        press(&s, .tab, .tab, .tab)
        expectGolden(s, "clone-review-golden")
    }

    @Test("the progress modal: running with its steps, then finished with the outcome")
    func progress() {
        var s = base()
        _ = update(&s, .jobStarted(7))
        // s.now is 1970-01-12T13:46:40Z: the job started 40 s ago, its copy 35 s ago.
        var steps = [
            JobStepRecord(jobID: 7, position: 0, name: "pre_checks", title: "Pre-checks", weightStart: 0, weightEnd: 5, status: .completed,
                          startedAt: "1970-01-12T13:46:00.000Z", endedAt: "1970-01-12T13:46:05.000Z"),
            JobStepRecord(jobID: 7, position: 1, name: "copy", title: "Database copy", weightStart: 5, weightEnd: 60, status: .running,
                          startedAt: "1970-01-12T13:46:05.000Z", progress: 0.5),
            JobStepRecord(jobID: 7, position: 2, name: "verify", title: "Verify", weightStart: 60, weightEnd: 100, status: .pending),
        ]
        var j = job(7, env: "staging", progress: 32)
        j.kind = "clone"
        j.startedAt = "1970-01-12T13:46:00.000Z"
        _ = update(&s, .jobProgressLoaded(j, steps, []))
        expectGolden(s, "progress-running")
        // Its end comes 10 s later: the elapsed time stays at 40 s however long the modal stays open.
        _ = update(&s, .tick(now: s.now + 10))
        j.status = .completed
        j.progress = 100
        j.endedAt = "1970-01-12T13:46:40.000Z"
        steps[1].status = .completed
        steps[1].endedAt = "1970-01-12T13:46:35.000Z"
        steps[2].status = .completed
        steps[2].startedAt = "1970-01-12T13:46:35.000Z"
        steps[2].endedAt = "1970-01-12T13:46:40.000Z"
        _ = update(&s, .jobProgressLoaded(j, steps, []))
        _ = update(&s, .jobResultLoaded(7, #"{"proof": {"verdict": "NEUTRALIZED", "findings": []}, "verification": {"key_tables": "present", "active_users": "12"}, "sanitization_result": [{"option_key": "anonymize_emails", "status": "applied", "affected_rows": 2000, "duration_ms": 40}]}"#))
        expectGolden(s, "progress-finished")
    }

    @Test("the backup dialog")
    func backupDialog() {
        var s = base()
        press(&s, .character("b"))
        expectGolden(s, "backup-dialog")
    }

    @Test("the environment's dialogs: edit (a protected one changing type), its weekly refresh, its odoo.conf")
    func environmentDialogs() {
        var s = base()
        press(&s, .character("E"), .right)
        type(&s, "prod")
        expectGolden(s, "edit-protected")
        press(&s, .escape, .down, .character("F"))
        expectGolden(s, "refresh-new")
        var schedule = RefreshSchedule(target: "staging", source: "production", weekday: 1, at: "03:00", preset: .recommended)
        schedule.lastRunAt = Date(timeIntervalSince1970: 999_000)
        _ = update(&s, .refreshesLoaded(["staging": schedule]))
        press(&s, .escape, .character("F"))
        expectGolden(s, "refresh-existing")
        press(&s, .escape, .up)
        var production = rows[0]
        production.odooConf = "/etc/odoo/odoo.conf"
        _ = update(&s, .environmentsLoaded([production] + rows.dropFirst()))
        _ = update(&s, .odooConfigLoaded(environment: "production", OdooConfigSummary(path: "/etc/odoo/odoo.conf", tuning: [
            .init(key: "workers", value: "4"), .init(key: "max_cron_threads", value: nil), .init(key: "limit_time_real", value: "600"),
            .init(key: "db_name", value: "db_production")])))
        press(&s, .character("C"))
        type(&s, "8")
        expectGolden(s, "odoo-config")
        press(&s, .escape, .character("P"))
        expectGolden(s, "policy-new")
    }

    @Test("the Jobs view and the audit log")
    func jobsAndAudit() {
        var s = base()
        press(&s, .character("J"))
        var clone = job(12, env: "staging", status: .running, progress: 45)
        clone.kind = "clone"
        clone.lockedEnvironments = ["staging", "read:production"]
        var failed = job(11, env: "production", status: .failed, progress: 10)
        failed.kind = "backup"
        _ = update(&s, .allJobsLoaded([clone, failed, job(10, env: "dev", status: .completed, progress: 100)]))
        expectGolden(s, "jobs-view")
        press(&s, .escape, .character("A"))
        _ = update(&s, .auditLoaded(matching: "", [
            AuditRecord(id: 2, at: "2026-12-01T09:00:00.000Z", user: "alice", from: "10.0.0.7", action: "env.rm", environment: "staging", jobID: nil,
                        result: "done", detail: "database db_staging left in place"),
            AuditRecord(id: 1, at: "2026-12-01T08:00:00.000Z", user: "ops", from: "local", action: "clone", environment: "staging", jobID: 12,
                        result: "queued", detail: nil)]))
        expectGolden(s, "audit")
        press(&s, .escape)
        _ = update(&s, .serversLoaded([ServerRow(name: "erp1", connection: "ssh odoo@erp1", dataDir: "/var/lib/odoo", maxJobs: 2),
                                       ServerRow(name: "dr-site", connection: "ssh odoo@dr", dataDir: "/srv/odoo", maxJobs: 1)]))
        press(&s, .character("S"))
        _ = update(&s, .serverFactsLoaded(server: "erp1", ServerFacts(cores: 8, load1: 0.42, memoryTotal: 32 << 30, memoryAvailable: 20 << 30,
                                                                      diskTotal: 500 << 30, freeBytes: 120 << 30, postgresVersion: "15.8")))
        expectGolden(s, "servers")
    }

    @Test("the destroy dialog: a protected environment asks for the typed name and the production box")
    func destroyDialog() {
        var s = base()
        press(&s, .character("D"))
        type(&s, "production")
        expectGolden(s, "destroy-protected")
    }

    @Test("the restore dialog: a protected target, a new environment, and the engine's version question")
    func restoreDialog() {
        var s = withBackups()
        press(&s, .character("R"))
        expectGolden(s, "restore-protected")
        press(&s, .up, .right, .right)  // to the mode, then "as a new environment"
        expectGolden(s, "restore-new")
        press(&s, .escape)
        _ = update(&s, .restoreNeedsConfirmation(RestoreDialogRequest(backupID: "b2", target: "production", safetyBackup: true, includeFilestore: true,
                                                                      confirmation: "production"),
                                                 question: "the backup is Odoo 17.0 and production runs Odoo 18.0: restore anyway?"))
        expectGolden(s, "restore-question")
    }

    @Test("delete, export and the retention plan")
    func backupActions() {
        var s = withBackups("staging")
        press(&s, .character("d"))
        expectGolden(s, "backup-delete")
        press(&s, .escape)
        _ = backupsTabKey(.character("e"), &s, cwd: "/srv/exports")
        expectGolden(s, "backup-export")
        press(&s, .escape, .character("t"))
        _ = update(&s, .retentionLoaded(environment: "staging", [
            Retention.Decision(backup: backup("b2", env: "staging", daysAgo: 0, now: s.now), delete: false, reason: "newest verified backup"),
            Retention.Decision(backup: backup("b1", env: "staging", daysAgo: 0, now: s.now, tier: .weekly), delete: true, reason: "weekly, expired 2026-11-01"),
        ], swept: false))
        expectGolden(s, "retention-plan")
    }
}
