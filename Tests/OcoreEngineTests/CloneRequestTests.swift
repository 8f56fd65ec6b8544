import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore
import Testing

@Suite("Clone request rules (the engine's, shared by the CLI and the wizard)")
struct CloneRequestTests {
    func refusal(_ r: CloneRequest, _ f: RequestFixture) -> String? {
        do { _ = try r.prepare(store: f.store); return nil } catch { return "\(error)" }
    }

    @Test("a replace needs the typed name and never of the source; preset none needs the risk; a kept identity only without sanitization")
    func rules() throws {
        let f = try RequestFixture()
        var r = CloneRequest(source: "production", target: .replace("staging"))
        #expect(refusal(r, f)?.contains("repeat its name with --confirm staging") == true)
        r.confirmation = "staging"
        let replace = try r.prepare(store: f.store)
        #expect(replace.parameters.replaceDatabase == f.source + "_stg" && replace.parameters.safetyBackupID != nil)
        #expect(refusal(CloneRequest(source: "production", target: .replace("production")).with { $0.confirmation = "production" }, f)
                == "an environment cannot replace itself")

        var n = CloneRequest(source: "production", target: .new(name: "stg2", type: .staging, server: nil))
        n.preset = SanitizationCatalog.Preset.none
        #expect(refusal(n, f)?.contains("add --i-understand-the-risk") == true)
        n.riskAccepted = true
        n.keepIdentity = true
        #expect(try n.prepare(store: f.store).parameters.keepIdentity == true)
        n.preset = .recommended
        #expect(refusal(n, f)?.contains("goes only with --preset none") == true)
    }

    @Test("the wizard's exact options are kept; the CLI's preset is resolved with enable and disable; fast copy only on one server, and it warns")
    func options() throws {
        let f = try RequestFixture()
        var r = CloneRequest(source: "production", target: .new(name: "stg3", type: .staging, server: nil))
        r.options = ["anonymize_emails"]
        #expect(try r.prepare(store: f.store).parameters.options == ["anonymize_emails"])
        r.options = nil
        r.disable = ["anonymize_emails"]
        let resolved = try r.prepare(store: f.store).parameters.options
        #expect(!resolved.contains("anonymize_emails") && resolved.contains("disable_mail_servers"))
        r.fastCopy = true
        let fast = try r.prepare(store: f.store)
        #expect(fast.parameters.fastCopy == true && fast.warnings.contains { $0.contains("disconnects every session") })
        r.domain = "stg3.acme.example/x"
        #expect(refusal(r, f)?.contains("must be a host name") == true)
    }
}

extension CloneRequest {
    func with(_ change: (inout CloneRequest) -> Void) -> CloneRequest {
        var copy = self
        change(&copy)
        return copy
    }
}
