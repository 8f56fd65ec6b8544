/// One screen cell: a grapheme and its style. The cell right of a two-column character is a
/// continuation (`text` empty) so positions always match the terminal's.
public struct Cell: Equatable, Sendable {
    public var text: String
    public var style: Style

    public init(text: String = " ", style: Style = .plain) {
        self.text = text
        self.style = style
    }

    public var isContinuation: Bool { text.isEmpty }
}

/// An in-memory screen that views draw into. The terminal backend copies it to the real screen;
/// tests read it back as text (like ratatui's TestBackend).
public struct CellBuffer: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Fills `rect` with spaces in `style`.
    public mutating func fill(_ rect: Rect, style: Style) {
        for y in max(rect.y, 0)..<min(rect.maxY, height) {
            for x in max(rect.x, 0)..<min(rect.maxX, width) { self[x, y] = Cell(text: " ", style: style) }
        }
    }

    /// Writes `text` at (x, y), clipped to `maxWidth` cells and to the buffer. A wide character
    /// that would straddle the edge is replaced by a space. Returns the cells used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return 0 }
        let limit = min(x + (maxWidth ?? width), width)
        var col = x
        for ch in text {
            let w = TextWidth.of(ch)
            if w == 0 { continue }
            if col + w > limit {
                if col < limit, col >= 0 { self[col, y] = Cell(text: " ", style: style) }
                break
            }
            if col >= 0 {
                // Overwriting half of a wide character blanks its other half.
                if self[col, y].isContinuation, col > 0 { self[col - 1, y] = Cell(text: " ", style: self[col - 1, y].style) }
                self[col, y] = Cell(text: String(ch), style: style)
                if w == 2 { self[col + 1, y] = Cell(text: "", style: style) }
            }
            col += w
        }
        return col - x
    }

    /// The screen as plain text, one string per row (trailing spaces kept).
    public var lines: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
    }

    /// The screen as text with trailing spaces removed: what snapshot tests compare.
    public var text: String {
        lines.map { line in String(line.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }
}

extension CellBuffer {
    static let asciiDecorations: [String: String] = [
        "·": "-", "…": ".", "↑": "^", "↓": "v", "←": "<", "→": ">", "▲": "^", "▼": "v", "×": "x", "—": "-", "•": "*",
    ]

    /// For terminals without UTF-8: replaces the decorative characters views use with ASCII.
    public mutating func transliterateDecorations() {
        for i in cells.indices {
            if let ascii = Self.asciiDecorations[cells[i].text] { cells[i].text = ascii }
        }
    }
}
