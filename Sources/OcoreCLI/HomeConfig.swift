import Foundation
import OcoreStore
import TOMLKit

/// `config.toml` in the state home: settings that hold for everyone using this home.
///
///     readonly = true   # the dashboard shows everything and changes nothing (for people who watch)
struct HomeConfig: Equatable {
    var readOnly = false

    static func path(_ home: StateHome) -> String { home.path + "/config.toml" }

    /// The file's settings; none when it is absent. A file that cannot be read is an error, not
    /// a silent default: a watcher's read-only home must not quietly become writable.
    static func load(_ home: StateHome) throws -> HomeConfig {
        let path = path(home)
        guard FileManager.default.fileExists(atPath: path) else { return HomeConfig() }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw CLIError("cannot read \(path): \(error.localizedDescription)") }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw CLIError("\(path) is not valid TOML: \(error)") }
        var config = HomeConfig()
        for key in table.keys {
            switch key {
            case "readonly":
                guard let value = table[key]?.bool else { throw CLIError("\(path): readonly takes true or false") }
                config.readOnly = value
            default:
                throw CLIError("\(path): unknown setting \(key) (known: readonly)")
            }
        }
        return config
    }
}
