import OcoreModel
@testable import OcoreTUI
import Testing

@Suite("The dashboard, rendered to text")
struct DashboardViewTests {
    @Test("an empty inventory explains how to start")
    func empty() {
        let text = screen(dashboard([])).text
        #expect(text.contains("No environments yet."))
        #expect(text.contains("ocore demo"))
        #expect(text.contains("0 environments"))
    }

    @Test("80×24: tree of projects and environments, details with tabs, hint bar")
    func snapshot() {
        var s = dashboard([row("production", .production), row("staging"), row("dev", .development), row("shop-prod", .production, project: "shop")])
        press(&s, .down)
        _ = update(&s, .statusUpdated(environment: "production", EnvironmentStatus(
            reachability: .reachable, databaseSize: 1_450_000_000, filestoreSize: 1_100_000_000, odooVersion: "17.0.1.3",
            neutralized: false, httpStatus: 200, checkedAt: 1_000_000 - 30)))
        let expected = """
             ocore environments                                              4 environments
            ┌─ Environments ───────────┐┌─ production · acme ──────────────────────────────┐
            │▾ acme (3)                ││1 Overview 2 Backups 3 Jobs 4 Log 5 Restore points│
            │  ● production      PROD✱ ││                                                  │
            │  · staging         STAG  ││  Type         production · protected             │
            │  · dev              DEV  ││  Server       erp1 (ssh odoo@erp1)               │
            │▾ shop (1)                ││  Database     db_production · 1.4 GiB · reachable│
            │  · shop-prod       PROD✱ ││  Filestore    1.0 GiB · /var/lib/odoo/filestore/ │
            │                          ││               db_production                      │
            │                          ││  URL          https://production.acme.example ·  │
            │                          ││               HTTP 200                           │
            │                          ││  Odoo         17.0.1.3                           │
            │                          ││  Neutralized  no                                 │
            │                          ││  Last backup  never                              │
            │                          ││  Policy       no scheduled backups · P sets them │
            │                          ││               up                                 │
            │                          ││  Checked      just now                           │
            │                          ││                                                  │
            │                          ││                                                  │
            │                          ││                                                  │
            │                          ││                                                  │
            │                          ││                                                  │
            └──────────────────────────┘└──────────────────────────────────────────────────┘
             ? help  : palette  c clone  b backup  / filter  Tab pane  1-5 tabs  r refresh
            """
        #expect(screen(s).text == expected)
    }

    @Test("production is drawn in the danger colour, and a reachable environment's dot in the success colour")
    func colours() {
        var s = dashboard([row("staging"), row("production", .production)])
        _ = update(&s, .statusUpdated(environment: "production", EnvironmentStatus(reachability: .reachable)))
        let b = screen(s)
        let y = b.lines.firstIndex { $0.contains("production ") && $0.contains("PROD") }!
        let x = column(of: "production", in: b.lines[y])!
        #expect(b[x, y].style == Theme.builtInDefault[.danger])
        #expect(b[x - 2, y].style == Theme.builtInDefault[.success])
    }

    @Test("an unreachable database is explained in the Overview")
    func unreachable() {
        var s = dashboard([row("staging")])
        press(&s, .down)
        _ = update(&s, .statusUpdated(environment: "staging", EnvironmentStatus(reachability: .unreachable("connection refused"), checkedAt: 999_000)))
        let text = screen(s, theme: .mono).text
        #expect(text.contains("db_staging · unreachable:"))
        #expect(text.contains("connection refused"))
        #expect(text.contains("16m ago"))
    }

    @Test("long names are cut with an ellipsis; badges stay aligned")
    func longNames() {
        let s = dashboard([row("a-very-long-environment-name-that-does-not-fit", .production), row("short")])
        let lines = screen(s).lines
        let long = lines.first { $0.contains("a-very-long") && $0.contains("PROD") }!
        #expect(long.contains("…"))
        let short = lines.first { $0.contains("short") }!
        #expect(column(of: "PROD", in: long) == column(of: "STAG", in: short))
    }

