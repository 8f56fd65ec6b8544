import Foundation
import OcoreModel
@testable import OcoreTUI
import Testing

@Suite("The clone wizard and the progress modal")
struct CloneWizardTests {
    let rows = [row("production", .production), row("staging")]

    func wizard() -> DashboardState {
        var s = dashboard(rows, width: 100, height: 36)
        press(&s, .down)
        #expect(update(&s, .key(.character("c"))) == [.loadImpacts(source: "production"), .loadCloneHistory("erp1"), .loadServerFacts("erp1")])
        return s
    }

    var wizardState: (DashboardState) -> CloneWizardState? { { if case .cloneWizard(let w) = $0.overlay { w } else { nil } } }

    @Test("c opens the Target tab with a suggested name; the type and server are chosen with Space")
    func target() throws {
        var s = wizard()
        let text = screen(s).text
        #expect(text.contains("Clone production (production)"))
        #expect(text.contains("Name    production-clone-19700112"))
        #expect(text.contains("(•) staging") && text.contains("(•) erp1"))
        press(&s, .down, .down, .down, .character(" "))
        #expect(wizardState(s)?.type == .development)
        press(&s, .up, .up, .up, .end, .character("-"), .character("x"))
        #expect(wizardState(s)?.name.text == "production-clone-19700112-x", "letters are text while the name is focused")
    }

    /// production's golden copy on erp1, made `hoursAgo` before the dashboard's clock.
    static func golden(now: Double, hoursAgo: Double = 2, server: String = "erp1") -> GoldenCopy {
        GoldenCopy(source: "production", server: server, database: "golden_db_production", filestore: "/var/lib/odoo/filestore/golden_db_production",
                   preset: .recommended, options: SanitizationCatalog.keys(for: .recommended), verdict: "NEUTRALIZED",
                   dataAsOf: Date(timeIntervalSince1970: now - hoursAgo * 3600), jobID: 4, databaseSize: 1_400_000_000, filestoreSize: 1_100_000_000,
                   moduleVersions: ["base": "17.0.1.3"])
    }

    @Test("a fresh golden copy on the target server is offered and ticked: the clone copies it with its sanitization; unticked, or on a server without one, the wizard's own choices go")
    func fromGolden() throws {
        var s = dashboard(rows, width: 100, height: 36)
        _ = update(&s, .goldenCopiesLoaded(["production": [Self.golden(now: s.now)]]))
        press(&s, .down, .character("c"))
        var text = screen(s).text
        #expect(text.contains("[x] Golden copy: production as of 11:46, sanitized with Recommended (NEUTRALIZED)"))
        press(&s, .tab, .tab, .tab)
        text = screen(s).text
        #expect(text.contains("Sanitization recommended · the golden copy's (NEUTRALIZED), production as of 11:46") && text.contains("Estimate     seconds"))
        var effects = update(&s, .key(.character(" ")))
        guard case .startClone(let fromGolden)? = effects.first else { Issue.record("no clone started: \(effects)"); return }
        #expect(fromGolden.fromGolden && fromGolden.preset == .recommended && fromGolden.options == SanitizationCatalog.keys(for: .recommended))

        // Unticked: the Sanitization tab's own choices.
        press(&s, .character("c"))
        let line = try #require(wizardState(s)?.fields.firstIndex(of: .fromGolden))
        for _ in 0..<line { press(&s, .down) }
        press(&s, .character(" "), .tab)
        #expect(!screen(s).text.contains("its sanitization applies"))
        press(&s, .tab, .tab)
        effects = update(&s, .key(.character(" ")))
        guard case .startClone(let own)? = effects.first else { Issue.record("no clone started: \(effects)"); return }
        #expect(!own.fromGolden)

        // A copy a day old is offered, not ticked; one on another server is not offered here.
        var old = dashboard(rows, width: 100, height: 36)
        _ = update(&old, .goldenCopiesLoaded(["production": [Self.golden(now: old.now, hoursAgo: 30), Self.golden(now: old.now, server: "erp9")]]))
        press(&old, .down, .character("c"))
        text = screen(old).text
        #expect(text.contains("[ ] Golden copy: production as of 1970-01-11 07:46") && wizardState(old)?.request.fromGolden == false)
    }

