import OcoreModel
@testable import OcoreTUI
import Testing

@Suite("Dashboard keys and messages")
struct UpdateTests {
    let rows = [row("production", .production), row("staging"), row("dev", .development), row("shop-prod", .production, project: "shop")]

    @Test("j/k and arrows move through projects and environments, within bounds")
    func moves() {
        var s = dashboard(rows)
        press(&s, .character("k"))
        #expect(s.tree.selected == 0)
        #expect(s.focusedEnvironment?.name == "production")  // a project row focuses its first environment
        press(&s, .character("j"), .down)
        #expect(s.selectedEnvironment?.name == "staging")
        press(&s, .character("G"))
        #expect(s.selectedEnvironment?.name == "shop-prod")
        press(&s, .character("g"))
        #expect(s.tree.selected == 0)
    }

    @Test("Enter on a project collapses it; l expands; h on an environment collapses its project")
    func collapse() {
        var s = dashboard(rows)
        press(&s, .enter)
        #expect(s.treeRows.count == 3)  // acme collapsed, shop with one environment
        press(&s, .character("l"))
        #expect(s.treeRows.count == 6)
        press(&s, .down, .character("h"))
        #expect(s.collapsed == ["acme"])
        #expect(s.tree.selected == 0)
    }

    @Test("/ filters by name, project, server or database; Esc clears")
    func filter() {
        var s = dashboard(rows)
        press(&s, .character("/"))
        type(&s, "shop")
        #expect(s.filtering)
        #expect(s.treeRows.count == 2)
        #expect(s.selectedEnvironment?.name == "shop-prod")
        press(&s, .enter)
        #expect(!s.filtering && s.filter.text == "shop")
        press(&s, .character("q"))
        #expect(s.shouldQuit, "after Enter, letters are commands again")
        var t = dashboard(rows)
        press(&t, .character("/"))
        type(&t, "zzz")
        #expect(t.treeRows.isEmpty)
        #expect(screen(t).text.contains("no match for \"zzz\""))
        press(&t, .escape)
        #expect(t.treeRows.count == 6 && !t.filtering)
    }

    @Test("Tab switches panes, digits and h/l switch tabs, Esc goes back")
    func panesAndTabs() {
        var s = dashboard(rows)
        press(&s, .down, .tab)
        #expect(s.focus == .details)
        press(&s, .character("l"))
        #expect(s.tab == .backups)
        press(&s, .character("h"), .character("h"))
        #expect(s.tab == .restores)
        press(&s, .character("3"))
        #expect(s.tab == .jobs)
        press(&s, .backTab)
        #expect(s.tab == .backups)
        press(&s, .escape)
        #expect(s.focus == .tree)
    }

