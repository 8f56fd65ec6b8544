import OcoreModel
@testable import OcoreTUI
import Testing

@Suite("Destroying an environment from the dashboard")
struct DestroyDialogTests {
    @Test("D asks for the typed name; only then does Enter ask the runtime to destroy it, with a backup first unless unticked")
    func typedName() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .down, .character("D"))
        guard case .destroyEnvironment = s.overlay else { Issue.record("no dialog"); return }
        #expect(screen(s).text.contains("Destroy staging"))
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("type staging to destroy it"))
        type(&s, "staging")
        #expect(update(&s, .key(.enter)) == [.destroyEnvironment(DestroyDialogRequest(environment: "staging", confirmation: "staging", backup: true,
                                                                                      productionConfirmed: false))])
        #expect(s.overlay == .none)
    }

    @Test("a protected environment also needs \"I am sure this is production\" ticked; Esc leaves everything as it was")
    func production() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .character("D"))
        type(&s, "production")
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("tick \"I am sure this is production\""))
        press(&s, .character(" "), .down)  // tick it, back to the name
        #expect(update(&s, .key(.enter)) == [.destroyEnvironment(DestroyDialogRequest(environment: "production", confirmation: "production", backup: true,
                                                                                      productionConfirmed: true))])
        press(&s, .character("D"), .escape)
        #expect(s.overlay == .none)
    }
}

@Suite("A scheduled refresh in the dashboard")
struct RefreshInDashboardTests {
    @Test("the Overview shows the environment's refresh schedule; F runs it now, and says how to set one up where there is none")
    func refreshLine() {
        var s = dashboard([row("production", .production), row("staging")], width: 100, height: 30)
        _ = update(&s, .refreshesLoaded(["staging": "every sun at 03:00 from production (recommended); last run never"]))
        press(&s, .down, .down)
        let text = screen(s).text
        #expect(text.contains("Refresh      every sun at 03:00 from production") && text.contains("last run never · F runs it now"), "\(text)")
        #expect(update(&s, .key(.character("F"))) == [.runRefresh("staging")])
        press(&s, .up)
        #expect(update(&s, .key(.character("F"))).isEmpty)
        #expect(s.toast?.message.contains("production has no refresh schedule") == true)
    }
}

@Suite("An environment's odoo.conf in the dashboard")
struct OdooConfigInDashboardTests {
    @Test("the Overview shows the tuning keys of its odoo.conf as they arrive")
    func configLine() {
        var s = dashboard([row("production", .production), row("staging")], width: 110, height: 30)
        press(&s, .down)
        #expect(!screen(s).text.contains("Config "), "nothing before it is read")
        _ = update(&s, .odooConfigLoaded(environment: "production", "workers 4 · limit_time_real 600 · /etc/odoo/odoo.conf"))
        #expect(screen(s).text.contains("Config       workers 4 · limit_time_real 600 · /etc/odoo/odoo.conf"))
    }
}

@Suite("Editing an environment from the dashboard")
struct EditEnvironmentTests {
    @Test("E edits the URL and the service commands in place; Enter from the last field saves exactly that")
    func edit() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .down, .character("E"))
        guard case .editEnvironment = s.overlay else { Issue.record("no dialog"); return }
        press(&s, .control("u"))
        type(&s, "https://qa.acme.example")
        press(&s, .down, .down)
        type(&s, "systemctl stop odoo-qa")
        #expect(update(&s, .key(.enter)).isEmpty)  // on to the start command
        type(&s, "systemctl start odoo-qa")
        press(&s, .down, .down)
        #expect(update(&s, .key(.enter)) == [.editEnvironment(EnvironmentEditRequest(environment: "staging", url: "https://qa.acme.example", filestoreOwner: "",
                                                                                     serviceStop: "systemctl stop odoo-qa", serviceStart: "systemctl start odoo-qa",
                                                                                     protected: false, confirmation: nil))])
    }

    @Test("removing production's protection asks for its typed name first; one service command without the other is refused")
    func protection() {
        var s = dashboard([row("production", .production), row("staging")])
        press(&s, .down, .character("E"), .down, .down, .down, .down, .character(" "))  // untick protected
        #expect(screen(s).text.contains("Type production to confirm"))
        press(&s, .down, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("type production to remove its protection"))
        type(&s, "production")
        let effects = update(&s, .key(.enter))
        guard case .editEnvironment(let request)? = effects.first else { Issue.record("nothing saved: \(effects)"); return }
        #expect(request.protected == false && request.confirmation == "production")
        press(&s, .character("E"), .down, .down)
        type(&s, "systemctl stop odoo")
        press(&s, .down, .down, .down)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("give both service commands, or neither"))
    }
}
