/// A terminal colour: the terminal's default, or an index of the 256-colour palette with the
/// nearest of the 8 basic colours for terminals that have only those.
public enum TerminalColor: Equatable, Hashable, Sendable {
    case `default`
    case indexed(UInt8, fallback: UInt8)

    public static func basic(_ n: UInt8) -> TerminalColor { .indexed(n, fallback: n % 8) }
}

/// Text attributes, independent of colour (what a monochrome theme relies on).
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let reverse = TextAttributes(rawValue: 1 << 2)
    public static let underline = TextAttributes(rawValue: 1 << 3)
}

/// How a cell looks.
public struct Style: Equatable, Hashable, Sendable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var attributes: TextAttributes

    public init(foreground: TerminalColor = .default, background: TerminalColor = .default, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = Style()

    public func adding(_ attributes: TextAttributes) -> Style {
        var copy = self
        copy.attributes.formUnion(attributes)
        return copy
    }
}
