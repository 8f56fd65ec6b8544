import Foundation
@testable import OcoreModel
@testable import OcoreTUI
import Testing

func backup(_ id: String, env: String, daysAgo: Double, now: Double, tier: RetentionTier = .daily, status: BackupStatus = .completed,
            verified: Bool = true, pinned: Bool = false) -> BackupRecord {
    let created = Date(timeIntervalSince1970: now - daysAgo * 86_400)
    return BackupRecord(id: id, environment: env, project: "acme", storage: "nas", key: "backups/acme/\(env)/\(id).zip", type: .manual, status: status,
                        includeFilestore: true, createdAt: created, size: 1_572_864, sha256: "ab", tier: tier,
                        expiresAt: created.addingTimeInterval(7 * 86_400), pinned: pinned, verifiedAt: verified ? created : nil, databaseName: "db_\(env)")
}

@Suite("Backups in the dashboard")
struct BackupViewTests {
    @Test("the Backups tab lists status, verified mark, size, tier badge and expiry; Overview shows the last backup's age")
    func backupsTab() {
        var s = dashboard([row("staging")])
        press(&s, .down, .character("2"))
        let now = s.now
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [
            backup("b3", env: "staging", daysAgo: 0.5, now: now, status: .partial, verified: true),
            backup("b2", env: "staging", daysAgo: 1, now: now, tier: .monthly),
            backup("b1", env: "staging", daysAgo: 3, now: now, tier: .yearly, pinned: true),
        ]))
        let text = screen(s, theme: .builtInDefault).text
        #expect(text.contains("CREATED") && text.contains("STATUS") && text.contains("EXPIRES"))
        #expect(text.contains("partial") && text.contains("completed"))
        #expect(text.contains("1.5 MiB"))
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.contains("completed") && $0.contains(" M ") })
        #expect(lines.contains { $0.contains("completed") && $0.contains(" P ") && $0.contains("never") })
        #expect(!text.contains("ALSO ON"), "no column for copies no backup has")
        // A backup with a verified second copy says where else it lies (in a terminal wide enough).
        var wide = dashboard([row("staging")], width: 120)
        press(&wide, .down, .character("2"))
        _ = update(&wide, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [
            backup("b3", env: "staging", daysAgo: 0.5, now: now, status: .partial, verified: true),
            backup("b2", env: "staging", daysAgo: 1, now: now, tier: .monthly),
        ]))
        _ = update(&wide, .backupCopiesLoaded(environment: "staging", ["b2": ["offsite"]]))
        let copied = screen(wide, theme: .builtInDefault).text.split(separator: "\n")
        #expect(copied.contains { $0.contains("ALSO ON") })
        #expect(copied.contains { $0.contains(" M ") && $0.contains("+offsite") } && !copied.contains { $0.contains("partial") && $0.contains("+offsite") })
        // Incremental backups say what each one added to its storage beside what it holds.
        var incremental = dashboard([row("staging")], width: 120)
        press(&incremental, .down, .character("2"))
        var small = backup("b5", env: "staging", daysAgo: 0.2, now: now)
        small.format = .incremental
        small.size = 40 << 30
        small.addedBytes = 3 << 20
        _ = update(&incremental, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [small, backup("b4", env: "staging", daysAgo: 1, now: now)]))
        let lines2 = screen(incremental, theme: .builtInDefault).text.split(separator: "\n")
        #expect(lines2.contains { $0.contains("SIZE") && $0.contains("ADDED") })
        #expect(lines2.contains { $0.contains("40.0 GiB") && $0.contains("3.0 MiB") }, "\(lines2.joined(separator: "\n"))")
        press(&s, .character("1"))
        // The newest restorable backup is partial: shown, and not as a green success.
        #expect(screen(s).text.contains("Last backup  12h ago · PARTIAL · b3"))
    }

    @Test("b opens the backup dialog with the default storage chosen; Enter on Create asks the runtime to start exactly that backup")
    func dialog() {
        var s = dashboard([row("production", .production)])
        _ = update(&s, .storagesLoaded([StorageChoice(name: "nas", kind: "dir", isDefault: false), StorageChoice(name: "cloud", kind: "s3", isDefault: true)]))
        press(&s, .down, .character("b"))
        guard case .backupDialog(let d) = s.overlay else { Issue.record("no dialog"); return }
        #expect(d.storages[d.storage].name == "cloud")
        #expect(screen(s).text.contains("cloud (s3) [default]"))
        press(&s, .down, .down, .down, .character(" "), .down, .left, .down, .right, .right, .right)  // filestore off, incremental, retention monthly
        #expect(screen(s).text.contains("monthly · 12 months"))
        press(&s, .down)
        let effects = update(&s, .key(.enter))
        #expect(effects == [.startBackup(BackupDialogRequest(environment: "production", storage: "cloud", type: .manual, includeFilestore: false, tier: .monthly, format: .incremental))])
        #expect(s.overlay == .none)
    }

    @Test("the Sanitized choice (a preset) leaves the filestore out and makes an Odoo ZIP; Create asks for a sanitized backup with that preset; the Backups tab marks sanitized ones, and their restore offers no second sanitization")
    func sanitizedBackup() throws {
        var s = dashboard([row("production", .production), row("staging")])
        _ = update(&s, .storagesLoaded([StorageChoice(name: "nas", kind: "dir", isDefault: true)]))
        press(&s, .down, .character("b"))
        press(&s, .down, .down, .down, .down, .left)  // the format: incremental
        press(&s, .up, .up, .character(" "))  // Sanitized on
        guard case .backupDialog(let d) = s.overlay else { Issue.record("no dialog"); return }
        #expect(d.sanitized == .recommended && !d.includeFilestore && PolicyDialogState.formats[d.format] == .odooZip)
        #expect(screen(s).text.contains("‹ Recommended: a copy to hand out, sanitized as written ›"), "\(screen(s).text)")
        press(&s, .right)  // Full
        #expect(screen(s).text.contains("‹ Full: a copy to hand out, sanitized as written ›"))
        press(&s, .down, .down, .down, .down)
        #expect(update(&s, .key(.enter)) == [.startBackup(BackupDialogRequest(environment: "production", storage: "nas", type: .manual, includeFilestore: false, tier: nil,
                                                                             format: .odooZip, sanitized: .full))])

        var list = dashboard([row("production", .production)], width: 120)
        let now = list.now
        press(&list, .down, .character("2"))
        var handout = backup("b7", env: "production", daysAgo: 0.1, now: now)
        handout.sanitized = "NEUTRALIZED"
        _ = update(&list, .environmentDetailsLoaded(environment: "production", jobs: [], log: [], backups: [handout, backup("b6", env: "production", daysAgo: 1, now: now)]))
        let lines = screen(list, theme: .builtInDefault).text.split(separator: "\n")
        #expect(lines.contains { $0.contains("DATA") } && lines.filter { $0.contains("sanitized") }.count == 1, "\(lines.joined(separator: "\n"))")
        var dialog = RestoreDialogState(backup: handout, target: row("production", .production), environments: [row("production", .production), row("staging")])
        dialog.mode = .other
        #expect(dialog.existingTarget?.name == "staging" && !dialog.sanitizes, "its data already is sanitized")
        list.overlay = .restoreDialog(dialog)
        #expect(screen(list).text.contains("Sanitized when it was written (NEUTRALIZED): restored as it is"), "\(screen(list).text)")
        var plain = RestoreDialogState(backup: backup("b6", env: "production", daysAgo: 1, now: now), target: row("production", .production),
                                       environments: [row("production", .production), row("staging")])
        plain.mode = .other
        #expect(plain.sanitizes)
    }

    @Test("a plain-FTP storage is marked less secure where it is chosen")
    func plainFTPMarked() {
        var s = dashboard([row("production", .production)])
        _ = update(&s, .storagesLoaded([StorageChoice(name: "oldftp", kind: "ftp", isDefault: true, lessSecure: true),
                                        StorageChoice(name: "tls", kind: "ftps", isDefault: false)]))
        press(&s, .down, .character("b"))
        #expect(screen(s).text.contains("oldftp (ftp, less secure) [default]"))
        press(&s, .right)
        #expect(screen(s).text.contains("tls (ftps)") && !screen(s).text.contains("less secure"))
    }

    @Test("without a storage target, b explains how to add one instead of opening an empty dialog")
    func noStorage() {
        var s = dashboard([row("staging")])
        press(&s, .down, .character("b"))
        #expect(s.overlay == .none)
        #expect(screen(s).text.contains("no storage target"))
    }
}

