import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore

/// `ocore refresh`: an environment replaced by a sanitized copy of another every week.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "Refresh an environment from another every week (a replace with every safety: backup first, service stopped and started).",
        subcommands: [Set.self, Show.self, Remove.self, RunNow.self], defaultSubcommand: Show.self)

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Refresh TARGET from a source every week (run by `ocore daemon` or `ocore backup run-due`).")
        @OptionGroup var global: GlobalOptions
        @Argument var target: String
        @Option(help: "The environment copied from.") var from: String
        @Option(help: "Weekday (sun…sat).") var weekday: String
        @Option(help: ArgumentHelp("Local time of day.", valueName: "HH:MM")) var at: String
        @Option(help: "recommended, minimal or full.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
        @Option(name: .customLong("keep-users"), help: ArgumentHelp("Logins that keep their passwords on the target through every refresh.", valueName: "login[,login…]"))
        var keepUsers: String?
        @Option(help: ArgumentHelp("Repeat the target's name: every refresh replaces it.", valueName: "target")) var confirm: String?

        func run() throws {
            var request = RefreshScheduleRequest(target: target, source: from, weekday: weekday, at: at)
            request.preset = preset
            request.confirmation = confirm
            request.keepUsers = (keepUsers ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let schedule = try request.save(store: try global.openStore(), by: .current)
            print("\(target): refreshed \(schedule.summary)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the refresh schedules.")
        @OptionGroup var global: GlobalOptions
        @Argument var target: String?

        func run() throws {
            let store = try global.openStore()
            let schedules = try store.refreshSchedules().filter { target == nil || $0.target == target }
            guard !schedules.isEmpty else { return print("no refresh schedule\(target.map { " for \($0)" } ?? "") (`ocore refresh set TARGET --from SOURCE --weekday sun --at 03:00 --confirm TARGET`)") }
            for s in schedules {
                print("\(s.target): \(s.summary); last run \(s.lastRunAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never")")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Stop refreshing an environment.")
        @OptionGroup var global: GlobalOptions
        @Argument var target: String

        func run() throws {
            let store = try global.openStore()
            try RefreshScheduleRemoval(target: target).apply(store: store, by: .current)
            print("\(target) is no longer refreshed")
        }
    }

    struct RunNow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-now", abstract: "Refresh an environment now, as its schedule would.")
        @OptionGroup var global: GlobalOptions
        @Argument var target: String
        @Flag(help: "Queue the refresh and return at once.") var detach = false

        func run() throws {
            let store = try global.openStore()
            guard let schedule = try store.refreshSchedule(target: target) else {
                throw CLIError("\(target) has no refresh schedule: `ocore refresh set \(target) --from SOURCE --weekday sun --at 03:00 --confirm \(target)`")
            }
            let id = try BackupScheduler(store: store, home: global.stateHome).startRefresh(schedule)
            try JobFollower.followQueued(id, "refresh of \(target)", detach: detach, store: store, home: global.stateHome)
        }
    }
}
