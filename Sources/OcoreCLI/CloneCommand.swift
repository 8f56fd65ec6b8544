import ArgumentParser
import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

extension SanitizationCatalog.Preset: ExpressibleByArgument {}

struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone", abstract: "Copy an environment with data sanitization.",
        discussion: "The clone itself is being built; `clone preview` shows what each sanitization option would change.",
        subcommands: [Preview.self])

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count, on the source (read-only), the rows each sanitization option would change, with sizes and a time estimate.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Source environment.") var source: String
        @Option(help: "recommended, minimal, full or none.") var preset: SanitizationCatalog.Preset = SanitizationCatalog.defaultPreset
        @Option(help: ArgumentHelp("Options to add to the preset.", valueName: "key[,key…]")) var enable: String?
        @Option(help: ArgumentHelp("Options to remove from the preset.", valueName: "key[,key…]")) var disable: String?
        @Flag(help: "Print JSON (the seeds' clone-options shape).") var json = false

        func run() throws {
            let split = { (s: String?) in s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [] }
            let enabled = try SanitizationCatalog.resolve(preset: preset, enable: split(enable), disable: split(disable))
            let env = try global.openStore().resolvedEnvironment(named: source)
            let executor = Executors.forServer(env.server)
            let psql = PSQL(executor: executor, connection: PostgresConnection(env))
            let started = ContinuousClock.now
            let impacts = try ImpactPreview(psql: psql).run()
            let elapsed = ContinuousClock.now - started
            let databaseSize = Int64(try psql.scalar("SELECT pg_database_size(current_database())") ?? "") ?? 0
            let filestoreSize = try? RemoteFileSystem(executor).treeSize(env.filestore)
            let estimate = SanitizationCatalog.estimatedSeconds(databaseBytes: databaseSize, filestoreBytes: filestoreSize ?? 0,
                                                                crossServer: false, preset: preset)
            let affected = impacts.filter { enabled.contains($0.key) }.compactMap(\.count).reduce(0, +)
            if json {
                let options: [[String: Any]] = SanitizationCatalog.options.map { option in
                    let impact = impacts.first { $0.key == option.key }
                    var entry: [String: Any] = ["key": option.key, "name": option.name, "description": option.description,
                                                "category": option.category.rawValue, "priority": option.priority.rawValue,
                                                "default_enabled": option.defaultEnabled, "always_enabled": option.alwaysOn,
                                                "enabled": enabled.contains(option.key), "impact_preview": impact?.text ?? "",
                                                "impact_count": impact?.count as Any? ?? NSNull()]
                    if let reason = impact?.skippedReason { entry["skipped_reason"] = reason }
                    return entry
                }
                let presets = Dictionary(uniqueKeysWithValues: SanitizationCatalog.Preset.allCases.map { ($0.rawValue, SanitizationCatalog.keys(for: $0)) })
                let document: [String: Any] = [
                    "source": source, "available_options": options, "presets": presets, "default_preset": SanitizationCatalog.defaultPreset.rawValue,
                    "preset": preset.rawValue, "enabled_options": enabled, "affected_records": affected,
                    "database_size": databaseSize, "filestore_size": filestoreSize as Any? ?? NSNull(),
                    "estimated_seconds": Int(estimate.rounded()), "preview_ms": Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                ]
                let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                FileHandle.standardOutput.write(data + Data("\n".utf8))
                return
            }
            print("Sanitization preview for \(source) — preset \(preset.rawValue) (\(preset.badge))")
            for category in SanitizationOption.Category.allCases {
                print("\n\(category.rawValue.replacingOccurrences(of: "_", with: " ").uppercased())")
                for option in SanitizationCatalog.options where option.category == category {
                    let impact = impacts.first { $0.key == option.key }
                    let mark = enabled.contains(option.key) ? "[x]" : "[ ]"
                    print("  \(mark) \(option.name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(impact?.text ?? "")")
                }
            }
            print("\nAffects approximately \(affected.formatted()) records.")
            print("Database \(formatBytes(databaseSize)), filestore \(filestoreSize.map(formatBytes) ?? "?"), estimated clone time ~\(formatSeconds(estimate)) (counted in \(Int(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)) ms).")
        }
    }
}