@Suite("Restoring from the dashboard")
struct RestoreDialogTests {
    @Test("R on a backup warns what will be lost; a protected environment's restore starts only once its name is typed")
    func protectedNeedsName() {
        var s = dashboard([row("production", .production)])
        press(&s, .down, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "production", jobs: [], log: [], backups: [backup("b1", env: "production", daysAgo: 1, now: s.now)]))
        press(&s, .character("R"))
        let text = screen(s).text
        #expect(text.contains("Restore into production") && text.contains("All changes to production since"))
        #expect(text.contains("Type production to confirm"))
        press(&s, .tab, .tab, .tab)  // to Restore, name not typed
        #expect(update(&s, .key(.enter)).isEmpty)
        #expect(screen(s).text.contains("type production to confirm"))
        type(&s, "production")
        press(&s, .backTab, .character(" "), .tab)  // filestore off, back to the name
        let effects = update(&s, .key(.enter))
        #expect(effects == [.startRestore(RestoreDialogRequest(backupID: "b1", target: "production", safetyBackup: true, includeFilestore: false,
                                                               confirmation: "production"))])
    }

    @Test("a backup with a verified second copy can be restored from it: From steps from where it was made to the copy, and the request says which")
    func fromSecondCopy() {
        var s = dashboard([row("staging")], width: 100, height: 30)
        press(&s, .down, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [backup("b1", env: "staging", daysAgo: 1, now: s.now)]))
        _ = update(&s, .backupCopiesLoaded(environment: "staging", ["b1": ["offsite"]]))
        press(&s, .character("R"))
        #expect(screen(s).text.contains("where it was made"))
        press(&s, .up, .right)  // from the safety switch up to From, then to the copy
        #expect(screen(s).text.contains("‹ offsite ›  its verified second copy"))
        guard case .restoreDialog(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.request.fromStorage == "offsite")
        var plain = dashboard([row("staging")], width: 100, height: 30)
        press(&plain, .down, .character("2"))
        _ = update(&plain, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [backup("b1", env: "staging", daysAgo: 1, now: plain.now)]))
        press(&plain, .character("R"))
        #expect(!screen(plain).text.contains("where it was made"), "no From line without a copy")
    }

    @Test("the dialog shows the backup's Odoo version; when the engine asks about another version, y sends the same request with the answer, Esc sends nothing")
    func versionQuestion() {
        var s = dashboard([row("staging")])
        press(&s, .down, .character("2"))
        var b = backup("b1", env: "staging", daysAgo: 1, now: s.now)
        b.odooVersion = "16.0"
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [b]))
        press(&s, .character("R"))
        #expect(screen(s).text.contains("Backup b1 of staging · Odoo 16.0"))
        let request = RestoreDialogRequest(backupID: "b1", target: "staging", safetyBackup: true, includeFilestore: true)
        _ = update(&s, .restoreNeedsConfirmation(request, question: "the backup is Odoo 16.0 and staging runs Odoo 17.0: restore anyway?"))
        let text = screen(s).text
        #expect(text.contains("The backup is Odoo 16.0 and staging runs Odoo 17.0: restore anyway?") && text.contains("y restore anyway"))
        var answered = request
        answered.acceptsVersionMismatch = true
        #expect(update(&s, .key(.character("y"))) == [.startRestore(answered)])
        #expect(s.overlay == .none)
        _ = update(&s, .restoreNeedsConfirmation(request, question: "the backup is Odoo 16.0 and staging runs Odoo 17.0: restore anyway?"))
        #expect(update(&s, .key(.escape)).isEmpty && s.overlay == .none)
        #expect(screen(s).text.contains("restore not started"))
    }

    @Test("a development record on production's database is protected as production is: its restore asks for the typed name too")
    func aliasOfProductionIsProtected() {
        let server = Server(name: "erp1", connection: .local, dataDir: "/var/lib/odoo")
        let rows = EnvironmentRow.rows([
            ResolvedEnvironment(Environment(name: "production", project: "acme", type: .production, server: "erp1", dbName: "acme"), on: server),
            ResolvedEnvironment(Environment(name: "alias", project: "acme", type: .development, server: "erp1", dbName: "acme"), on: server),
            ResolvedEnvironment(Environment(name: "dev", project: "acme", type: .development, server: "erp1", dbName: "acme_dev"), on: server),
        ])
        #expect(rows.map(\.isProtected) == [true, true, false])
        var s = dashboard(rows.filter { $0.name == "alias" })
        press(&s, .down, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "alias", jobs: [], log: [], backups: [backup("b1", env: "alias", daysAgo: 1, now: s.now)]))
        press(&s, .character("R"))
        #expect(screen(s).text.contains("Type alias to confirm"))
        press(&s, .tab, .tab, .tab)
        #expect(update(&s, .key(.enter)).isEmpty)
    }
}

