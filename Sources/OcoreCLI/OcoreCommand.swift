import ArgumentParser
import Foundation
import OcoreStore

/// `ocore`: with no subcommand it opens the dashboard; every dashboard action is also a command.
public struct OcoreCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ocore",
        abstract: "Operate Odoo environments: see them, clone, back up and restore.",
        discussion: "Run without a command to open the terminal dashboard.",
        subcommands: [ServerCommand.self, EnvCommand.self, StorageCommand.self, InventoryCommand.self,
                      DemoCommand.self, CloneCommand.self, CloneCommand.Preview.self, BackupCommand.self, RestoreCommand.self, RestoreCommand.Import.self, RestorePointsCommand.self, RetentionCommand.self, PolicyCommand.self, RefreshCommand.self, GoldenCommand.self, JobsCommand.self, AuditCommand.self, WorkerCommand.self, DaemonCommand.self, NotifyCommand.self, DashboardCommand.self])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dashboard: DashboardOptions

    public init() {}

    public func run() throws {
        try DashboardCommand.openDashboard(global: global, options: dashboard)
    }
}

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("State directory (default: $OCORE_HOME, else ~/.local/state/ocore).", valueName: "dir"))
    public var home: String?

    public init() {}

    public var stateHome: StateHome { StateHome.resolve(explicit: home) }

    /// Opens (creating if needed) the state store.
    public func openStore() throws -> SQLiteStateStore {
        try SQLiteStateStore(home: stateHome)
    }
}

/// Entry point used by the `ocore` executable: runs the command and turns errors into one line
/// on stderr and a non-zero exit status.
public enum OcoreMain {
    public static func main() {
        do {
            var command = try OcoreCommand.parseAsRoot(route(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as CleanExit {
            OcoreCommand.exit(withError: error)
        } catch let error as ExitCode {
            OcoreCommand.exit(withError: error)
        } catch let error where isOurs(error) {
            FileHandle.standardError.write(Data("ocore: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            OcoreCommand.exit(withError: error)
        }
    }

    /// `clone SOURCE …` and `clone preview SOURCE …` share a first word; the parser cannot mix a
    /// positional argument with a subcommand, so the preview is routed to its own command.
    static func route(_ arguments: [String]) -> [String] {
        guard arguments.count >= 2 else { return arguments }
        switch (arguments[0], arguments[1]) {
        case ("clone", "preview"): return ["clone-preview"] + arguments.dropFirst(2)
        case ("restore", "import"): return ["restore-import"] + arguments.dropFirst(2)
        default: return arguments
        }
    }

    /// Errors from ocore's own modules print as they are; argument errors keep the parser's format.
    static func isOurs(_ error: Error) -> Bool {
        let module = String(reflecting: type(of: error)).split(separator: ".").first ?? ""
        return module.hasPrefix("Ocore")
    }
}

/// A refusal or failure detected by a command itself.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
