import OcoreModel
@testable import OcoreTUI
import Testing

@Suite("One key grammar for every form: the clone wizard, the backup dialog, the restore dialog")
struct FormKeysTests {
    @Test("a key means the same on the same kind of line: letters are text only in a text field, Tab pages only where there are pages")
    func grammar() {
        #expect(FormInput.interpret(.character("j"), on: .text) == .edit(.character("j")))
        #expect(FormInput.interpret(.character("j"), on: .toggle) == .move(1))
        #expect(FormInput.interpret(.character(" "), on: .text) == .edit(.character(" ")))
        #expect(FormInput.interpret(.character(" "), on: .toggle) == .activate)
        #expect(FormInput.interpret(.left, on: .text) == .edit(.left))
        #expect(FormInput.interpret(.left, on: .choice) == .change(-1))
        #expect(FormInput.interpret(.character("l"), on: .choice) == .change(1))
        #expect(FormInput.interpret(.enter, on: .button) == .activate)
        #expect(FormInput.interpret(.enter, on: .option) == .activate)
        #expect(FormInput.interpret(.enter, on: .toggle) == .advance)
        #expect(FormInput.interpret(.enter, on: .text) == .advance)
        #expect(FormInput.interpret(.tab, on: .toggle) == .move(1))
        #expect(FormInput.interpret(.tab, on: .toggle, paged: true) == .page(1))
        #expect(FormInput.interpret(.backTab, on: .text, paged: true) == .page(-1))
        #expect(FormInput.interpret(.escape, on: .text) == .close)
        #expect(FormInput.interpret(.down, on: .text) == .move(1))
    }

    @Test("Space flips the filestore box and Esc closes, in the wizard, the backup dialog and the restore dialog alike")
    func sameKeysEverywhere() {
        var s = dashboard([row("production", .production), row("staging")], width: 100, height: 36)
        _ = update(&s, .storagesLoaded([StorageChoice(name: "nas", kind: "dir", isDefault: true)]))

        press(&s, .down, .down, .character("c"), .tab, .tab)  // the wizard's Options page: the filestore line first
        guard case .cloneWizard(var wizard) = s.overlay else { Issue.record("no wizard"); return }
        #expect(wizard.focusedField == .filestore && wizard.includeFilestore)
        press(&s, .character(" "))
        if case .cloneWizard(let w) = s.overlay { wizard = w }
        #expect(!wizard.includeFilestore)
        press(&s, .escape)
        #expect(s.overlay == .none)

        press(&s, .character("b"), .down, .down, .down, .character(" "))
        guard case .backupDialog(let backupDialog) = s.overlay else { Issue.record("no backup dialog"); return }
        #expect(backupDialog.field == .filestore && !backupDialog.includeFilestore)
        press(&s, .escape)
        #expect(s.overlay == .none)

        press(&s, .character("2"))
        _ = update(&s, .environmentDetailsLoaded(environment: "staging", jobs: [], log: [], backups: [backup("b1", env: "staging", daysAgo: 1, now: s.now)]))
        press(&s, .character("R"), .down, .character(" "))  // from the safety box down to the filestore box
        guard case .restoreDialog(let restore) = s.overlay else { Issue.record("no restore dialog"); return }
        #expect(restore.field == .filestore && !restore.includeFilestore)
        press(&s, .escape)
        #expect(s.overlay == .none)
    }
}
