/// A bordered box with an optional title; returns the inner area.
public struct Box {
    public var title: String?
    public var style: Style
    public var titleStyle: Style

    @discardableResult
    public func render(in rect: Rect, symbols: Symbols, into buffer: inout CellBuffer) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let h = symbols.horizontal, v = symbols.vertical
        buffer.put(symbols.topLeft + String(repeating: h, count: rect.width - 2) + symbols.topRight, x: rect.x, y: rect.y, style: style)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            buffer.put(v, x: rect.x, y: y, style: style)
            buffer.put(v, x: rect.maxX - 1, y: y, style: style)
        }
        buffer.put(symbols.bottomLeft + String(repeating: h, count: rect.width - 2) + symbols.bottomRight, x: rect.x, y: rect.maxY - 1, style: style)
        if let title, rect.width > 6 {
            buffer.put(" " + TextWidth.truncate(title, to: rect.width - 6) + " ", x: rect.x + 2, y: rect.y, style: titleStyle)
        }
        return rect.inset(by: 1)
    }
}

extension Rect {
    /// Splits into a left part of `width` columns and the rest.
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let c = min(max(columns, 0), width)
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }

    /// A rectangle of the given size centred in this one (clipped to it).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }
}