    @Test("wide characters take two cells and keep columns aligned")
    func wideCharacters() {
        let s = dashboard([row("生産環境", .production, project: "日本"), row("staging", project: "日本")])
        let b = screen(s)
        let y = b.lines.firstIndex { $0.contains("生産") && $0.contains("PROD") }!
        let x = (0..<b.width).first { b[$0, y].text == "生" }!
        #expect(b[x + 1, y].isContinuation)
        let badgeX = (0..<b.width).first { b[$0, y].text == "P" && b[$0 + 1, y].text == "R" }!
        let stagY = b.lines.firstIndex { $0.contains("staging") && $0.contains("STAG") }!
        #expect(b[badgeX, stagY].text == "S")
    }

    @Test("a too-small terminal shows a notice instead of a broken layout", arguments: [(59, 24), (80, 11), (20, 3)])
    func tooSmall(size: (Int, Int)) {
        let text = screen(dashboard([row("production", .production)], width: size.0, height: size.1)).text
        #expect(text.hasPrefix("terminal too small"))
    }

    @Test("60×12 is still usable: the selected environment and its details fit")
    func narrow() {
        var s = dashboard([row("production", .production), row("staging")], width: 60, height: 12)
        press(&s, .down)
        let text = screen(s).text
        #expect(text.contains("production"))
        #expect(text.contains("Overview"))
        #expect(screen(s).lines.allSatisfy { TextWidth.of($0) == 60 })
    }

    @Test("the light theme and the monochrome theme draw the same text with their own styles")
    func themes() throws {
        let s = dashboard([row("production", .production)])
        let light = Theme(name: "light", styles: [.danger: Style(foreground: .indexed(160, fallback: 1), attributes: .bold)])
        #expect(screen(s, theme: light).text == screen(s).text)
        let mono = screen(s, theme: .mono)
        #expect(mono.cells.allSatisfy { $0.style.foreground == .default && $0.style.background == .default })
        #expect(mono.text == screen(s).text)
    }

    @Test("ASCII symbols replace box drawing")
    func ascii() {
        var theme = Theme.builtInDefault
        theme.symbols = .ascii
        let text = screen(dashboard([row("production", .production)]), theme: theme).text
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(text.contains("+- Environments"))
    }

    @Test("running jobs show in a strip with their progress, on every screen")
    func jobsStrip() {
        var s = dashboard([row("staging")])
        _ = update(&s, .jobsLoaded(active: [job(7, env: "staging", progress: 50)]))
        let text = screen(s).text
        #expect(text.contains("#7 diagnostic staging running"))
        #expect(text.contains("50%"))
        #expect(text.contains("1 job running"))
        press(&s, .character("?"))
        #expect(screen(s).text.contains("#7 diagnostic staging running"))
    }

    @Test("the Jobs and Log tabs show the environment's jobs and the chosen job's log, coloured by level")
    func jobsAndLog() {
        var s = dashboard([row("staging")])
        press(&s, .down, .character("3"))
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [job(2, env: "staging", status: .failed), job(1, env: "staging", status: .completed)],
                                                 log: [JobLogLine(id: 1, at: "2026-11-22T10:00:01.000Z", level: .info, message: "started"),
                                                       JobLogLine(id: 2, at: "2026-11-22T10:00:02.000Z", level: .error, message: "pg_restore failed")], backups: []))
        let jobs = screen(s).text
        #expect(jobs.contains("ID    KIND"))
        #expect(jobs.contains("2     diagnostic  failed"))
        press(&s, .character("4"))
        let b = screen(s)
        let y = b.lines.firstIndex { $0.contains("pg_restore failed") }!
        let x = column(of: "pg_restore", in: b.lines[y])!
        #expect(b[x, y].style == Theme.builtInDefault[.danger])
        #expect(b.text.contains("10:00:01 started"))
    }

    @Test("a failing store is shown on screen")
    func storeFailure() {
        var s = dashboard([row("a")])
        _ = update(&s, .storeFailed("database is locked"))
        #expect(screen(s).text.contains("State store unavailable: database is locked"))
    }
}
