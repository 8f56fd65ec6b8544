/// What a focused line of a form is: all the key grammar needs to know about it.
public enum FormControl: Equatable, Sendable {
    /// Typed into: every printable key is text, ←/→ move the cursor.
    case text
    /// `[x]`: Space or ←/→ flips it.
    case toggle
    /// `‹ value ›`: ←/→ (h/l) step through the values, Space steps forward.
    case choice
    /// `( )` one line of a radio group: Space or Enter selects it.
    case option
    /// `[ Start ]`: Space or Enter presses it.
    case button
}

/// A key as every form reads it (the clone wizard, the backup dialog, the restore dialog):
/// one grammar, so a key does the same thing in each.
///
/// | key | meaning |
/// |---|---|
/// | Esc | close the form |
/// | ↑ ↓ (k j outside a text field) | previous / next field |
/// | Tab, Shift-Tab | next / previous page in a form with pages, otherwise next / previous field |
/// | ← → (h l outside a text field) | change a choice or a toggle |
/// | Space (outside a text field) | flip a toggle, step a choice, select an option, press a button |
/// | Enter | press a button or select an option; elsewhere go on: the next field, and from the last one the next page, or start |
public enum FormInput: Equatable, Sendable {
    case close
    case move(Int)
    case page(Int)
    case change(Int)
    case activate
    case advance
    case edit(Key)
    case none

    public static func interpret(_ key: Key, on control: FormControl?, paged: Bool = false) -> FormInput {
        switch key {
        case .escape: return .close
        case .tab: return paged ? .page(1) : .move(1)
        case .backTab: return paged ? .page(-1) : .move(-1)
        case .down: return .move(1)
        case .up: return .move(-1)
        case .enter: return control == .button || control == .option ? .activate : .advance
        default: break
        }
        if control == .text { return .edit(key) }
        switch key {
        case .character("j"): return .move(1)
        case .character("k"): return .move(-1)
        case .left, .character("h"): return .change(-1)
        case .right, .character("l"): return .change(1)
        case .character(" "): return .activate
        default: return .none
        }
    }
}

public enum FormKeys {
    /// The grammar in one line, for a dialog's footer.
    public static let help = "Tab/↑↓ field · ←→ change · Space toggle · Enter next · Esc close"

    /// The field `delta` steps away, staying on the first or the last one at the ends (a
    /// held ↓ lands on the last line, the button).
    static func moved<F: Equatable>(_ current: F, by delta: Int, in fields: [F]) -> F {
        guard !fields.isEmpty else { return current }
        let index = fields.firstIndex(of: current) ?? 0
        return fields[min(max(index + delta, 0), fields.count - 1)]
    }

    /// Where Enter goes from `current` in a one-page form whose last field is its button: the next
    /// field, or nil — start — from the last field before the button.
    static func advanced<F: Equatable>(_ current: F, in fields: [F]) -> F? {
        let index = fields.firstIndex(of: current) ?? 0
        return index + 2 >= fields.count ? nil : fields[index + 1]
    }

    /// What is left of a key on a one-page form once the focus has moved (↑↓, Tab, Enter on a
    /// field): close it, submit it (the button pressed, or Enter from the last field before it),
    /// step the focused choice or toggle, or type into the focused text.
    enum OnePage: Equatable {
        case close, submit, change(Int), edit(Key), none
    }

    /// One rule for every one-page form (edit, odoo.conf, policy): the focus moves here, the form
    /// handles only what is its own.
    static func onePage<F: Equatable>(_ key: Key, focus: inout F, fields: [F], control: (F) -> FormControl) -> OnePage {
        switch FormInput.interpret(key, on: control(focus)) {
        case .close: return .close
        case .move(let delta), .page(let delta):
            focus = moved(focus, by: delta, in: fields)
            return .none
        case .change(let delta): return .change(delta)
        case .activate: return control(focus) == .button ? .submit : .change(1)
        case .advance:
            guard let next = advanced(focus, in: fields) else { return .submit }
            focus = next
            return .none
        case .edit(let key): return .edit(key)
        case .none: return .none
        }
    }

    /// `value` stepped by `delta` among `count` values, wrapping around.
    static func stepped(_ value: Int, by delta: Int, count: Int) -> Int {
        count > 0 ? (value + delta % count + count) % count : value
    }
}
