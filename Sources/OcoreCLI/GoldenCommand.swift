import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreRemote
import OcoreStore

/// `ocore golden`: sanitized copies of an environment kept as templates, cloned in seconds.
struct GoldenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "golden",
        abstract: "Golden copies: a sanitized copy of an environment kept on a server as a template, cloned in seconds with `ocore clone SOURCE --new NAME --from-golden`.",
        subcommands: [Refresh.self, List.self, Show.self, Schedule.self, Remove.self], defaultSubcommand: List.self)

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refresh",
            abstract: "Make or replace SOURCE's golden copy: a sanitizing clone, sealed as a template that accepts no connections; the previous one stays usable until the new one is in place.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The environment copied (usually production).") var source: String
        @Option(help: "recommended, minimal or full.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
        @Option(help: "The server it lives on (default: the source's).") var server: String?
        @Flag(help: "Queue the refresh and return at once.") var detach = false

        func run() throws {
            var request = GoldenRefreshRequest(source: source, server: server)
            request.preset = preset
            let store = try global.openStore()
            let prepared = try request.prepare(store: store, home: global.stateHome)
            for warning in prepared.warnings { FileHandle.standardError.write(Data("ocore: \(warning)\n".utf8)) }
            let id = try request.submit(prepared, store: store, home: global.stateHome)
            try JobFollower.followQueued(id, "golden refresh of \(source)", detach: detach, store: store, home: global.stateHome)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The golden copies: source, server, how old the data is, preset, proof, size.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let copies = try store.goldenCopies()
            if json { return try JSONOutput.print(copies.map(GoldenJSON.init)) }
            guard !copies.isEmpty else { return print("no golden copy yet: `ocore golden refresh production` makes one") }
            var table = TextTable(header: ["SOURCE", "SERVER", "DATA AS OF", "PRESET", "PROOF", "DATABASE", "SIZE"])
            for g in copies {
                table.rows.append([g.source, g.server, GoldenJSON.iso(g.dataAsOf), g.preset.rawValue, g.verdict, g.database,
                                   (g.databaseSize.map(formatBytes) ?? "?") + (g.filestoreSize.map { " + \(formatBytes($0)) files" } ?? "")])
            }
            print(table.render())
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One golden copy: its data's age, sanitization, proof, modules and schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument var source: String
        @Option(help: "The server (when it has copies on several).") var server: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let g = try GoldenSelection(source: source, server: server).one(store: store)
            if json { return try JSONOutput.print(GoldenJSON(g)) }
            let schedule = try store.goldenSchedules().first { $0.source == g.source && $0.server == g.server }
            print("""
                golden copy of \(g.source) on \(g.server): \(g.database)
                  data: \(g.summary())
                  made by job \(g.jobID); database \(g.databaseSize.map(formatBytes) ?? "?"), filestore \(g.filestore.map { "\($0) (\(g.filestoreSize.map(formatBytes) ?? "?"))" } ?? "none")
                  options: \(g.options.joined(separator: ", "))
                  modules: \(g.moduleVersions.count) installed
                  refreshed: \(schedule.map { "every day at \($0.at) (\($0.preset.rawValue))" } ?? "by hand (`ocore golden schedule \(g.source) --at 02:00`)")
                """)
        }
    }

    struct Schedule: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Refresh SOURCE's golden copy every day at a time (run by `ocore daemon`); --off stops it.")
        @OptionGroup var global: GlobalOptions
        @Argument var source: String
        @Option(help: ArgumentHelp("Local time of day.", valueName: "HH:MM")) var at: String?
        @Option(help: "recommended, minimal or full.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
        @Option(help: "The server it lives on (default: the source's).") var server: String?
        @Flag(help: "Stop refreshing it (the golden copy stays).") var off = false

        func run() throws {
            let store = try global.openStore()
            if off {
                let server = try self.server ?? store.resolvedEnvironment(named: source).server.name
                try store.removeGoldenSchedule(of: source, on: server)
                return print("the golden copy of \(source) on \(server) is no longer refreshed")
            }
            guard let at else { throw CLIError("give --at HH:MM (or --off)") }
            var request = GoldenScheduleRequest(source: source, server: server, at: at)
            request.preset = preset
            let schedule = try request.save(store: store, by: .current)
            print("the golden copy of \(source) on \(schedule.server) is refreshed every day at \(schedule.at) (\(schedule.preset.rawValue))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a golden copy: its template database, its filestore and its record (never while a job uses it).")
        @OptionGroup var global: GlobalOptions
        @Argument var source: String
        @Option(help: "The server (when it has copies on several).") var server: String?

        func run() throws {
            try GoldenRemoval(source: source, server: server).remove(store: try global.openStore(), by: .current)
            print("golden copy of \(source) removed")
        }
    }
}

/// A golden copy as `golden list|show --json` prints it.
struct GoldenJSON: Encodable {
    let source: String
    let server: String
    let database: String
    @Nullable var filestore: String?
    let preset: String
    let options: [String]
    let verdict: String
    let dataAsOf: String
    let jobID: Int64
    @Nullable var databaseSize: Int64?
    @Nullable var filestoreSize: Int64?
    let modules: [String: String]

    enum CodingKeys: String, CodingKey {
        case source, server, database, filestore, preset, options, verdict, modules, dataAsOf = "data_as_of", jobID = "job_id"
        case databaseSize = "database_size", filestoreSize = "filestore_size"
    }

    init(_ g: GoldenCopy) {
        (source, server, database, filestore, preset, options) = (g.source, g.server, g.database, g.filestore, g.preset.rawValue, g.options)
        (verdict, dataAsOf, jobID, databaseSize, filestoreSize, modules) = (g.verdict, Self.iso(g.dataAsOf), g.jobID, g.databaseSize, g.filestoreSize, g.moduleVersions)
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
