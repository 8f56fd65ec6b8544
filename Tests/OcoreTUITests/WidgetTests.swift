import OcoreModel
@testable import OcoreTUI
import Testing

func draw(_ width: Int, _ height: Int, _ body: (inout CellBuffer) -> Void) -> CellBuffer {
    var b = CellBuffer(width: width, height: height)
    body(&b)
    return b
}

@Suite("Widgets")
struct WidgetTests {
    let theme = Theme.builtInDefault

    @Test("text is clipped at the edge, and a wide character that does not fit becomes a space")
    func clipping() {
        let a = draw(4, 1) { buffer in buffer.put("abc日本", x: 0, y: 0, style: .plain) }
        #expect(a.lines == ["abc "])
        let b = draw(4, 1) { buffer in buffer.put("日本語", x: 0, y: 0, style: .plain) }
        #expect(b.lines == ["日本"])
        #expect(TextWidth.truncate("日本語テキスト", to: 7) == "日本語…")
        #expect(TextWidth.of("e\u{301}") == 1)
    }

    @Test("a table shows a header with the sort marker, the selected row and a scroll bar")
    func table() {
        let rows: [[(String, Style?)]] = (0..<20).map { [("row \($0)", nil)] }
        var state = ListState()
        state.move(12, count: 20, visible: 5)
        let b = draw(20, 6) { Table(columns: [.init("NAME", width: 10)], rows: rows, sortColumn: 0).render(in: $0.area, state: state, theme: theme, into: &$0) }
        #expect(b.lines[0].hasPrefix(" NAME ▲"))
        #expect(b.text.contains("row 12") && !b.text.contains("row 0 "))
        #expect(b.lines.last!.contains("row 12"))
        #expect(b.text.contains("█"))
    }

    @Test("a text field edits by characters, not bytes")
    func textField() {
        var f = TextFieldState(text: "café")
        _ = f.handle(.backspace)
        #expect(f.text == "caf")
        _ = f.handle(.character("é"))
        _ = f.handle(.home)
        _ = f.handle(.character("«"))
        _ = f.handle(.end)
        _ = f.handle(.character("»"))
        #expect(f.text == "«café»" && f.cursor == 6)
        _ = f.handle(.left)
        _ = f.handle(.control("u"))
        #expect(f.text == "»" && f.cursor == 0)
        let handled = f.handle(.function(3))
        #expect(!handled)
    }

    @Test("a confirmation that requires a name is confirmed only by that exact name")
    func confirmation() {
        var c = ConfirmationState(title: "Replace production", message: "This drops the database.", requiredText: "production")
        #expect(!c.isConfirmed)
        for ch in "productio" { _ = c.field.handle(.character(ch)) }
        #expect(!c.isConfirmed)
        _ = c.field.handle(.character("n"))
        #expect(c.isConfirmed)
        let b = draw(60, 12) { ConfirmationDialog(state: c).render(in: $0.area, theme: theme, into: &$0) }
        #expect(b.text.contains("Type production to confirm:"))
        #expect(b.text.contains("[ Confirm ]"))
        #expect(ConfirmationState(title: "t", message: "m", requiredText: nil).isConfirmed)
    }

    @Test("checkbox, radio group and button row")
    func controls() {
        let b = draw(40, 4) { buffer in
            Checkbox(label: "Include filestore", checked: true).render(at: 0, y: 0, width: 40, theme: theme, into: &buffer)
            RadioGroup(options: ["Recommended", "Minimal"], selected: 1).render(in: Rect(x: 0, y: 1, width: 40, height: 2), theme: theme, into: &buffer)
            ButtonRow(labels: ["Start", "Cancel"], focused: 0).render(in: Rect(x: 0, y: 3, width: 40, height: 1), theme: theme, into: &buffer)
        }
        #expect(b.lines.map { $0.trimmingCharacters(in: .whitespaces) } == ["[x] Include filestore", "( ) Recommended", "(•) Minimal", "[ Start ]  [ Cancel ]"])
    }

    @Test("a progress bar shows percentage, elapsed and ETA")
    func progressBar() {
        let b = draw(40, 1) { ProgressBar(percent: 50, elapsed: 65, eta: 3700).render(in: $0.area, theme: theme, into: &$0) }
        #expect(b.text.hasSuffix(" 50%  1m05s  ETA 1h01m"))
        #expect(b.text.hasPrefix("████"))
    }

    @Test("a step list marks done, running, pending, failed and skipped steps")
    func stepList() {
        let steps = [StepStatus.completed, .running, .pending, .failed, .skipped].enumerated().map {
            JobStepRecord(jobID: 1, position: $0.offset, name: "s\($0.offset)", title: "Step \($0.offset)", weightStart: 0, weightEnd: 1,
                          status: $0.element, progress: 0.5)
        }
        let b = draw(30, 5) { StepList(steps: steps, spinnerFrame: 0).render(in: $0.area, theme: theme, into: &$0) }
        #expect(b.lines.map { String($0.prefix(1)) } == ["✓", "⠋", "·", "✗", "-"])
        #expect(b.lines[1].contains("(50%)"))
    }

    @Test("the log view follows the tail, scrolls back and searches")
    func logView() {
        let lines = (1...10).map { JobLogLine(id: Int64($0), at: "2026-11-22T10:00:\(String(format: "%02d", $0)).000Z", level: $0 == 9 ? .error : .info, message: "line \($0)") }
        let tail = draw(30, 3) { LogView(lines: lines, state: LogViewState()).render(in: $0.area, theme: theme, into: &$0) }
        #expect(tail.lines[2].contains("line 10"))
        let back = draw(30, 3) { LogView(lines: lines, state: LogViewState(scrollBack: 5)).render(in: $0.area, theme: theme, into: &$0) }
        #expect(back.lines[2].contains("line 5"))
        let found = draw(30, 3) { LogView(lines: lines, state: LogViewState(search: "line 1")).render(in: $0.area, theme: theme, into: &$0) }
        #expect(found.lines[0].contains("line 1") && found.lines[1].contains("line 10"))
    }

    @Test("tabs mark the active one; a modal is centred with its buttons")
    func tabsAndModal() {
        let b = draw(50, 10) { buffer in
            Tabs(titles: ["Target", "Sanitization", "Options"], active: 1).render(in: Rect(x: 0, y: 0, width: 50, height: 1), theme: theme, into: &buffer)
            ModalDialog(title: "Start clone?", lines: [("production → staging", .text)], buttons: ["Start", "Back"])
                .render(in: Rect(x: 0, y: 2, width: 50, height: 8), theme: theme, into: &buffer)
        }
        #expect(b.lines[0].hasPrefix(" 1 Target   2 Sanitization   3 Options"))
        #expect(b[14, 0].style == theme[.selection])
        #expect(b.text.contains("Start clone?") && b.text.contains("[ Start ]  [ Back ]"))
    }
}
