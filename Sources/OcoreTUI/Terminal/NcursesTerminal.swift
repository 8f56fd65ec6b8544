import CNcursesw
import COcoreSupport
import Foundation

/// The only code that touches the terminal. One thread (the one that created it) reads keys and
/// draws; each frame is `werase` + the buffer's cells + one `doupdate`, so ncurses sends only what
/// changed (never `clear` per frame, which resends the whole screen).
public final class NcursesTerminal {
    private let window: UnsafeMutablePointer<WINDOW>
    private let colorMode: ColorMode
    private var pairs: [PairKey: Int16] = [:]
    private var forceFullRedraw = false
    private var active = false

    enum ColorMode { case none, basic, full }

    private struct PairKey: Hashable { let fg: Int16, bg: Int16 }

    /// Takes over the terminal. `escDelayMs` is how long a lone Esc waits for a sequence.
    public init(useColor: Bool, escDelayMs: Int, mouse: Bool = false) throws {
        setlocale(LC_ALL, "")
        guard let w = initscr() else { throw TerminalError.noTerminal }
        window = w
        active = true
        ocore_install_terminal_restore(restoreTerminalOnSignal)
        raw()
        noecho()
        nonl()
        keypad(window, true)
        set_escdelay(Int32(escDelayMs))
        curs_set(0)
        if mouse { ocore_enable_mouse() }
        if useColor, has_colors() {
            start_color()
            use_default_colors()
            colorMode = ocore_colors() >= 256 ? .full : .basic
        } else {
            colorMode = .none
        }
    }

    deinit { end() }

    /// Gives the terminal back (idempotent).
    public func end() {
        guard active else { return }
        active = false
        endwin()
        ocore_remove_terminal_restore()
    }

    public var size: (width: Int, height: Int) {
        var rows: Int32 = 0, cols: Int32 = 0
        ocore_getmaxyx(window, &rows, &cols)
        return (Int(cols), Int(rows))
    }

    /// Rings the terminal bell (a job ended).
    public func bell() { beep() }

    /// Repaints everything on the next frame (Ctrl-L).
    public func invalidate() { forceFullRedraw = true }

    /// Copies `buffer` to the screen in one update.
    public func draw(_ buffer: CellBuffer) {
        if forceFullRedraw {
            clearok(window, true)
            forceFullRedraw = false
        }
        werase(window)
        var run: [wchar_t] = []
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                let style = buffer[x, y].style
                let startX = x
                run.removeAll(keepingCapacity: true)
                while x < buffer.width, buffer[x, y].style == style {
                    let cell = buffer[x, y]
                    if !cell.isContinuation { for scalar in cell.text.unicodeScalars { run.append(wchar_t(bitPattern: scalar.value)) } }
                    x += 1
                }
                // The bottom-right cell cannot be written without scrolling: leave it.
                if y == buffer.height - 1, x == buffer.width, !run.isEmpty { run.removeLast() }
                let (attr, pair) = attributes(for: style)
                run.withUnsafeBufferPointer { p in
                    _ = ocore_draw_run(window, Int32(y), Int32(startX), p.baseAddress, Int32(p.count), attr, pair)
                }
            }
        }
        wnoutrefresh(window)
        doupdate()
    }

    /// Waits up to `timeoutMs` for a key; nil on timeout. A resize arrives as `.resize`.
    public func readInput(timeoutMs: Int) -> TerminalInput? {
        wtimeout(window, Int32(timeoutMs))
        var ch: wint_t = 0
        let rc = wget_wch(window, &ch)
        if rc == ocore_err() { return nil }
        if rc == KEY_CODE_YES {
            if Int32(ch) == ocore_key_resize() { return .resize }
            if Int32(ch) == ocore_key_mouse() {
                var x: Int32 = 0, y: Int32 = 0
                switch ocore_get_mouse(&x, &y) {
                case 1: return .mouse(MouseEvent(kind: .click, x: Int(x), y: Int(y)))
                case 2: return .mouse(MouseEvent(kind: .wheelUp, x: Int(x), y: Int(y)))
                case 3: return .mouse(MouseEvent(kind: .wheelDown, x: Int(x), y: Int(y)))
                default: return nil
                }
            }
            return Self.functionKey(Int32(ch)).map(TerminalInput.key)
        }
        let value = UInt32(ch)
        switch value {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.control(Character(Unicode.Scalar(value + 96)!)))
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    private static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_BTAB: .backTab
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_ENTER: .enter
        case KEY_F0 + 1...KEY_F0 + 12: .function(Int(code - KEY_F0))
        default: nil
        }
    }

    private func attributes(for style: Style) -> (attr_t, Int16) {
        var attr = ocore_a_normal()
        if style.attributes.contains(.bold) { attr |= ocore_a_bold() }
        if style.attributes.contains(.dim) { attr |= ocore_a_dim() }
        if style.attributes.contains(.reverse) { attr |= ocore_a_reverse() }
        if style.attributes.contains(.underline) { attr |= ocore_a_underline() }
        guard colorMode != .none else { return (attr, 0) }
        let key = PairKey(fg: colorIndex(style.foreground), bg: colorIndex(style.background))
        if key.fg == -1 && key.bg == -1 { return (attr, 0) }
        if let pair = pairs[key] { return (attr, pair) }
        let pair = Int16(pairs.count + 1)
        init_pair(pair, key.fg, key.bg)
        pairs[key] = pair
        return (attr, pair)
    }

    private func colorIndex(_ color: TerminalColor) -> Int16 {
        switch color {
        case .default: -1
        case let .indexed(full, fallback): colorMode == .full ? Int16(full) : Int16(fallback)
        }
    }
}

public enum TerminalInput: Equatable {
    case key(Key)
    case mouse(MouseEvent)
    case resize
}

public enum TerminalError: Error, CustomStringConvertible {
    case noTerminal
    public var description: String { "cannot open the terminal (is TERM set and is this a terminal?)" }
}

/// Called from the C signal handler: endwin() so the shell gets a sane terminal back.
private let restoreTerminalOnSignal: @convention(c) () -> Void = { endwin() }
