import OcoreModel
import Testing

@Suite("A copy's base URL: derived from its source's, never the source's")
struct BaseURLTests {
    @Test("the first label of the host becomes the copy's name; scheme and port stay, the path goes")
    func derived() {
        #expect(BaseURL.derived(from: "https://erp.acme.com", for: "staging-2") == "https://staging-2.acme.com")
        #expect(BaseURL.derived(from: "http://odoo.prod.example.org:8069/web", for: "QA_Team.1") == "http://qa-team-1.prod.example.org:8069")
        #expect(BaseURL.derived(from: "https://erp.acme.com", for: "ERP") == "https://erp-copy.acme.com", "never the source's own host")
    }

    @Test("an address or a single label has nothing to replace: a name under .invalid, which never resolves")
    func nothingToReplace() {
        #expect(BaseURL.derived(from: "http://10.0.0.5:8069", for: "stg") == "http://stg.invalid:8069")
        #expect(BaseURL.derived(from: "http://localhost", for: "stg") == "http://stg.invalid")
        #expect(BaseURL.derived(from: "not a url", for: "stg") == nil)
        #expect(BaseURL.host(of: "https://ERP.acme.com/web") == "erp.acme.com")
    }
}

@Suite("A base URL read from a database is outside input")
struct HostileBaseURLTests {
    @Test("a value that is not a plain web URL gives no derived URL (the copy then keeps none rather than a made-up one)")
    func hostile() {
        #expect(BaseURL.derived(from: "javascript://erp.acme.com/%0Aalert(1)", for: "stg") == nil)
        #expect(BaseURL.derived(from: "https://erp.acme.com\nX-Injected: 1", for: "stg") == nil)
        #expect(BaseURL.derived(from: "file:///etc/passwd", for: "stg") == nil)
        #expect(BaseURL.derived(from: "https://erp.acme.com'; DROP TABLE res_users; --", for: "stg") == nil)
        #expect(BaseURL.placeholder(for: "Stg 2") == "https://stg-2.invalid", "what such a copy gets instead")
    }
}
