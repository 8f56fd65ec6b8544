import Foundation
import OcoreModel
@testable import OcoreTUI
import Testing

private func schedule(_ target: String, from source: String) -> RefreshSchedule {
    var s = RefreshSchedule(target: target, source: source, weekday: 1, at: "03:00", preset: .recommended)
    s.keepUsers = ["admin"]
    return s
}

private func config(_ values: [String: String]) -> OdooConfigSummary {
    OdooConfigSummary(path: "/etc/odoo/odoo.conf", tuning: ["workers", "limit_time_real", "db_name"].map { OdooConfigSummary.Value(key: $0, value: values[$0]) })
}

@Suite("A scheduled refresh in the dashboard")
struct RefreshInDashboardTests {
    @Test("the Overview shows the environment's refresh schedule and how to change it")
    func refreshLine() {
        var s = dashboard([row("production", .production), row("staging")], width: 170, height: 30)
        _ = update(&s, .refreshesLoaded(["staging": schedule("staging", from: "production")]))
        press(&s, .down, .down)
        let text = screen(s).text
        #expect(text.contains("Refresh      every sun at 03:00 from production (recommended; keeps the passwords of admin); last run never · F to change"), "\(text)")
    }

    @Test("F on an environment with no schedule sets one up: production is offered as the source, saving needs the typed name")
    func setUp() {
        var s = dashboard([row("production", .production), row("staging"), row("dev", .development)])
        press(&s, .down, .down, .character("F"))
        guard case .refreshDialog(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.fields.last == .save, "no Run now or Stop refreshing before there is a schedule")
        #expect(screen(s).text.contains("‹ production ›"))
        press(&s, .down, .right, .right)  // every tue
        press(&s, .down, .control("u"))
        type(&s, "22:30")
        press(&s, .down, .right)  // preset minimal
        press(&s, .down)
        type(&s, "admin, qa@acme.example")
        press(&s, .down, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("every refresh replaces staging: type its name to save"))
        type(&s, "staging")
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.refreshSchedule(RefreshScheduleForm(
            target: "staging", source: "production", weekday: "tue", at: "22:30", preset: .minimal, keepUsers: ["admin", "qa@acme.example"],
            confirmation: "staging")))])
        #expect(s.overlay == .none)
    }

    @Test("with a schedule, the dialog starts from it and runs it now or stops it; a protected environment is not offered one")
    func existing() {
        var s = dashboard([row("production", .production), row("staging")])
        _ = update(&s, .refreshesLoaded(["staging": schedule("staging", from: "production")]))
        press(&s, .down, .down, .character("F"))
        guard case .refreshDialog(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.form.keepUsers == ["admin"] && dialog.form.at == "03:00" && dialog.form.weekday == "sun")
        #expect(screen(s).text.contains("Now: every sun at 03:00 from production"))
        press(&s, .down, .down, .down, .down, .down, .down, .down)  // Run now
        #expect(update(&s, .key(.enter)) == [.runRefresh("staging")])
        press(&s, .character("F"), .down, .down, .down, .down, .down, .down, .down, .down)  // Stop refreshing
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.removeRefreshSchedule(target: "staging"))])
        press(&s, .up)
        #expect(update(&s, .key(.character("F"))).isEmpty && s.overlay == .none)
        #expect(s.toast?.message.contains("production is protected") == true)
    }
}

@Suite("An environment's odoo.conf in the dashboard")
struct OdooConfigInDashboardTests {
    @Test("the Overview shows the tuning keys of its odoo.conf as they arrive")
    func configLine() {
        var s = dashboard([row("production", .production), row("staging")], width: 170, height: 30)
        press(&s, .down)
        #expect(!screen(s).text.contains("Config "), "nothing before it is read")
        _ = update(&s, .odooConfigLoaded(environment: "production", config(["workers": "4", "limit_time_real": "600"])))
        #expect(screen(s).text.contains("Config       workers 4 · limit_time_real 600 · /etc/odoo/odoo.conf · C to edit"))
    }

