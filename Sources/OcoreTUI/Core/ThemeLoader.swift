import Foundation
import TOMLKit

/// Reads theme files (`themes/NAME.toml`). A theme file sets styles by role; roles it leaves out
/// keep the built-in default's.
public enum ThemeLoader {
    public enum LoadError: Error, CustomStringConvertible {
        case notFound(String, searched: [String])
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case let .notFound(name, searched): "theme \"\(name)\" not found (looked in \(searched.joined(separator: ", ")))"
            case let .invalid(path, reason): "theme file \(path) is invalid: \(reason)"
            }
        }
    }

    /// Where theme files are looked for: `$OCORE_THEMES_DIR`, `share/ocore/themes` beside the
    /// installed binary, and a `themes/` folder above the binary (a source checkout's).
    public static func searchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var dirs: [String] = []
        if let explicit = environment["OCORE_THEMES_DIR"] { dirs.append(explicit) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        dirs.append((dir as NSString).deletingLastPathComponent + "/share/ocore/themes")
        for _ in 0..<5 {
            dirs.append(dir + "/themes")
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dirs
    }

    public static func load(named name: String, from directories: [String] = searchDirectories()) throws -> Theme {
        guard let path = directories.map({ "\($0)/\(name).toml" }).first(where: FileManager.default.fileExists) else {
            throw LoadError.notFound(name, searched: directories)
        }
        return try load(path: path)
    }

    public static func load(path: String) throws -> Theme {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LoadError.invalid(path: path, reason: "cannot read it")
        }
        do {
            return try parse(text)
        } catch let error as LoadError {
            throw error
        } catch let error as TOMLParseError {
            throw LoadError.invalid(path: path, reason: "line \(error.source.begin.line): \(error.description)")
        } catch {
            throw LoadError.invalid(path: path, reason: "\(error)")
        }
    }

    static func parse(_ text: String) throws -> Theme {
        let table = try TOMLTable(string: text)
        let name = table["name"]?.string ?? "custom"
        var theme = Theme(name: name, styles: Theme.builtInDefault.styles)
        guard let styles = table["styles"]?.table else { return theme }
        for key in styles.keys {
            guard let role = Theme.Role(rawValue: key) else {
                throw LoadError.invalid(path: name, reason: "unknown style \"\(key)\" (known: \(Theme.Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let entry = styles[key]?.table else { throw LoadError.invalid(path: name, reason: "style \(key) must be a table") }
            theme.styles[role] = try style(entry, role: key)
        }
        return theme
    }

    private static func style(_ entry: TOMLTable, role: String) throws -> Style {
        func color(_ key: String, _ fallbackKey: String) throws -> TerminalColor {
            guard let value = entry[key]?.int else { return .default }
            guard (0...255).contains(value) else { throw LoadError.invalid(path: role, reason: "\(key) must be 0-255") }
            let fallback = entry[fallbackKey]?.int ?? value % 8
            return .indexed(UInt8(value), fallback: UInt8(fallback % 8))
        }
        var attributes: TextAttributes = []
        for attr in entry["attrs"]?.array?.compactMap({ $0.string }) ?? [] {
            switch attr {
            case "bold": attributes.insert(.bold)
            case "dim": attributes.insert(.dim)
            case "reverse": attributes.insert(.reverse)
            case "underline": attributes.insert(.underline)
            default: throw LoadError.invalid(path: role, reason: "unknown attribute \"\(attr)\"")
            }
        }
        return Style(foreground: try color("fg", "fg8"), background: try color("bg", "bg8"), attributes: attributes)
    }
}
