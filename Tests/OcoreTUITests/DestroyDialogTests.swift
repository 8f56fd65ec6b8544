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