    @Test("the Overview names each golden copy of the environment: its data's age, sanitization, server and size; a day old it is stale")
    func overviewLine() {
        var s = dashboard(rows, width: 140, height: 36)
        _ = update(&s, .goldenCopiesLoaded(["production": [Self.golden(now: s.now), Self.golden(now: s.now, hoursAgo: 30, server: "erp9")]]))
        press(&s, .down)
        let text = screen(s).text
        #expect(text.contains("Golden copy  production as of 11:46, sanitized with Recommended (NEUTRALIZED) · on erp1") && text.contains("1.3 GiB + 1.0 GiB files"),
                "\(text)")
        #expect(text.contains("on erp9") && text.contains("stale: refresh it"))
    }

    @Test("replace mode: pick the environment, type its name, tick that it is destructive; only then does Start replace it")
    func replaceMode() throws {
        var s = wizard()
        for _ in 0..<12 { press(&s, .down) }  // the last line: replace instead
        press(&s, .character(" "))
        var text = screen(s).text
        #expect(wizardState(s)?.replace == true && text.contains("Replace an existing environment") && text.contains("staging"))
        press(&s, .character(" "))  // choose staging
        #expect(screen(s).text.contains("Replacing staging destroys its database and filestore"))
        press(&s, .tab, .tab, .tab, .character(" "))  // to Review, Start without confirming
        #expect(screen(s).text.contains("type staging to confirm replacing it"))
        #expect(wizardState(s) != nil, "the wizard stays open")
        press(&s, .tab, .down)  // back to Target, the name field
        type(&s, "staging")
        press(&s, .down, .character(" "))  // I understand this is destructive
        press(&s, .tab, .tab, .tab)
        text = screen(s).text
        #expect(text.contains("Target       REPLACE staging (staging) on erp1") && text.contains("✓ ready"))
        let effects = update(&s, .key(.character(" ")))
        guard case .startClone(let request)? = effects.first else { Issue.record("no clone started: \(effects)"); return }
        #expect(request.replace && request.target == "staging" && request.targetType == .staging)
    }

    @Test("Options and Review show sizes, the estimate (typical speeds, then this server's history) and the disk check")
    func estimateAndDisk() throws {
        var s = wizard()
        var status = EnvironmentStatus(reachability: .reachable)
        status.databaseSize = 1_000_000_000
        status.filestoreSize = 2_000_000_000
        _ = update(&s, .statusUpdated(environment: "production", status))
        guard case .cloneWizard(var w) = s.overlay else { Issue.record("no wizard"); return }
        w.statuses["production"] = status
        s.overlay = .cloneWizard(w)
        press(&s, .tab, .tab)  // Options
        var text = screen(s).text
        let lines = text.split(separator: "\n").filter { $0.contains("Include") || $0.contains("Estimated") }.joined(separator: " | ")
        #expect(text.contains("Include filestore (1.9 GiB, ~1m40s more; hard links on the same server)"), "\(lines)")
        // 30 s + 1 GB at 10 MB/s + 2 GB at 20 MB/s + 30 s for Recommended.
        #expect(text.contains("Estimated ~4m20s (an estimate from typical speeds)"), "\(lines)")
        _ = update(&s, .cloneHistoryLoaded(server: "erp1", CloneHistory(bytesPerSecond: 100_000_000, sanitizationSeconds: ["recommended": 15], samples: 3)))
        #expect(screen(s).text.contains("Estimated ~50s (3 past clones on this server)"), "\(screen(s).text.split(separator: "\n").filter { $0.contains("Estimated") })")
        press(&s, .tab)  // Review
        #expect(screen(s).text.contains("Disk         checking erp1…"))
        _ = update(&s, .serverFactsLoaded(server: "erp1", ServerFacts(freeBytes: 500_000_000, postgresVersion: "15")))
        text = screen(s).text
        #expect(text.contains("Disk         ✗ 476 MiB free on erp1, needs ~1.1 GiB"), "\(text.split(separator: "\n").filter { $0.contains("Disk") })")
    }

    @Test("Options: compression only where data crosses a network; parallel transfer cycles auto, 1, 2, 4, 8; Review and the request carry both")
    func transferOptions() throws {
        var s = dashboard([row("production", .production), row("dev", .development, server: "erp2")], width: 110, height: 36)
        press(&s, .down)
        _ = update(&s, .key(.character("c")))
        press(&s, .tab, .tab)  // Options
        #expect(screen(s).text.contains("Compression: not needed on one server"))
        press(&s, .down, .character(" "))
        #expect(screen(s).text.contains("nothing crosses a network on one server") && wizardState(s)?.compress == false)
        press(&s, .down, .character(" "), .character(" "))
        #expect(screen(s).text.contains("Parallel transfer: 2 job(s)") && wizardState(s)?.jobs == 2)
        press(&s, .backTab, .backTab)  // Target: name, 3 types, servers erp1 and erp2
        for _ in 0..<5 { press(&s, .down) }
        press(&s, .character(" "))
        #expect(wizardState(s)?.server == "erp2")
        press(&s, .tab, .tab, .down, .character(" "))
        #expect(wizardState(s)?.compress == true && screen(s).text.contains("Compress in transit (pg_dump -Z1, gzip'd filestore)"))
        press(&s, .tab)  // Review
        #expect(screen(s).text.contains("2 parallel job(s) · compressed in transit"))
        let effects = update(&s, .key(.character(" ")))
        guard case .startClone(let request)? = effects.first else { Issue.record("no clone started: \(effects)"); return }
        #expect(request.jobs == 2 && request.compress && request.targetServer == "erp2")
    }

    @Test("Sanitization: presets with badges, options with live counts, a total; None needs the risk box")
    func sanitization() throws {
        var s = wizard()
        press(&s, .tab)
        #expect(screen(s).text.contains("counting…"))
        _ = update(&s, .impactsLoaded(source: "production", ["anonymize_emails": 1200, "disable_mail_servers": 2, "clear_oauth_providers": nil]))
        let text = screen(s).text
        #expect(text.contains("(•) Recommended  — Best for staging"))
        #expect(text.contains("[x] Anonymize customer emails") && text.contains("1200 customer email(s) will be anonymized"))
        #expect(text.contains("not applicable"))
        #expect(text.contains("Affects approximately 1202 records"))
        press(&s, .down, .character(" "))  // Minimal
        #expect(wizardState(s)?.enabled == Set(SanitizationCatalog.keys(for: .minimal)))
        press(&s, .down, .down, .character(" "))  // None
        #expect(wizardState(s)?.fields.contains(.risk) == true)
        press(&s, .tab, .tab)  // Review
        #expect(screen(s).text.contains("tick \"I understand the risk\""))
        press(&s, .enter)
        #expect(wizardState(s)?.error?.contains("I understand the risk") == true, "Start is refused until the risk is accepted")
    }

    static let coverage = CoverageReport(columns: [
        CoveredColumn(table: "x_shop_connector", column: "api_token", class: .secretLike, reason: "named like a credential", treatment: .clear,
                      option: "clear_detected_secrets"),
        CoveredColumn(table: "x_crm_extra", column: "notes", class: .personal, reason: "holds customers' e-mail addresses", treatment: .email,
                      option: "anonymize_emails"),
        CoveredColumn(table: "x_delivery", column: "street", class: .personal, reason: "named like an address", treatment: nil),
        CoveredColumn(table: "res_partner", column: "email", class: .sanitized, reason: "anonymize_emails", option: "anonymize_emails"),
        CoveredColumn(table: "mail_message", column: "message_type", class: .knownSafe, reason: "selection keys"),
    ], nonTextColumns: 40, scanMs: 120)

    @Test("Sanitization shows the coverage; the columns left as they are follow the ticks; Strict refuses Start while one is left")
    func coverageAndStrict() throws {
        var s = wizard()
        press(&s, .tab)
        _ = update(&s, .sanitizationCounted(source: "production", SanitizationCounts(impacts: ["anonymize_emails": 1200], coverage: Self.coverage)))
        var text = screen(s).text
        #expect(text.contains("Coverage: 5 text columns: 1 known safe, 1 sanitized"))
        #expect(text.contains("Left as they are: x_delivery.street"))
        #expect(wizardState(s)?.leftAsIs.map(\.name) == ["x_delivery.street"])
        // Unticking the e-mails leaves the connector's notes as they are too.
        let fields = try #require(wizardState(s)?.fields)
        let emails = try #require(fields.firstIndex(of: .option("anonymize_emails")))
        for _ in 0..<emails { press(&s, .down) }
        press(&s, .character(" "))
        #expect(wizardState(s)?.leftAsIs.map(\.name) == ["x_crm_extra.notes", "x_delivery.street"])
        press(&s, .character(" "))
        // Strict is under the presets.
        for _ in 0..<(emails - 4) { press(&s, .up) }
        #expect(wizardState(s)?.focusedField == .strict)
        press(&s, .character(" "))
        text = screen(s).text
        #expect(text.contains("[x] Strict: refuse while personal data or secrets would be left as they are"))
        press(&s, .tab, .tab)  // Review
        #expect(screen(s).text.contains("strict: x_delivery.street would be copied as it is"))
        press(&s, .enter)
        #expect(wizardState(s)?.error?.contains("x_delivery.street") == true, "Start is refused while a column is left as it is")
        // Once nothing is left, Start asks for a strict clone.
        var w = try #require(wizardState(s))
        w.coverage?.columns.removeAll { $0.column == "street" }
        s.overlay = .cloneWizard(w)
        let effects = update(&s, .key(.enter))
        guard case .startClone(let request)? = effects.first else { Issue.record("no clone started: \(effects)"); return }
        #expect(request.strict)
    }

    @Test("a sanitization.toml rule that cannot hold on the source is shown and blocks Start")
    func ruleProblemBlocksStart() throws {
        var s = wizard()
        _ = update(&s, .sanitizationCounted(source: "production", SanitizationCounts(impacts: [:], coverage: Self.coverage,
                                                                                      ruleProblems: ["x_bank.iban: no such column in the source's database"])))
        press(&s, .tab)
        #expect(screen(s).text.contains("sanitization.toml refused: x_bank.iban: no such column"))
        press(&s, .tab, .tab, .enter)
        #expect(wizardState(s)?.error?.contains("sanitization.toml: x_bank.iban") == true)
    }

    @Test("asset bundles cannot be unticked; Review summarises and Start asks the runtime to clone")
    func review() throws {
        var s = wizard()
        press(&s, .tab)
        for _ in 0..<(4 + 1 + 17) { press(&s, .down) }  // the clear_asset_bundles line (after the presets and Strict)
        press(&s, .character(" "))
        #expect(wizardState(s)?.enabled.contains("clear_asset_bundles") == true)
        #expect(wizardState(s)?.error?.contains("always cleared") == true)
        press(&s, .tab, .tab)
        let text = screen(s).text
        #expect(text.contains("Target       production-clone-19700112 (staging) on erp1"))
        #expect(text.contains("✓ ready"))
        let effects = update(&s, .key(.enter))
        guard case .startClone(let request)? = effects.first else { Issue.record("no start: \(effects)"); return }
        #expect(request.source == "production" && request.preset == .recommended && request.options.count == 13)
        #expect(s.overlay == .none)
    }

    @Test("a name that exists is refused at Review")
    func duplicateName() {
        var s = wizard()
        press(&s, .control("u"))
        for c in "staging" { press(&s, .character(c)) }
        press(&s, .backTab)
        #expect(screen(s).text.contains("an environment named staging already exists"))
    }

    @Test("the progress modal: bar, steps with marks, log, cancel with confirmation, minimize")
    func progress() {
        var s = dashboard(rows, width: 100, height: 36)
        #expect(update(&s, .jobStarted(9)) == [.loadJobProgress(9)])
        let steps = ["Pre-checks", "Validating source", "Creating target", "Copying addons"].enumerated().map {
            JobStepRecord(jobID: 9, position: $0.offset, name: "s\($0.offset)", title: $0.element, weightStart: 0, weightEnd: 1,
                          status: $0.offset < 2 ? .completed : $0.offset == 2 ? .running : .pending, message: $0.offset == 2 ? "12 MiB streamed" : nil)
        }
        var job = JobRecord(id: 9, kind: "clone", environment: "stg", server: "erp1", lockedEnvironments: [], parameters: "{}", status: .running,
                            createdBy: "ops", createdFrom: nil, createdAt: "", progress: 8)
        _ = update(&s, .jobProgressLoaded(job, steps, [JobLogLine(id: 1, at: "2026-11-22T10:00:00Z", level: .info, message: "created database stg")]))
        var text = screen(s).text
        #expect(text.contains("clone #9 · running") && text.contains("8%"))
        #expect(text.contains("✓ Pre-checks") && text.contains("· Copying addons") && text.contains("12 MiB streamed"))
        #expect(text.contains("created database stg"))
        press(&s, .character("x"))
        #expect(screen(s).text.contains("Cancel job 9?"))
        #expect(update(&s, .key(.character("y"))) == [.cancelJob(9)])
        job.status = .failed
        job.errorMessage = "pg_restore failed: exit status 1"
        job.errorStep = "restoring_database"
        _ = update(&s, .jobProgressLoaded(job, steps, []))
        text = screen(s).text
        #expect(text.contains("clone #9 · failed") && text.contains("✗ restoring_database: pg_restore failed"))
        #expect(update(&s, .key(.character("x"))).isEmpty && !screen(s).text.contains("Cancel job 9?"), "an ended job cannot be cancelled")
        press(&s, .character("R"))
        #expect(screen(s).text.contains("Retry job 9?"))
        #expect(update(&s, .key(.character("n"))).isEmpty)
        press(&s, .character("R"))
        #expect(update(&s, .key(.character("y"))) == [.retryJob(9)])
        press(&s, .character("m"))
        #expect(s.overlay == .none && s.toast == nil, "closing an ended job's modal does not say it keeps running")
    }

    @Test("a finished job's modal shows its outcome: the proof verdict, what verification found, and each sanitization option")
    func outcome() {
        var s = dashboard(rows, width: 100, height: 36)
        _ = update(&s, .jobStarted(9))
        let steps = [JobStepRecord(jobID: 9, position: 0, name: "verify", title: "Verify", weightStart: 0, weightEnd: 1, status: .completed)]
        let job = JobRecord(id: 9, kind: "restore", environment: "stg", server: "erp1", lockedEnvironments: [], parameters: "{}", status: .completed,
                            createdBy: "ops", createdFrom: nil, createdAt: "", progress: 100)
        _ = update(&s, .jobProgressLoaded(job, steps, []))
        _ = update(&s, .jobResultLoaded(9, """
            {"proof": {"verdict": "PARTIAL", "findings": [{"location": "mail_message.body", "count": 3, "detail": ""}]},
             "verification": {"key_tables": "present", "users": "15", "modules": "13", "attachments": "150", "missing_files": "0", "http": "HTTP 200 from /web/health"},
             "sanitization_result": [{"option_key": "anonymize_emails", "status": "applied", "affected_rows": 2000, "duration_ms": 40},
                                     {"option_key": "disable_oauth", "status": "skipped", "reason": "no auth_oauth_provider table", "duration_ms": 0}]}
            """))
        let text = screen(s).text
        #expect(text.contains("Proof: PARTIAL · mail_message.body 3"))
        #expect(text.contains("Verified: tables present · 15 users · 13 modules · 150 files, 0 missing · HTTP 200"))
        #expect(text.contains("✓ anonymize_emails 2000 rows") && text.contains("– disable_oauth  (no auth_oauth_provider table)"))
    }

    @Test("a clone's summary shows the active users its verification counted")
    func cloneActiveUsers() {
        var s = dashboard(rows, width: 100, height: 36)
        _ = update(&s, .jobStarted(4))
        let job = JobRecord(id: 4, kind: "clone", environment: "stg", server: "erp1", lockedEnvironments: [], parameters: "{}", status: .completed,
                            createdBy: "ops", createdFrom: nil, createdAt: "", progress: 100)
        _ = update(&s, .jobProgressLoaded(job, [], []))
        _ = update(&s, .jobResultLoaded(4, #"{"verification": {"key_tables": "present", "active_users": "12"}, "sanitization_result": []}"#))
        #expect(screen(s).text.contains("Verified: tables present · 12 active users"))
    }
}
