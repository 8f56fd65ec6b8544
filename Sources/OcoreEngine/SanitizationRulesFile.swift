import Foundation
import OcoreModel
import OcoreStore
import TOMLKit

/// An operator's classification of columns, as `sanitization.toml` writes it:
///
///     [columns]
///     "x_connector.api_token" = "clear"
///     "x_crm_extra.notes"     = "safe"
///     "x_bank_info.iban"      = "sql: 'XX00' || id"
///
/// A project's file (`<home>/projects/<project>/sanitization.toml`) holds for all its
/// environments; an environment's own (`<home>/environments/<env>/sanitization.toml`) refines it
/// (for a clone: the source's, then the target's).
/// The CLI's `clone --rules FILE` and the dashboard read the same files through here, and the
/// rules travel with the job, so a clone resumed later applies what was checked.
public enum SanitizationRulesFile {
    public static func projectPath(_ home: StateHome, project: String) -> String { home.path + "/projects/\(project)/sanitization.toml" }
    public static func environmentPath(_ home: StateHome, environment: String) -> String { home.path + "/environments/\(environment)/sanitization.toml" }

    /// The rules for a copy of `project`'s data: the project's file refined by each of the
    /// `environments`' own in turn, or only the file given (`--rules`). Absent files are no
    /// rules; a file that cannot be read or parsed is an error.
    public static func load(home: StateHome?, project: String, environments: [String], override: String? = nil) throws -> SanitizationRules {
        if let override { return try read(override, required: true) }
        guard let home else { return SanitizationRules() }
        var rules = try read(projectPath(home, project: project), required: false)
        for environment in environments { rules = rules.refined(by: try read(environmentPath(home, environment: environment), required: false)) }
        return rules
    }

    public static func read(_ path: String, required: Bool) throws -> SanitizationRules {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw RequestRefusal("\(path): no such file") }
            return SanitizationRules()
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw RequestRefusal("cannot read \(path): \(error.localizedDescription)") }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> SanitizationRules {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw RequestRefusal("\(path) is not valid TOML: \(error)") }
        var rules = SanitizationRules()
        for key in table.keys {
            guard key == "columns", let columns = table[key]?.table else {
                throw RequestRefusal("\(path): unknown setting \(key) (write the rules under [columns])")
            }
            for column in columns.keys.sorted() {
                guard let rule = columns[column]?.string else {
                    throw RequestRefusal("\(path): \(column) takes a string: safe, clear, null, email, phone, fake_name or \"sql: EXPRESSION\"")
                }
                do { try rules.add(key: column, rule: rule) } catch { throw RequestRefusal("\(path): \(error)") }
            }
        }
        return rules
    }
}
