import OcoreModel
@testable import OcoreTUI
import Testing

func row(_ name: String, _ type: EnvironmentType = .staging, project: String = "acme", server: String = "erp1") -> EnvironmentRow {
    EnvironmentRow(project: project, name: name, type: type, server: server, database: "db_\(name)", isProtected: type == .production)
}

func screen(_ state: AppState, theme: Theme = .builtInDefault) -> CellBuffer {
    var buffer = CellBuffer(width: state.width, height: state.height)
    render(state, theme: theme, into: &buffer)
    return buffer
}

func state(_ rows: [EnvironmentRow], width: Int = 80, height: Int = 24) -> AppState {
    var s = AppState(storePath: "/tmp/x")
    _ = update(&s, .resize(width: width, height: height))
    _ = update(&s, .environmentsLoaded(rows))
    return s
}

@Suite("The environments screen, rendered to text")
struct EnvironmentListViewTests {
    @Test("an empty inventory explains how to start")
    func empty() {
        let text = screen(state([])).text
        #expect(text.contains("No environments yet."))
        #expect(text.contains("ocore demo"))
        #expect(text.contains("0 environments"))
    }

    @Test("the list shows project, name, type, server and database, with the selection marked")
    func snapshot() {
        let s = state([row("production", .production), row("staging"), row("dev", .development)], width: 80, height: 8)
        let expected = """
             ocore environments                                              3 environments
              PROJECT    NAME               TYPE          SERVER     DATABASE
            ▶ acme       production         production ✱  erp1       db_production
              acme       staging            staging       erp1       db_staging
              acme       dev                development   erp1       db_dev


             ↑↓/jk move  g/G top/bottom  ^L redraw  q quit
            """
        #expect(screen(s).text == expected)
    }

    @Test("production is drawn in the theme's danger colour")
    func productionInDanger() {
        var s = state([row("production", .production), row("staging")])
        _ = update(&s, .key(.down))  // move the selection off production so its own colours show
        let buffer = screen(s)
        let y = 2
        let nameX = buffer.lines[y].distance(from: buffer.lines[y].startIndex, to: buffer.lines[y].range(of: "production")!.lowerBound)
        #expect(buffer[nameX, y].style == Theme.builtInDefault[.danger])
        let stagingY = 3
        #expect(buffer[4, stagingY].style == Theme.builtInDefault[.selection])
    }

    @Test("long names are cut with an ellipsis and columns stay aligned")
    func longNames() {
        let long = row("this-is-a-really-long-environment-name-for-testing", project: "a-project-with-a-very-long-name")
        let lines = screen(state([long, row("short")], width: 80, height: 8)).lines
        #expect(lines[2].contains("…"))
        let header = lines[1]
        let databaseColumn = header.distance(from: header.startIndex, to: header.range(of: "DATABASE")!.lowerBound)
        #expect(String(lines[3].dropFirst(databaseColumn).prefix(8)) == "db_short")
    }

    @Test("wide characters take two cells and keep the columns aligned")
    func wideCharacters() {
        let rows = [row("生産", project: "日本"), row("staging")]
        let buffer = screen(state(rows, width: 80, height: 8))
        let header = buffer.lines[1]
        let serverColumn = header.distance(from: header.startIndex, to: header.range(of: "SERVER")!.lowerBound)
        // The header is ASCII, so its character offset is the cell column; "erp1" must start there on both rows.
        #expect([0, 1, 2, 3].map { buffer[serverColumn + $0, 2].text }.joined() == "erp1")
        #expect([0, 1, 2, 3].map { buffer[serverColumn + $0, 3].text }.joined() == "erp1")
        #expect(buffer[2, 2].text == "日" && buffer[3, 2].isContinuation)
    }

    @Test("a terminal too small shows a notice instead of a broken layout")
    func tooSmall() {
        let text = screen(state([row("production", .production)], width: 30, height: 5)).text
        #expect(text.hasPrefix("terminal too small (30×5)"))
    }

