/// A key press, decoded by the terminal backend (or scripted in tests).
public enum Key: Equatable, Hashable, Sendable {
    case character(Character)
    case control(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)
}
