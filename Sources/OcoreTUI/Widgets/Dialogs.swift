/// A modal dialog: a bordered box over the screen with a title, body lines and buttons.
public struct ModalDialog {
    public var title: String
    public var lines: [(String, Theme.Role)]
    public var buttons: [String]
    public var focusedButton: Int?

    /// Draws the dialog centred in `area` and returns its inner rectangle.
    @discardableResult
    public func render(in area: Rect, theme: Theme, into buffer: inout CellBuffer) -> Rect {
        let width = min(max(lines.map { TextWidth.of($0.0) }.max() ?? 20, TextWidth.of(title) + 6, 30) + 4, area.width)
        let height = min(lines.count + (buttons.isEmpty ? 2 : 4), area.height)
        let rect = area.centered(width: width, height: height)
        buffer.fill(rect, style: theme[.text])
        let inner = Box(title: title, style: theme[.border], titleStyle: theme[.title]).render(in: rect, symbols: theme.symbols, into: &buffer)
        for (i, (text, role)) in lines.enumerated() where i < inner.height {
            buffer.put(text, x: inner.x + 1, y: inner.y + i, style: theme[role], maxWidth: inner.width - 1)
        }
        if !buttons.isEmpty, inner.height >= 2 {
            ButtonRow(labels: buttons, focused: focusedButton).render(in: Rect(x: inner.x + 1, y: inner.maxY - 1, width: inner.width - 1, height: 1),
                                                                      theme: theme, into: &buffer)
        }
        return inner
    }
}

/// Confirmation of a destructive action. With `requiredText` (the environment's name, for
/// production), the action is allowed only once that exact text has been typed.
public struct ConfirmationState: Equatable, Sendable {
    public var title: String
    public var message: String
    public var requiredText: String?
    public var field = TextFieldState()

    public var isConfirmed: Bool { requiredText.map { field.text == $0 } ?? true }
}

public struct ConfirmationDialog {
    public var state: ConfirmationState

    public func render(in area: Rect, theme: Theme, into buffer: inout CellBuffer) {
        var lines: [(String, Theme.Role)] = [(state.message, .warning)]
        if let required = state.requiredText { lines += [("", .text), ("Type \(required) to confirm:", .text), ("", .text)] }
        let inner = ModalDialog(title: state.title, lines: lines, buttons: ["Confirm", "Cancel"],
                                focusedButton: state.isConfirmed ? 0 : 1).render(in: area, theme: theme, into: &buffer)
        if state.requiredText != nil {
            var field = state.field
            if !state.isConfirmed && !field.text.isEmpty { field.error = nil }
            TextField(state: field, label: "> ", focused: true).render(in: Rect(x: inner.x + 1, y: inner.y + 3, width: inner.width - 2, height: 1),
                                                                      theme: theme, into: &buffer)
        }
    }
}