    @Test("C edits the tuning keys: only what changed is written, restart is asked for; emptying a key is refused")
    func edit() {
        var production = row("production", .production)
        production.odooConf = "/etc/odoo/odoo.conf"
        production.serviceStop = "systemctl stop odoo"
        production.serviceStart = "systemctl start odoo"
        var s = dashboard([production, row("staging")])
        press(&s, .down, .character("C"))
        #expect(s.overlay == .none && s.toast?.message.contains("still being read") == true)
        _ = update(&s, .odooConfigLoaded(environment: "production", config(["workers": "4", "limit_time_real": "600"])))
        press(&s, .character("C"))
        guard case .odooConfig = s.overlay else { Issue.record("no dialog"); return }
        press(&s, .control("u"))
        type(&s, "8")
        press(&s, .down, .down)
        type(&s, "prod_db")
        press(&s, .down, .character(" "), .down)  // restart
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.odooConfig(OdooConfigEdit(
            environment: "production", changes: [.init(key: "workers", value: "8"), .init(key: "db_name", value: "prod_db")], restart: true)))])
        press(&s, .character("C"), .down, .control("u"), .down, .down, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("limit_time_real cannot be emptied here"))
    }

    @Test("without a known odoo.conf, C says where to give its path")
    func unknown() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .down, .character("C"))
        #expect(s.overlay == .none && s.toast?.message == "staging has no odoo.conf known: give its path with E")
    }
}

@Suite("Editing an environment from the dashboard")
struct EditEnvironmentTests {
    @Test("E edits the URL, the service commands and the odoo.conf path in place; Enter from the last field saves exactly that")
    func edit() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .down, .character("E"), .down)
        guard case .editEnvironment = s.overlay else { Issue.record("no dialog"); return }
        press(&s, .control("u"))
        type(&s, "https://qa.acme.example")
        press(&s, .down, .down)
        type(&s, "systemctl stop odoo-qa")
        #expect(update(&s, .key(.enter)).isEmpty)  // on to the start command
        type(&s, "systemctl start odoo-qa")
        press(&s, .down)
        type(&s, "/etc/odoo/qa.conf")
        press(&s, .down)
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.settings(EnvironmentEditRequest(
            environment: "staging", type: .staging, url: "https://qa.acme.example", filestoreOwner: "", serviceStop: "systemctl stop odoo-qa",
            serviceStart: "systemctl start odoo-qa", odooConf: "/etc/odoo/qa.conf", protected: false, confirmation: nil)))])
    }

    @Test("making an environment production ticks its protection, as the CLI does")
    func typeProduction() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .down, .character("E"), .left)  // staging → production
        guard case .editEnvironment(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.type == .production && dialog.protected && !dialog.needsConfirmation)
        #expect(dialog.request.type == .production && dialog.request.protected)
    }

    @Test("removing production's protection or changing its type asks for its typed name first; one service command without the other is refused")
    func protection() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .character("E"), .down, .down, .down, .down, .down, .down, .character(" "))  // untick protected
        #expect(screen(s).text.contains("Type production to confirm"))
        press(&s, .down, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("type production to remove its protection"))
        type(&s, "production")
        let effects = update(&s, .key(.enter))
        guard case .editEnvironment(.settings(let request))? = effects.first else { Issue.record("nothing saved: \(effects)"); return }
        #expect(request.protected == false && request.confirmation == "production")
        press(&s, .character("E"), .right)  // production → staging, still protected
        #expect(screen(s).text.contains("Type production to confirm"))
        press(&s, .up, .down, .down, .down)
        type(&s, "systemctl stop odoo")
        press(&s, .down, .down, .down, .down)  // to the typed name
        type(&s, "production")
        press(&s, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("give both service commands, or neither"))
    }
}

@Suite("The backup policy in the dashboard")
struct PolicyInDashboardTests {
    @Test("the Overview shows the schedule, the tiers, the next run and the restore test's verdict; without one it says P sets it up")
    func policyLine() {
        var s = dashboard([row("production", .production), row("staging")], width: 200, height: 30)
        press(&s, .down)
        #expect(screen(s).text.contains("Policy       no scheduled backups · P sets them up"))
        // s.now is 13:46:40 UTC: 02:30 comes back in 12h43m.
        var policy = BackupPolicyRecord(environment: "production", at: "02:30", storage: "nas", restoreTestWeekday: 1)
        policy.lastRunAt = Date(timeIntervalSince1970: s.now - 3 * 3600)
        _ = update(&s, .policiesLoaded(["production": policy]))
        let text = screen(s).text
        #expect(text.contains("Policy       daily at 02:30 to nas · keep 7d 4w(sun) 12m 2y · next in 12h43m · last run 3h ago · restore test sun (not run yet)"), "\(text)")
    }