@Suite("Backup actions and retention in the dashboard")
struct BackupActionViewTests {
    func backupsTab(_ backups: (Double) -> [BackupRecord]) -> DashboardState {
        var s = dashboard([row("staging")], width: 110, height: 30)
        press(&s, .down, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: backups(s.now)))
        return s
    }

    @Test("d asks for the backup's id: Enter without it deletes nothing, the typed id deletes exactly that backup, Esc keeps it")
    func deleteNeedsTypedID() {
        var s = backupsTab { [backup("b2", env: "staging", daysAgo: 1, now: $0), backup("b1", env: "staging", daysAgo: 2, now: $0)] }
        press(&s, .down, .character("d"))
        #expect(screen(s).text.contains("cannot be undone") && screen(s).text.contains("b1 of staging"))
        #expect(update(&s, .key(.enter)).isEmpty)
        #expect(screen(s).text.contains("type b1 to delete it"))
        type(&s, "b1")
        #expect(update(&s, .key(.enter)) == [.backupAction(.delete("b1", confirmation: "b1"))])
        #expect(s.overlay == .none)
        press(&s, .character("d"), .character("b"), .escape)
        #expect(s.overlay == .none)
    }

    @Test("v verifies, p pins or unpins, e downloads to a path that can be edited; results come back as a toast and refresh the tab")
    func verifyPinExport() {
        var s = backupsTab { [backup("b2", env: "staging", daysAgo: 1, now: $0, pinned: true)] }
        #expect(update(&s, .key(.character("v"))) == [.backupAction(.verify("b2"))])
        #expect(update(&s, .key(.character("p"))) == [.backupAction(.pin("b2", false))])
        #expect(backupsTabKey(.character("e"), &s, cwd: "/srv/exports") == [])
        #expect(screen(s).text.contains("File: /srv/exports/acme-staging-b2.zip"))
        press(&s, .control("u"))
        type(&s, "relative.zip")
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("give an absolute path"))
        press(&s, .control("u"))
        type(&s, "/tmp/b2.zip")
        #expect(update(&s, .key(.enter)) == [.backupAction(.export("b2", path: "/tmp/b2.zip"))])
        let refresh = update(&s, .backupActionFinished("backup b2 verified: 5 checks passed", ok: true))
        #expect(refresh == [.loadDetails(environment: "staging", job: nil)])
        #expect(screen(s).text.contains("backup b2 verified"))
    }

    @Test("t shows the retention plan (each backup kept or deleted, and why) before anything is swept; S then y sweeps")
    func retentionPlan() {
        var s = backupsTab { [backup("b2", env: "staging", daysAgo: 1, now: $0), backup("b1", env: "staging", daysAgo: 20, now: $0)] }
        #expect(update(&s, .key(.character("t"))) == [.loadRetention(environment: "staging", sweep: false)])
        #expect(screen(s).text.contains("working out"))
        _ = update(&s, .retentionLoaded(environment: "staging", [
            Retention.Decision(backup: backup("b2", env: "staging", daysAgo: 0, now: s.now), delete: false, reason: "newest verified backup"),
            Retention.Decision(backup: backup("b1", env: "staging", daysAgo: 0, now: s.now), delete: true, reason: "daily tier expired 13 days ago"),
        ], swept: false))
        let text = screen(s).text
        #expect(text.contains("1 kept, 1 to delete") && text.contains("dry run"))
        #expect(text.split(separator: "\n").contains { $0.contains("b1") && $0.contains("delete") && $0.contains("expired 13 days ago") })
        #expect(text.split(separator: "\n").contains { $0.contains("b2") && $0.contains("keep") && $0.contains("newest verified") })
        // Any key other than y cancels the sweep.
        press(&s, .character("S"))
        #expect(screen(s).text.contains("Delete 1 backup(s) from storage now?"))
        #expect(update(&s, .key(.character("n"))).isEmpty)
        press(&s, .character("S"))
        #expect(update(&s, .key(.character("y"))) == [.loadRetention(environment: "staging", sweep: true)])
    }
}

