import OcoreModel

/// Scrolling log with levels coloured; `search` highlights matches, and the view follows the
/// tail unless scrolled back.
public struct LogViewState: Equatable, Sendable {
    /// Lines scrolled back from the end (0 = following the tail).
    public var scrollBack = 0
    public var search: String?
}

public struct LogView {
    public var lines: [JobLogLine]
    public var state: LogViewState

    /// Lines that match the search (all lines when there is none).
    public var visibleLines: [JobLogLine] {
        guard let search = state.search, !search.isEmpty else { return lines }
        return lines.filter { $0.message.localizedLowercase.contains(search.localizedLowercase) }
    }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        let shown = visibleLines
        let end = max(shown.count - state.scrollBack, 0)
        let start = max(end - rect.height, 0)
        for (i, line) in shown[start..<end].enumerated() {
            let style: Style = switch line.level {
            case .error: theme[.danger]
            case .warning: theme[.warning]
            case .debug: theme[.muted]
            case .info: theme[.text]
            }
            let time = line.at.count >= 19 ? String(line.at.dropFirst(11).prefix(8)) : line.at
            let used = buffer.put(time + " ", x: rect.x, y: rect.y + i, style: theme[.muted], maxWidth: rect.width)
            buffer.put(line.message, x: rect.x + used, y: rect.y + i, style: style, maxWidth: rect.width - used)
        }
        if shown.isEmpty {
            buffer.put(state.search.map { "no log lines match \"\($0)\"" } ?? "no log lines yet", x: rect.x, y: rect.y, style: theme[.muted], maxWidth: rect.width)
        }
    }
}

/// A one-line notification that disappears after a while.
public struct Toast: Equatable, Sendable {
    public enum Kind: Sendable { case info, success, error }
    public var message: String
    public var kind: Kind
    public var expiresAt: Double

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        let style: Style = switch kind {
        case .info: theme[.statusBar]
        case .success: theme[.success].adding(.reverse)
        case .error: theme[.danger].adding(.reverse)
        }
        buffer.fill(rect, style: style)
        buffer.put(" " + message, x: rect.x, y: rect.y, style: style, maxWidth: rect.width)
    }
}

/// The bottom bar: key and what it does.
public struct KeyHints {
    public var hints: [(String, String)]

    public init(_ hints: [(String, String)]) { self.hints = hints }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        buffer.fill(rect, style: theme[.statusBar])
        var x = rect.x + 1
        for (key, label) in hints {
            guard x + TextWidth.of(key) + 1 < rect.maxX else { break }
            x += buffer.put(key, x: x, y: rect.y, style: theme[.statusBar].adding(.bold), maxWidth: rect.maxX - x)
            x += buffer.put(" \(label)  ", x: x, y: rect.y, style: theme[.statusBar], maxWidth: rect.maxX - x)
        }
    }
}
