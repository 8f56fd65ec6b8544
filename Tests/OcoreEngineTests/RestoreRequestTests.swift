import Foundation
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore
import OcoreTestSupport
import Testing

/// A state home with an Odoo-shaped production (the demo's small dataset) and one backup of it.
struct RequestFixture {
    let ocore = OcoreBinary()
    let source = "rq_\(UUID().uuidString.prefix(8).lowercased())"
    let store: SQLiteStateStore
    let backupID: String

    init() throws {
        let dataDir = ocore.home + "/odoo-data"
        try DemoDatabase(server: TestPostgres.psql(), name: source, scale: .small, seed: 5, filestore: dataDir + "/filestore/" + source,
                         baseURL: "https://erp.acme.example").create()
        let pg = TestPostgres.cluster
        _ = try ocore.ok(["server", "add", "local", "--local", "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--pg-user", pg.superuser,
                          "--data-dir", dataDir])
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", source])
        _ = try ocore.ok(["env", "add", "staging", "--project", "acme", "--type", "staging", "--server", "local", "--db", source + "_stg"])
        _ = try ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("rq-backups"), "--default"])
        let out = try ocore.ok(["backup", "create", "production", "--no-filestore"])
        backupID = String(try #require(out.split(separator: " ").dropFirst().first))
        store = try SQLiteStateStore(home: StateHome(path: ocore.home))
    }

    func refusal(_ request: RestoreRequest) -> RestoreRequest.Refusal? {
        do { _ = try request.prepare(store: store); return nil } catch let r as RestoreRequest.Refusal { return r } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

@Suite("Restore request rules (the engine's, shared by the CLI and the dashboard)")
struct RestoreRequestTests {
    @Test("a protected target needs its name typed; another name is refused; the right one passes")
    func protectedTarget() throws {
        let f = try RequestFixture()
        var r = RestoreRequest(backupID: f.backupID, target: .backupEnvironment)
        #expect(f.refusal(r) == .invalid("production is protected (production): restoring overwrites it; repeat its name with --confirm production"))
        r.confirmation = "prod"
        #expect(f.refusal(r)?.description.contains("repeat its name with --confirm production") == true)
        r.confirmation = "production"
        let prepared = try r.prepare(store: f.store)
        #expect(prepared.mode == .original && prepared.parameters.safetyBackup && prepared.preset == .none)
    }

    @Test("production data into staging is sanitized by default; preset none needs the risk acknowledged")
    func sanitization() throws {
        let f = try RequestFixture()
        var r = RestoreRequest(backupID: f.backupID, target: .new(name: "stg2", type: .staging, server: nil, url: nil))
        #expect(try r.prepare(store: f.store).preset == .recommended)
        r.preset = SanitizationCatalog.Preset.none
        #expect(f.refusal(r)?.description.contains("--preset none needs --i-understand-the-risk") == true)
        r.riskAccepted = true
        #expect(try r.prepare(store: f.store).preset == SanitizationCatalog.Preset.none)
        r.target = .new(name: "staging", type: .staging, server: nil, url: nil)
        #expect(throws: StoreError.duplicate(kind: "environment", name: "staging")) { try r.prepare(store: f.store) }
        r.target = .new(name: "stg3", type: .staging, server: nil, url: "https://stg 3")
        #expect(throws: ModelError.self) { try r.prepare(store: f.store) }
    }

    @Test("a backup of another Odoo version is a question, not a refusal: accepted, the same request passes")
    func versionQuestion() throws {
        let f = try RequestFixture()
        var backup = try f.store.backup(f.backupID)
        let current = try #require(backup.odooVersion)
        backup.odooVersion = "16.0"
        try f.store.updateBackup(backup)
        var r = RestoreRequest(backupID: f.backupID, target: .backupEnvironment)
        r.confirmation = "production"
        #expect(f.refusal(r) == .needsConfirmation("the backup is Odoo 16.0 and production runs Odoo \(current)"))
        r.acceptsVersionMismatch = true
        #expect(f.refusal(r) == nil)
    }
}
