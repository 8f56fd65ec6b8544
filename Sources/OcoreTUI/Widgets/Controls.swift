/// Tabs across the top of a pane; the active one is highlighted, each with its digit.
public struct Tabs {
    public var titles: [String]
    public var active: Int
    public var focused = true

    /// Each tab's label and its offset from the left edge: padded labels when they fit in
    /// `width`, tighter ones when they do not (so every tab stays visible on 80 columns).
    public static func layout(_ titles: [String], width: Int) -> [(label: String, offset: Int)] {
        for (pad, gap) in [(" ", 1), (" ", 0), ("", 1)] {
            var out: [(String, Int)] = []
            var x = 0
            for (i, title) in titles.enumerated() {
                let label = "\(pad)\(i + 1) \(title)\(pad)"
                out.append((label, x))
                x += TextWidth.of(label) + gap
            }
            if x - gap <= width || pad.isEmpty { return out }
        }
        return []
    }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        for (i, (label, offset)) in Self.layout(titles, width: rect.width).enumerated() {
            let style = i == active ? (focused ? theme[.selection] : theme[.title].adding(.reverse)) : theme[.muted]
            guard rect.x + offset < rect.maxX else { break }
            buffer.put(label, x: rect.x + offset, y: rect.y, style: style, maxWidth: rect.maxX - rect.x - offset)
        }
    }
}

/// An editable line of text: UTF-8 aware (cursor moves by characters), with a validation message.
public struct TextFieldState: Equatable, Sendable {
    public var text: String
    /// Cursor position in characters.
    public var cursor: Int
    public var error: String?

    public init(text: String = "") {
        self.text = text
        self.cursor = text.count
    }

    /// Applies an editing key; returns false for keys a text field does not handle.
    public mutating func handle(_ key: Key) -> Bool {
        var chars = Array(text)
        switch key {
        case .character(let c):
            chars.insert(c, at: cursor)
            cursor += 1
        case .backspace:
            guard cursor > 0 else { return true }
            chars.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < chars.count else { return true }
            chars.remove(at: cursor)
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(chars.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = chars.count
        case .control("u"):
            chars.removeFirst(cursor)
            cursor = 0
        default: return false
        }
        text = String(chars)
        return true
    }
}

public struct TextField {
    public var state: TextFieldState
    public var label: String
    public var focused: Bool

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        let used = buffer.put(label, x: rect.x, y: rect.y, style: theme[.title])
        let fieldX = rect.x + used
        let width = rect.maxX - fieldX
        guard width > 1 else { return }
        buffer.fill(Rect(x: fieldX, y: rect.y, width: width, height: 1), style: focused ? theme[.header] : theme[.text])
        let chars = Array(state.text)
        // Scroll the text so the cursor stays visible.
        var start = 0
        while TextWidth.of(String(chars[start..<state.cursor])) >= width { start += 1 }
        buffer.put(String(chars[start...]), x: fieldX, y: rect.y, style: focused ? theme[.header] : theme[.text], maxWidth: width)
        if focused {
            let cursorX = fieldX + TextWidth.of(String(chars[start..<state.cursor]))
            let under = state.cursor < chars.count ? String(chars[state.cursor]) : " "
            buffer.put(under, x: cursorX, y: rect.y, style: theme[.selection], maxWidth: 2)
        }
        if let error = state.error, rect.height > 1 {
            buffer.put(error, x: fieldX, y: rect.y + 1, style: theme[.danger], maxWidth: width)
        }
    }
}

/// `[x] label`.
public struct Checkbox {
    public var label: String
    public var checked: Bool
    public var focused = false
    public var enabled = true

    public static func text(_ label: String, checked: Bool, symbols: Symbols) -> String {
        "\(checked ? symbols.checked : symbols.unchecked) \(label)"
    }

    public func render(at x: Int, y: Int, width: Int, theme: Theme, into buffer: inout CellBuffer) {
        let style = !enabled ? theme[.muted] : focused ? theme[.selection] : theme[.text]
        buffer.put(Self.text(label, checked: checked, symbols: theme.symbols), x: x, y: y, style: style, maxWidth: width)
    }
}

/// One choice among several: `(•) a  ( ) b`.
public struct RadioGroup {
    public var options: [String]
    public var selected: Int
    public var focused: Int?

    public static func text(_ option: String, selected: Bool, symbols: Symbols) -> String {
        "\(selected ? symbols.radioOn : symbols.radioOff) \(option)"
    }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        for (i, option) in options.enumerated() where i < rect.height {
            buffer.put(Self.text(option, selected: i == selected, symbols: theme.symbols), x: rect.x, y: rect.y + i,
                       style: focused == i ? theme[.selection] : theme[.text], maxWidth: rect.width)
        }
    }
}

/// `[ Start ]  [ Cancel ]` with one focused.
public struct ButtonRow {
    public var labels: [String]
    public var focused: Int?

    public static func text(_ label: String) -> String { "[ \(label) ]" }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        var x = rect.x
        for (i, label) in labels.enumerated() {
            x += buffer.put(Self.text(label), x: x, y: rect.y, style: focused == i ? theme[.selection] : theme[.title], maxWidth: rect.maxX - x)
            x += 2
        }
    }
}
