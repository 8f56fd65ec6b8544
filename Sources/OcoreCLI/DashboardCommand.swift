import ArgumentParser
import Foundation
import OcoreStore
import OcoreTUI

/// Options of the full-screen dashboard.
struct DashboardOptions: ParsableArguments {
    @Option(help: "Theme name from the themes/ folder: default, mono, … (NO_COLOR selects mono).") var theme: String?

    /// The chosen theme; a missing or broken theme file falls back to the default with a warning.
    func resolvedTheme(environment: [String: String] = ProcessInfo.processInfo.environment) -> (Theme, warning: String?) {
        let name = theme ?? (environment["NO_COLOR"].map { !$0.isEmpty } == true ? "mono" : "default")
        do {
            return (try ThemeLoader.load(named: name), nil)
        } catch {
            let builtIn: Theme = name == "mono" ? .mono : .builtInDefault
            return (builtIn, name == builtIn.name && theme == nil ? nil : "\(error); using the built-in \(builtIn.name) theme")
        }
    }
}

/// `ocore dashboard` (also plain `ocore`): the full-screen terminal dashboard.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Open the terminal dashboard (the default when no command is given).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: DashboardOptions

    func run() throws {
        try Self.openDashboard(global: global, options: options)
    }

    static func openDashboard(global: GlobalOptions, options: DashboardOptions) throws {
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw CLIError("the dashboard needs a terminal; use the commands (`ocore env list`, …) in scripts")
        }
        let store = try global.openStore()
        let (theme, warning) = options.resolvedTheme()
        if let warning { FileHandle.standardError.write(Data("ocore: \(warning)\n".utf8)) }
        let settings = DashboardSettings(theme: theme, escDelayMs: DashboardSettings.escDelay())
        try DashboardRuntime(store: store, settings: settings).run()
    }
}
