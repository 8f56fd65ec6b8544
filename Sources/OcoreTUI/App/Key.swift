/// A key press, decoded by the terminal backend (or scripted in tests).
public enum Key: Equatable, Hashable, Sendable {
    case character(Character)
    case control(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)
}

/// A click or a wheel turn at a screen cell (only with `--mouse`).
public struct MouseEvent: Equatable, Hashable, Sendable {
    public enum Kind: Sendable { case click, wheelUp, wheelDown }
    public var kind: Kind
    public var x: Int
    public var y: Int
}
