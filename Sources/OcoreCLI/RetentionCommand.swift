import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "GFS retention: see what would be removed, and remove expired backups.",
        subcommands: [Sweep.self, Extend.self])

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sweep", abstract: "Delete expired backups (never a pinned one, never an environment's newest verified one).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this environment.") var environment: String?
        @Flag(name: .customLong("dry-run"), help: "Print each backup with keep/delete and the reason; delete nothing.") var dryRun = false
        @Option(name: .customLong("object-grace"), help: "Incremental backups: keep objects no backup needs for this long (e.g. 6h, 0h), so an interrupted backup's are reused. Default 6h.")
        var objectGrace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var request = RetentionSweepRequest(environment: environment, dryRun: dryRun)
            if let objectGrace {
                guard let hours = Double(objectGrace.hasSuffix("h") ? String(objectGrace.dropLast()) : objectGrace) else { throw CLIError("--object-grace takes hours, e.g. 6h") }
                request.objectGrace = hours * 3600
            }
            var storages: [ObjectSweepOutcome] = []
            let decisions = try request.run(store: try global.openStore()) { storages.append($0) }
            let failed = decisions.filter { $0.failure != nil }
            if json {
                try JSONOutput.print(decisions.map { SweepJSON(id: $0.backup.id, environment: $0.backup.environment, tier: $0.backup.tier.rawValue,
                                                               action: $0.delete ? ($0.failure == nil ? "delete" : "failed") : "keep", reason: $0.reason, error: $0.failure) }
                                     + storages.map { SweepJSON(objects: $0) })
            } else if decisions.isEmpty {
                print("no backups to consider")
                for s in storages { print(s.summary) }
            } else {
                var table = TextTable(header: ["BACKUP", "ENVIRONMENT", "TIER", dryRun ? "WOULD" : "DONE", "REASON"])
                for d in decisions {
                    let done = d.delete ? (dryRun ? "delete" : d.failure == nil ? "deleted" : "FAILED") : "keep"
                    table.rows.append([d.backup.id, d.backup.environment, d.backup.tier.rawValue, done, d.failure.map { "\(d.reason); \($0)" } ?? d.reason])
                }
                print(table.render())
                for s in storages { print(s.summary) }
            }
            // Every other deletion was still made; the failed ones stay listed and are tried again.
            if !failed.isEmpty { throw CLIError("\(failed.count) expired backup(s) could not be removed: \(failed.map(\.backup.id).joined(separator: ", ")) (see the table); the others were") }
        }
    }

    struct Extend: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "extend", abstract: "Keep a backup longer: move its expiry by some days.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Days to add.") var days: Int
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let expires = try BackupActions(store: try global.openStore()).extendExpiry(id, days: days, by: .current)
            if json { return try JSONOutput.print(["id": id, "expires_at": ISO8601DateFormatter().string(from: expires)]) }
            print("backup \(id) now expires \(ISO8601DateFormatter().string(from: expires))")
        }
    }

    struct SweepJSON: Encodable {
        var id: String?
        var environment: String?
        var tier: String?
        var action: String
        var reason: String
        var error: String?
        /// A storage's shared objects (incremental backups): what was, or would be, freed.
        var storage: String?
        var objects_removed: Int?
        var bytes_freed: Int64?

        init(id: String, environment: String, tier: String, action: String, reason: String, error: String?) {
            (self.id, self.environment, self.tier, self.action, self.reason, self.error) = (id, environment, tier, action, reason, error)
        }

        init(objects o: ObjectSweepOutcome) {
            action = o.skipped == nil ? (o.dryRun ? "would free" : "freed") : "skipped"
            reason = o.summary
            storage = o.storage
            objects_removed = o.removed
            bytes_freed = o.bytesFreed
        }
    }
}

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Scheduled backups and their GFS retention, per environment.", subcommands: [Set.self, Show.self, Disable.self, Enable.self, Remove.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", 
            abstract: "Back up an environment every day at a time, or every few hours from it (run by `ocore daemon` or `ocore backup run-due`).")
        @OptionGroup var global: GlobalOptions
        @Argument var environment: String
        @Option(help: ArgumentHelp("Local time of day: the day's first backup.", valueName: "HH:MM")) var at: String
        @Option(help: ArgumentHelp("Back up every N hours from --at (1h, 2h, 3h, 4h, 6h, 8h, 12h or hourly); the day's first backup is its daily.",
                                   valueName: "interval"))
        var every: String?
        @Option(help: "Hours a backup taken after the day's first is kept (with --every).") var hourly = 48
        @Option(name: .customLong("copy-to"), help: "Copy each completed backup to this second storage and check it there (3-2-1).") var copyTo: String?
        @Option(help: "Weekday whose backup becomes the weekly (sun…sat).") var weekday = "sun"
        @Option(help: "Days a daily backup is kept.") var daily = 7
        @Option(help: "Weeks a weekly backup is kept.") var weekly = 4
        @Option(help: "Months a monthly backup is kept.") var monthly = 12
        @Option(help: "Years a yearly backup is kept.") var yearly = 2
        @Option(help: "Storage target (default: the default storage).") var storage: String?
        @Flag(name: .customLong("no-filestore"), help: "Back up the database only.") var noFilestore = false
        @Option(help: "incremental (a new schedule's default: each backup sends only the tables and attachments the storage lacks), odoo-zip or folder; default: as the schedule was.")
        var format: BackupFormat?
        @Option(name: .customLong("restore-test"), help: ArgumentHelp("Every week on this day (sun…sat), restore the newest verified backup into a scratch environment, check it and record the evidence.", valueName: "weekday"))
        var restoreTest: String?

        func run() throws {
            var request = BackupPolicyRequest(environment: environment, at: at)
            request.weeklyWeekday = weekday
            (request.daily, request.weekly, request.monthly, request.yearly) = (daily, weekly, monthly, yearly)
            request.storage = storage
            request.includeFilestore = !noFilestore
            request.restoreTest = restoreTest
            request.every = every
            request.hourly = hourly
            request.copyTo = copyTo
            request.format = format
            let policy = try request.save(store: try global.openStore(), by: .current)
            print("\(environment): \(policy.summary)")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop an environment's scheduled backups and restore tests, keeping the schedule and its retention.")
        @OptionGroup var global: GlobalOptions
        @Argument var environment: String

        func run() throws {
            try BackupPolicySwitch(environment: environment, enabled: false).apply(store: try global.openStore(), by: .current)
            print("\(environment): scheduled backups switched off (`ocore policy enable \(environment)` turns them on again)")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Start a switched-off schedule again (a slot missed meanwhile runs once).")
        @OptionGroup var global: GlobalOptions
        @Argument var environment: String

        func run() throws {
            try BackupPolicySwitch(environment: environment, enabled: true).apply(store: try global.openStore(), by: .current)
            print("\(environment): scheduled backups switched on")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm",
            abstract: "Forget an environment's backup schedule. Its backups keep their expiry; later sweeps use the default retention.")
        @OptionGroup var global: GlobalOptions
        @Argument var environment: String

        func run() throws {
            try BackupPolicyRemoval(environment: environment).apply(store: try global.openStore(), by: .current)
            print("\(environment): backup schedule removed; its backups keep their expiry")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an environment's backup schedule and retention.")
        @OptionGroup var global: GlobalOptions
        @Argument var environment: String
        @Flag(help: "Print JSON (policy null when there is no schedule).") var json = false

        func run() throws {
            let store = try global.openStore()
            _ = try store.environment(named: environment)
            if json { return try JSONOutput.print(PolicyJSON(environment: environment, policy: try store.backupPolicy(environment: environment))) }
            guard let p = try store.backupPolicy(environment: environment) else {
                return print("\(environment) has no backup schedule (`ocore policy set \(environment) --at HH:MM`); retention defaults: 7 days, 4 weeks, 12 months, 2 years")
            }
            let r = p.retention
            print("\(environment): \(p.cadence), \(p.format.rawValue), to \(p.storage ?? "the default storage")\(p.copyTo.map { ", copied to \($0)" } ?? "")\(p.includeFilestore ? "" : ", database only")"
                  + (p.enabled ? "" : " (switched off)"))
            print("  keep " + (r.hourlyHours.map { "the day's later backups \($0) hours, " } ?? "") + "\(r.dailyDays) days, \(r.weeklyWeeks) weeks (\(RetentionPolicy.weekdays[r.weeklyWeekday - 1])), \(r.monthlyMonths) months, \(r.yearlyYears) years")
            print("  last run \(p.lastRunAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never")")
            if let day = p.restoreTestWeekday {
                let last = try store.backups(environment: environment).compactMap { b in b.restoreTestStartedAt.map { (b, $0) } }.max { $0.1 < $1.1 }
                let evidence = last.map { b, at in "last \(ISO8601DateFormatter().string(from: at)) on \(b.id)\(b.restoreTestEvidence?.ok == true ? ", passed" : ", FAILED")" } ?? "none yet"
                print("  restore test every \(RetentionPolicy.weekdays[day - 1]) at \(p.at) (\(evidence))")
            }
        }
    }
}

/// `ocore policy show --json`: the schedule, its retention tiers and restore test.
struct PolicyJSON: Encodable {
    let environment: String
    let policy: BackupPolicyRecord?

    enum Keys: String, CodingKey { case environment, policy }
    enum PolicyKeys: String, CodingKey { case at, every_hours, enabled, storage, copy_to, include_filestore, retention, restore_test_weekday, last_run_at, format }
    enum RetentionKeys: String, CodingKey { case hourly_hours, daily_days, weekly_weeks, weekly_weekday, monthly_months, yearly_years }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(environment, forKey: .environment)
        guard let p = policy else { return try c.encodeNil(forKey: .policy) }
        var pc = c.nestedContainer(keyedBy: PolicyKeys.self, forKey: .policy)
        try pc.encode(p.at, forKey: .at)
        try pc.encodeNullable(p.everyHours, forKey: .every_hours)
        try pc.encode(p.enabled, forKey: .enabled)
        try pc.encodeNullable(p.storage, forKey: .storage)
        try pc.encodeNullable(p.copyTo, forKey: .copy_to)
        try pc.encode(p.includeFilestore, forKey: .include_filestore)
        try pc.encode(p.format.rawValue, forKey: .format)
        try pc.encodeNullable(p.restoreTestWeekday.map { RetentionPolicy.weekdays[$0 - 1] }, forKey: .restore_test_weekday)
        try pc.encodeNullable(p.lastRunAt.map { ISO8601DateFormatter().string(from: $0) }, forKey: .last_run_at)
        var rc = pc.nestedContainer(keyedBy: RetentionKeys.self, forKey: .retention)
        try rc.encodeNullable(p.retention.hourlyHours, forKey: .hourly_hours)
        try rc.encode(p.retention.dailyDays, forKey: .daily_days)
        try rc.encode(p.retention.weeklyWeeks, forKey: .weekly_weeks)
        try rc.encode(RetentionPolicy.weekdays[p.retention.weeklyWeekday - 1], forKey: .weekly_weekday)
        try rc.encode(p.retention.monthlyMonths, forKey: .monthly_months)
        try rc.encode(p.retention.yearlyYears, forKey: .yearly_years)
    }
}
