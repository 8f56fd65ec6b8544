import Foundation
@testable import OcoreTUI
import Testing

@Suite("Theme files")
struct ThemeTests {
    /// The repository's themes/ folder, found from this source file.
    var themesDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes").path
    }

    @Test("the shipped default and mono files describe exactly the built-in themes")
    func shippedFilesMatchBuiltIns() throws {
        let fileDefault = try ThemeLoader.load(named: "default", from: [themesDirectory])
        #expect(fileDefault.styles == Theme.builtInDefault.styles)
        let fileMono = try ThemeLoader.load(named: "mono", from: [themesDirectory])
        #expect(fileMono.styles == Theme.mono.styles)
    }

    @Test("a theme overrides only the roles it names")
    func partialTheme() throws {
        let theme = try ThemeLoader.parse("name = \"x\"\n[styles]\ndanger = { fg = 196, fg8 = 1, attrs = [\"bold\", \"underline\"] }\n")
        #expect(theme[.danger] == Style(foreground: .indexed(196, fallback: 1), attributes: [.bold, .underline]))
        #expect(theme[.text] == Theme.builtInDefault[.text])
    }

    @Test("broken theme files are refused with a reason", arguments: [
        "[styles]\nnope = {}\n", "[styles]\ntext = { fg = 999 }\n", "[styles]\ntext = { attrs = [\"blink\"] }\n", "[styles\n",
    ])
    func broken(text: String) throws {
        let dir = NSTemporaryDirectory() + "ocore-theme-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        #expect(throws: ThemeLoader.LoadError.self) { try ThemeLoader.load(named: "bad", from: [dir]) }
    }
}