    @Test("the monochrome theme uses attributes only")
    func mono() {
        let buffer = screen(state([row("production", .production)]), theme: .mono)
        #expect(buffer.cells.allSatisfy { $0.style.foreground == .default && $0.style.background == .default })
        #expect(buffer[2, 2].style.attributes.contains(.reverse))
    }
}

@Suite("Navigation on the environments screen")
struct NavigationTests {
    @Test("j/k and arrows move the selection within bounds")
    func moves() {
        var s = state([row("a"), row("b"), row("c")])
        _ = update(&s, .key(.character("k")))
        #expect(s.selected == 0)
        _ = update(&s, .key(.character("j")))
        _ = update(&s, .key(.down))
        _ = update(&s, .key(.down))
        #expect(s.selected == 2)
        _ = update(&s, .key(.character("g")))
        #expect(s.selected == 0)
        _ = update(&s, .key(.character("G")))
        #expect(s.selected == 2)
    }

    @Test("the list scrolls to keep the selection visible and shows a scroll bar")
    func scrolls() {
        var s = state((0..<100).map { row(String(format: "env-%03d", $0)) }, width: 80, height: 12)
        for _ in 0..<20 { _ = update(&s, .key(.down)) }
        #expect(s.selected == 20)
        let text = screen(s).text
        #expect(text.contains("▶ acme       env-020"))
        #expect(!text.contains("env-000"))
        #expect(text.contains("█"))
        _ = update(&s, .key(.pageUp))
        #expect(s.selected < 20)
    }

    @Test("a reload keeps the same environment selected even when rows move")
    func reloadKeepsSelection() {
        var s = state([row("a"), row("b"), row("c")])
        _ = update(&s, .key(.down))
        _ = update(&s, .environmentsLoaded([row("0"), row("a"), row("b"), row("c")]))
        #expect(s.environments[s.selected].name == "b")
        _ = update(&s, .environmentsLoaded([row("a")]))
        #expect(s.selected == 0)
    }

    @Test("q and Ctrl-C quit; unknown keys do nothing")
    func quitting() {
        var s = state([row("a")])
        let before = s
        _ = update(&s, .key(.function(7)))
        _ = update(&s, .key(.character("z")))
        #expect(s == before)
        _ = update(&s, .key(.character("q")))
        #expect(s.shouldQuit)
        var t = state([row("a")])
        _ = update(&t, .key(.control("c")))
        #expect(t.shouldQuit)
    }

    @Test("ticks ask for a reload and Ctrl-L for a full redraw")
    func effects() {
        var s = state([])
        #expect(update(&s, .tick) == [.reloadEnvironments])
        #expect(update(&s, .key(.control("l"))) == [.redrawAll])
    }

    @Test("a failing store is shown on screen")
    func storeFailure() {
        var s = state([row("a")])
        _ = update(&s, .storeFailed("database is locked"))
        #expect(screen(s).text.contains("State store unavailable: database is locked"))
    }

    @Test("ESCDELAY: user value wins, shorter locally than over SSH")
    func escDelay() {
        #expect(DashboardSettings.escDelay(environment: [:]) == 25)
        #expect(DashboardSettings.escDelay(environment: ["SSH_TTY": "/dev/pts/1"]) == 100)
        #expect(DashboardSettings.escDelay(environment: ["SSH_TTY": "/dev/pts/1", "ESCDELAY": "10"]) == 10)
    }
}

@Suite("The cell buffer")
struct CellBufferTests {
    @Test("text is clipped at the edge, and a wide character that does not fit becomes a space")
    func clipping() {
        var b = CellBuffer(width: 4, height: 1)
        b.put("abc日本", x: 0, y: 0, style: .plain)
        #expect(b.lines == ["abc "])
        var c = CellBuffer(width: 4, height: 1)
        c.put("日本語", x: 0, y: 0, style: .plain)
        #expect(c.lines == ["日本"])
    }

    @Test("truncation counts cells, not characters")
    func truncate() {
        #expect(TextWidth.truncate("日本語テキスト", to: 7) == "日本語…")
        #expect(TextWidth.fit("ab", to: 4) == "ab  ")
        #expect(TextWidth.of("e\u{301}") == 1)
    }
}
