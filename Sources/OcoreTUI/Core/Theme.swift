/// The styles screens draw with, by role, and the symbols they use. Themes are TOML files in the
/// top-level `themes/` folder (see ``ThemeLoader``); ``Theme/builtInDefault`` is the fallback.
public struct Theme: Equatable, Sendable {
    public enum Role: String, CaseIterable, Sendable {
        case text, muted, title, header, selection, danger, warning, success, border, keyHint, statusBar
    }

    public var name: String
    public var styles: [Role: Style]
    public var symbols: Symbols

    public init(name: String, styles: [Role: Style], symbols: Symbols = .unicode) {
        self.name = name
        self.styles = styles
        self.symbols = symbols
    }

    public subscript(role: Role) -> Style { styles[role] ?? .plain }

    /// Dark, 256 colours (each with its 8-colour fallback).
    public static let builtInDefault = Theme(name: "default", styles: [
        .text: Style(foreground: .indexed(252, fallback: 7)),
        .muted: Style(foreground: .indexed(245, fallback: 7), attributes: .dim),
        .title: Style(foreground: .indexed(81, fallback: 6), attributes: .bold),
        .header: Style(foreground: .indexed(250, fallback: 7), background: .indexed(237, fallback: 0), attributes: .bold),
        .selection: Style(foreground: .indexed(231, fallback: 7), background: .indexed(25, fallback: 4), attributes: .bold),
        .danger: Style(foreground: .indexed(203, fallback: 1), attributes: .bold),
        .warning: Style(foreground: .indexed(214, fallback: 3)),
        .success: Style(foreground: .indexed(114, fallback: 2)),
        .border: Style(foreground: .indexed(240, fallback: 7)),
        .keyHint: Style(foreground: .indexed(81, fallback: 6), attributes: .bold),
        .statusBar: Style(foreground: .indexed(252, fallback: 7), background: .indexed(236, fallback: 0)),
    ])

    /// Attributes only, for NO_COLOR and `--theme mono`.
    public static let mono = Theme(name: "mono", styles: [
        .text: .plain, .muted: Style(attributes: .dim), .title: Style(attributes: .bold),
        .header: Style(attributes: [.bold, .underline]), .selection: Style(attributes: .reverse),
        .danger: Style(attributes: [.bold, .underline]), .warning: Style(attributes: .bold), .success: .plain,
        .border: .plain, .keyHint: Style(attributes: .bold), .statusBar: Style(attributes: .reverse),
    ])
}

/// Box drawing and status symbols, in Unicode or plain ASCII (`--ascii`, non-UTF-8 locales).
public struct Symbols: Equatable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
    public var statusDot, protectedMark, ellipsis, selectionMark: String
    public var checked, unchecked, radioOn, radioOff: String
    public var done, failed, pending, barFull, barEmpty, scrollThumb: String
    public var expanded, collapsed: String
    public var spinner: [String]

    public static let unicode = Symbols(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
                                        statusDot: "●", protectedMark: "✱", ellipsis: "…", selectionMark: "▶",
                                        checked: "[x]", unchecked: "[ ]", radioOn: "(•)", radioOff: "( )",
                                        done: "✓", failed: "✗", pending: "·", barFull: "█", barEmpty: "░", scrollThumb: "█",
                                        expanded: "▾", collapsed: "▸", spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"])
    public static let ascii = Symbols(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
                                      statusDot: "*", protectedMark: "!", ellipsis: "...", selectionMark: ">",
                                      checked: "[x]", unchecked: "[ ]", radioOn: "(*)", radioOff: "( )",
                                      done: "v", failed: "x", pending: ".", barFull: "#", barEmpty: "-", scrollThumb: "#",
                                      expanded: "-", collapsed: "+", spinner: ["|", "/", "-", "\\"])
}