@Suite("Restore points and restore modes in the dashboard")
struct RestorePointsViewTests {
    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    @Test("the timeline groups backups under Today, Yesterday, This week, Earlier this month and one heading per month; filters narrow it")
    func timelineGrouping() {
        let now = Date(timeIntervalSince1970: 1_795_521_600)  // Wednesday 2026-11-25 12:00 UTC
        let t = now.timeIntervalSince1970
        var daily = backup("d", env: "production", daysAgo: 0.1, now: t)
        daily.type = .scheduled
        let backups = [daily, backup("y", env: "production", daysAgo: 1, now: t), backup("w", env: "production", daysAgo: 2, now: t),
                       backup("m", env: "production", daysAgo: 12, now: t, tier: .weekly), backup("o", env: "production", daysAgo: 40, now: t, tier: .monthly),
                       backup("gone", env: "production", daysAgo: 3, now: t, status: .failed)]
        let rows = timelineRows(backups, filter: TimelineState(), now: now, calendar: Self.utc)
        #expect(rows == [.heading("Today"), .backup(backups[0]), .heading("Yesterday"), .backup(backups[1]), .heading("This week"), .backup(backups[2]),
                         .heading("Earlier this month"), .backup(backups[3]), .heading("October 2026"), .backup(backups[4])])
        var filter = TimelineState()
        filter.tierFilter = .weekly
        #expect(timelineRows(backups, filter: filter, now: now, calendar: Self.utc) == [.heading("Earlier this month"), .backup(backups[3])])
        filter = TimelineState()
        filter.typeFilter = .scheduled
        #expect(timelineRows(backups, filter: filter, now: now, calendar: Self.utc) == [.heading("Today"), .backup(backups[0])])
    }

    func restoresTab(points: [RestorePointRecord] = []) -> DashboardState {
        var s = dashboard([row("production", .production), row("staging", server: "erp2")], width: 120, height: 34)
        press(&s, .down, .character("5"))
        var safety = backup("safety1", env: "production", daysAgo: 0.01, now: s.now)
        safety.type = .preRestore
        _ = update(&s, .environmentDetailsLoaded(environment: "production", jobs: [], log: [], backups: [
            safety, backup("b2", env: "production", daysAgo: 1, now: s.now), backup("b1", env: "production", daysAgo: 9, now: s.now, tier: .weekly)]))
        _ = update(&s, .restorePointsLoaded(environment: "production", points))
        return s
    }

    @Test("the Restore points tab shows the timeline with tier badges and the restores made here; f and g filter by type and tier")
    func restorePointsTab() {
        let done = RestorePointRecord(jobID: 7, backupID: "b1", sourceFile: nil, environment: "production", mode: .original, status: "completed",
                                      requestedBy: "alice", startedAt: Date(timeIntervalSince1970: 1_000_000 - 3_600), safetyBackupID: "safety0")
        var s = restoresTab(points: [done])
        var text = screen(s).text
        #expect(text.contains("Restore points") && text.contains("type: all (f) · tier: all (g)"))
        #expect(text.contains("b2") && text.contains("b1") && text.contains("safety1"))
        #expect(text.contains("Restores into production") && text.contains("completed") && text.contains("original from b1 by alice · safety safety0"))
        press(&s, .character("g"), .character("g"), .character("g"))  // hourly, daily, then weekly
        text = screen(s).text
        #expect(text.contains("tier: weekly") && text.contains("b1") && !text.contains("  b2"))
        press(&s, .character("g"), .character("g"), .character("g"), .character("g"), .character("f"), .character("f"))  // tiers back to all; type pre_restore
        text = screen(s).text
        #expect(text.contains("type: pre_restore") && text.contains("safety1") && !text.contains("manual "))
    }

    @Test("after a restore failed and left the target broken, the tab says so and u opens the restore of its safety backup, without another safety backup")
    func undoBrokenRestore() {
        let failed = RestorePointRecord(jobID: 8, backupID: "b1", sourceFile: nil, environment: "production", mode: .original, status: "failed",
                                        requestedBy: "alice", startedAt: Date(timeIntervalSince1970: 1_000_000 - 60), safetyBackupID: "safety1",
                                        failedStep: "load_database", error: "psql failed", targetState: "broken")
        var s = restoresTab(points: [failed])
        #expect(screen(s).text.contains("FAILED restore (load_database) left production broken · u restores safety1"))
        press(&s, .character("u"))
        guard case .restoreDialog(let dialog) = s.overlay else { Issue.record("no dialog"); return }
        #expect(dialog.backup.id == "safety1" && dialog.targetName == "production" && !dialog.safetyBackup)
        type(&s, "production")  // the field starts on the safety switch; the name is asked for
        press(&s, .tab, .tab)
        type(&s, "production")
        #expect(update(&s, .key(.enter)) == [.startRestore(RestoreDialogRequest(backupID: "safety1", target: "production", safetyBackup: false, includeFilestore: true,
                                                                                 confirmation: "production"))])
    }

    @Test("the restore dialog's modes: another environment of the project, or a new one on a chosen server with its free disk and PostgreSQL")
    func restoreModes() {
        var s = dashboard([row("production", .production), row("staging"), row("dev", .development, server: "erp2")], width: 120, height: 34)
        press(&s, .down, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "production", jobs: [], log: [], backups: [backup("b1", env: "production", daysAgo: 1, now: s.now)]))
        press(&s, .character("R"), .backTab)  // from the safety switch up to Mode
        press(&s, .right)
        var text = screen(s).text
        #expect(text.contains("into another environment of acme") && text.contains("‹ staging (staging) ›") && text.contains("All changes to staging"))
        #expect(text.contains("Sanitize  ‹ Recommended › Best for staging · counting on production…"))
        let recommended = SanitizationCatalog.keys(for: .recommended)
        _ = update(&s, .impactsLoaded(source: "production", Dictionary(uniqueKeysWithValues: recommended.map { ($0, Optional(10)) })))
        #expect(screen(s).text.contains("affects ≈\(recommended.count * 10) records"))
        press(&s, .tab, .right)
        #expect(screen(s).text.contains("‹ dev (development) ›"))
        press(&s, .backTab)
        let effects = update(&s, .key(.right))
        #expect(effects == [.loadServerFacts("erp1"), .loadServerFacts("erp2")])
        _ = update(&s, .serverFactsLoaded(server: "erp1", ServerFacts(freeBytes: 50 << 30, postgresVersion: "15.8")))
        text = screen(s).text
        #expect(text.contains("Restore as a new environment") && text.contains("Name      production-restore-"))
        #expect(text.contains("‹ erp1 › 50.0 GiB free ✓ · PostgreSQL 15.8"))
        press(&s, .tab, .control("u"))
        type(&s, "prod-copy")
        press(&s, .tab, .right, .tab, .right)  // type development, server erp2
        _ = update(&s, .serverFactsLoaded(server: "erp2", ServerFacts(freeBytes: 1 << 20, postgresVersion: "15.8")))
        text = screen(s).text
        #expect(text.contains("cross-server (new)") && text.contains("‹ erp2 › 1.0 MiB free ✗ needs ~"))
        press(&s, .tab, .tab, .left)  // the preset, from Recommended back to None
        #expect(screen(s).text.contains("I understand the risk"))
        press(&s, .tab, .tab)
        #expect(update(&s, .key(.enter)).isEmpty && screen(s).text.contains("keeps real customer data"))
        press(&s, .character(" "), .tab)  // tick the risk box, on to Restore
        #expect(update(&s, .key(.enter)) == [.startRestore(RestoreDialogRequest(backupID: "b1", target: "prod-copy",
                                                                                 newEnvironment: RestoreNewTarget(type: .development, server: "erp2"),
                                                                                 safetyBackup: false, includeFilestore: true, preset: SanitizationCatalog.Preset.none,
                                                                                 riskAccepted: true))])
    }
}