    @Test("? opens help listing every key; Esc closes it; other keys do nothing meanwhile")
    func help() {
        var s = dashboard(rows)
        press(&s, .character("?"))
        #expect(s.overlay == .help)
        let text = screen(s).text
        for key in ["Tab", "1-5", "Enter", "Esc", "/", ":", "r F5", "? F1", "^L", "q F10"] { #expect(text.contains(key)) }
        press(&s, .character("j"))
        #expect(s.tree.selected == 0)
        press(&s, .escape)
        #expect(s.overlay == .none)
    }

    @Test(": opens the palette; typing narrows, Tab completes, Enter runs")
    func palette() {
        var s = dashboard(rows)
        press(&s, .character(":"))
        type(&s, "lo")
        guard case .palette(let p) = s.overlay else { Issue.record("no palette"); return }
        #expect(p.matches.first == .log)
        #expect(screen(s).text.contains("show the Log tab"))
        press(&s, .tab)
        guard case .palette(let q) = s.overlay else { Issue.record("no palette"); return }
        #expect(q.field.text == "log")
        press(&s, .enter)
        #expect(s.tab == .log && s.focus == .details && s.overlay == .none)
        press(&s, .character(":"))
        type(&s, "collapse")
        press(&s, .enter)
        #expect(s.treeRows.count == 2)
        press(&s, .character(":"))
        type(&s, "quit")
        press(&s, .enter)
        #expect(s.shouldQuit)
    }

    @Test("every palette action is reachable by name")
    func paletteCompleteness() {
        for action in PaletteAction.allCases { #expect(PaletteAction.matching(action.rawValue).first == action) }
        #expect(PaletteAction.matching("xyz").isEmpty)
    }

    @Test("F-keys and their letters do the same")
    func functionKeys() {
        var a = dashboard(rows), b = dashboard(rows)
        press(&a, .function(1))
        press(&b, .character("?"))
        #expect(a.overlay == b.overlay)
        #expect(update(&a, .key(.escape)) == [] && update(&a, .key(.function(5))) == update(&b, .key(.escape)) + update(&b, .key(.character("r"))))
        press(&a, .function(10))
        #expect(a.shouldQuit)
    }

    @Test("moving to another environment asks for its details; a reload keeps the selection")
    func details() {
        var s = dashboard(rows)
        let effects = update(&s, .key(.down))
        #expect(effects.contains(.loadDetails(environment: "production", job: nil)) == false)
        #expect(update(&s, .key(.down)) == [.loadDetails(environment: "staging", job: nil)])
        _ = update(&s, .environmentsLoaded([row("aaa")] + rows))
        #expect(s.selectedEnvironment?.name == "staging")
    }

    @Test("a job ending rings the bell and shows a toast that expires")
    func jobEnded() {
        var s = dashboard(rows)
        #expect(update(&s, .jobEnded(job(3, env: "staging", status: .failed))) == [.bell])
        #expect(screen(s).text.contains("job 3 diagnostic on staging failed"))
        _ = update(&s, .tick(now: s.now + 10))
        #expect(s.toast == nil)
    }

    @Test("r asks for a fresh probe; ticks ask for a store check; Ctrl-L for a full redraw")
    func effects() {
        var s = dashboard(rows)
        press(&s, .down)
        #expect(update(&s, .key(.character("r"))) == [.probe(environment: "production")])
        #expect(update(&s, .tick(now: 5)) == [.reloadStore])
        #expect(update(&s, .key(.control("l"))) == [.redrawAll])
    }

    @Test("/ in the Log tab searches the log instead of filtering environments")
    func logSearch() {
        var s = dashboard(rows)
        press(&s, .down, .character("4"))
        _ = update(&s, .environmentDetailsLoaded(environment: "production", jobs: [job(1, env: "production")],
                                                 log: [JobLogLine(id: 1, at: "2026-11-22T10:00:00Z", level: .info, message: "dump started"),
                                                       JobLogLine(id: 2, at: "2026-11-22T10:00:01Z", level: .warning, message: "restore slow")], backups: []))
        press(&s, .character("/"))
        type(&s, "restore")
        #expect(s.searchingLog && !s.filtering)
        let text = screen(s).text
        #expect(text.contains("restore slow") && !text.contains("dump started"))
    }

    @Test("ESCDELAY: user value wins, shorter locally than over SSH")
    func escDelay() {
        #expect(DashboardSettings.escDelay(environment: [:]) == 25)
        #expect(DashboardSettings.escDelay(environment: ["SSH_TTY": "/dev/pts/1"]) == 100)
        #expect(DashboardSettings.escDelay(environment: ["SSH_TTY": "/dev/pts/1", "ESCDELAY": "10"]) == 10)
    }
}

@Suite("The mouse (with --mouse)")
struct MouseTests {
    let rows = [row("production", .production), row("staging"), row("shop-prod", .production, project: "shop")]

    @Test("a click selects the environment under it; a click on a project toggles it; the wheel scrolls")
    func clicks() {
        var s = dashboard(rows)
        let layout = DashboardLayout(s)
        let stagingY = layout.firstTreeRow(s) + 2
        _ = update(&s, .mouse(MouseEvent(kind: .click, x: layout.tree.x + 5, y: stagingY)))
        #expect(s.selectedEnvironment?.name == "staging")
        #expect(screen(s).lines[stagingY].contains("staging"))
        _ = update(&s, .mouse(MouseEvent(kind: .wheelDown, x: 5, y: 5)))
        #expect(s.treeRows[s.tree.selected] == .project("shop", count: 1, collapsed: false))
        _ = update(&s, .mouse(MouseEvent(kind: .click, x: layout.tree.x + 3, y: layout.firstTreeRow(s))))
        #expect(s.collapsed == ["acme"])
    }

    @Test("a click on a tab title switches to it")
    func tabs() {
        var s = dashboard(rows)
        let layout = DashboardLayout(s)
        let line = screen(s).lines[layout.details.y + 1]
        let x = column(of: "Jobs", in: line)!
        _ = update(&s, .mouse(MouseEvent(kind: .click, x: x, y: layout.details.y + 1)))
        #expect(s.tab == .jobs && s.focus == .details)
    }
}