    @Test("P edits the policy: storage, tiers and restore test as the form says, the numbers checked by the engine")
    func edit() {
        var s = dashboard([row("production", .production), row("staging")])
        _ = update(&s, .storagesLoaded([StorageChoice(name: "nas", kind: "dir", isDefault: true), StorageChoice(name: "cloud", kind: "s3", isDefault: false)]))
        press(&s, .down, .character("P"))
        guard case .policyDialog = s.overlay else { Issue.record("no dialog"); return }
        press(&s, .control("u"))
        type(&s, "01:15")
        press(&s, .down, .down, .right, .right)  // past "once a day" to cloud
        press(&s, .down, .right)  // a second copy to nas
        press(&s, .down, .character(" "))  // database only
        press(&s, .down, .right)  // an Odoo ZIP each time
        press(&s, .down, .down, .control("u"))
        type(&s, "14")
        press(&s, .down, .down, .down, .down, .right)  // restore test on sunday
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.backupPolicy(BackupPolicyForm(
            environment: "production", at: "01:15", every: nil, hourly: "48", weeklyWeekday: "sun", daily: "14", weekly: "4", monthly: "12", yearly: "2",
            storage: "cloud", copyTo: "nas", includeFilestore: false, restoreTest: "sun", format: "odoo-zip")))])
    }

    @Test("a frequent schedule: Repeat every 6h asks how long the day's later backups are kept, and the Overview counts the next slot from the daily time")
    func frequent() {
        var s = dashboard([row("production", .production), row("staging")], width: 200, height: 30)
        press(&s, .down, .character("P"), .down)
        #expect(screen(s).text.contains("Repeat       ‹ once a day ›"))
        press(&s, .right, .right, .right, .right, .right)  // 1h 2h 3h 4h 6h
        var text = screen(s).text
        #expect(text.contains("‹ every 6h › from the daily time; the day's first is its daily") && text.contains("Keep others  48 hours"), "\(text)")
        press(&s, .down, .control("u"))
        type(&s, "36")
        guard case .policyDialog(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.form.every == "6h" && dialog.form.hourly == "36")
        press(&s, .escape)
        // s.now is 13:46:40 UTC: from 02:30 every 6h the slots are 02:30, 08:30, 14:30, 20:30.
        let policy = BackupPolicyRecord(environment: "production", at: "02:30", retention: RetentionPolicy(hourlyHours: 36), everyHours: 6)
        _ = update(&s, .policiesLoaded(["production": policy]))
        text = screen(s).text
        #expect(text.contains("Policy       every 6h from 02:30 · keep 36h 7d 4w(sun) 12m 2y · next in 43m"), "\(text)")
    }

    @Test("on an 80×24 terminal the dialog of an existing frequent schedule shows every line, down to Remove")
    func fitsSmallTerminal() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down)
        _ = update(&s, .policiesLoaded(["production": BackupPolicyRecord(environment: "production", at: "02:30", retention: RetentionPolicy(hourlyHours: 48),
                                                                         everyHours: 6, copyTo: "offsite")]))
        press(&s, .character("P"))
        let text = screen(s).text
        for line in ["Daily at", "Repeat", "Keep others", "Copy to", "Restore test", "[ Save ]", "Switch off", "Remove the schedule"] {
            #expect(text.contains(line), "\(line) is not on screen:\n\(text)")
        }
    }

    @Test("an existing schedule can be switched off, on again, or removed from P; a switched-off one says so on the Overview")
    func switchOffAndRemove() {
        var s = dashboard([row("production", .production), row("staging")], width: 200, height: 34)
        press(&s, .down)
        var policy = BackupPolicyRecord(environment: "production", at: "02:30")
        _ = update(&s, .policiesLoaded(["production": policy]))
        press(&s, .character("P"))
        #expect(screen(s).text.contains("Switch off (keep the schedule)") && screen(s).text.contains("Remove the schedule"))
        for _ in 0..<13 { press(&s, .down) }  // past Save to the first button under it
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.switchBackupPolicy(environment: "production", enabled: false))])
        policy.enabled = false
        _ = update(&s, .policiesLoaded(["production": policy]))
        #expect(screen(s).text.contains("Policy       daily at 02:30 · keep 7d 4w(sun) 12m 2y · SWITCHED OFF · P to switch it on"))
        press(&s, .character("P"))
        #expect(screen(s).text.contains("Switch on again"))
        for _ in 0..<20 { press(&s, .down) }
        #expect(update(&s, .key(.enter)) == [.editEnvironment(.removeBackupPolicy(environment: "production"))], "↓ held lands on the last button")
    }
}
