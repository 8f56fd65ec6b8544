import ArgumentParser
import Foundation
import OcoreStore
import OcoreTUI

/// Options of the full-screen dashboard.
struct DashboardOptions: ParsableArguments {
    @Option(help: "Theme: default or mono (NO_COLOR also selects mono).") var theme: String?

    func resolvedTheme(environment: [String: String] = ProcessInfo.processInfo.environment) -> Theme {
        if theme == "mono" || (theme == nil && environment["NO_COLOR"].map { !$0.isEmpty } == true) { return .mono }
        return .builtInDefault
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
        let settings = DashboardSettings(theme: options.resolvedTheme(), escDelayMs: DashboardSettings.escDelay())
        try DashboardRuntime(store: store, settings: settings).run()
    }
}
