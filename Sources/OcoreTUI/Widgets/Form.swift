/// One line of a form (the clone wizard, the backup and restore dialogs): what it shows, in
/// which style, and whether it has the focus. The glyphs come from the widget kit (``Checkbox``,
/// ``RadioGroup``, ``Choice``, ``ButtonRow``), so every form draws a control the same way.
public struct FormLine: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        case text(String)
        case checkbox(String, checked: Bool)
        case radio(String, selected: Bool)
        /// `‹ value ›` and what follows it.
        case choice(String, after: String = "")
        case button(String)
    }

    /// A muted left column (the backup dialog's "Storage", "Type", …).
    public var label: String?
    public var content: Content
    public var role: Theme.Role
    public var focused: Bool
    /// Spaces before the control (options under a heading).
    public var indent: Int

    public init(_ content: Content, label: String? = nil, role: Theme.Role = .text, focused: Bool = false, indent: Int = 0) {
        self.label = label
        self.content = content
        self.role = role
        self.focused = focused
        self.indent = indent
    }

    public static let blank = FormLine(.text(""))

    public func text(_ symbols: Symbols) -> String {
        let body: String = switch content {
        case .text(let s): s
        case let .checkbox(label, checked): Checkbox.text(label, checked: checked, symbols: symbols)
        case let .radio(label, selected): RadioGroup.text(label, selected: selected, symbols: symbols)
        case let .choice(value, after): Choice.text(value) + (after.isEmpty ? "" : " " + after)
        case .button(let label): ButtonRow.text(label)
        }
        return String(repeating: " ", count: indent) + body
    }
}

/// `‹ value ›`: one value of several, changed with ←/→.
public enum Choice {
    public static func text(_ value: String) -> String { "‹ \(value) ›" }
}

/// Draws form lines top to bottom, the focused one highlighted across the width, scrolled so the
/// focused line stays visible.
public struct FormView {
    public var lines: [FormLine]
    /// Columns before each line.
    public var inset = 0
    /// Width of the label column, when the form has one.
    public var labelWidth: Int?

    public init(lines: [FormLine], inset: Int = 0, labelWidth: Int? = nil) {
        self.lines = lines
        self.inset = inset
        self.labelWidth = labelWidth
    }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        let focusLine = lines.firstIndex { $0.focused } ?? 0
        let start = max(0, min(focusLine - rect.height / 2, lines.count - rect.height))
        for (i, line) in lines.dropFirst(start).prefix(rect.height).enumerated() {
            let y = rect.y + i
            let style = line.focused ? theme[.selection] : theme[line.role]
            if line.focused { buffer.fill(Rect(x: rect.x, y: y, width: rect.width, height: 1), style: theme[.selection]) }
            var x = rect.x + inset
            if let labelWidth {
                buffer.put(TextWidth.fit(line.label ?? "", to: labelWidth), x: x, y: y, style: line.focused ? theme[.selection] : theme[.muted])
                x += labelWidth + 1
            }
            buffer.put(line.text(theme.symbols), x: x, y: y, style: style, maxWidth: rect.maxX - x - (inset > 0 ? inset : 0))
        }
    }
}
