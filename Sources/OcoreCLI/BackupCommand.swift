import ArgumentParser
import Foundation
import OcoreArchive
import OcoreEngine
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStorage
import OcoreStore

extension BackupType: ExpressibleByArgument {}
extension BackupFormat: ExpressibleByArgument {}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Take, list, verify, export and remove backups (Odoo-format ZIP archives in storage).",
        subcommands: [Create.self, List.self, Show.self, Verify.self, Remove.self, Pin.self, Unpin.self, Export.self, URLCommand.self, RunDue.self],
        defaultSubcommand: List.self)

    /// `auto` (GFS by date) or an explicit tier.
    enum RetentionChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, daily, weekly, monthly, yearly, permanent
        var tier: RetentionTier? { RetentionTier(rawValue: rawValue) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Back up an environment's database (online) and filestore to storage.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Environment to back up.") var environment: String
        @Option(help: "Storage target (default: the default storage).") var storage: String?
        @Option(help: "manual, pre_restore, pre_upgrade, pre_replace or scheduled.") var type: BackupType = .manual
        @Flag(name: .customLong("no-filestore"), help: "Back up the database only.") var noFilestore = false
        @Option(help: "auto (GFS by date), daily, weekly, monthly, yearly or permanent.") var retention: RetentionChoice = .auto
        @Option(help: "odoo-zip (Odoo's own backup: its database manager and odoo-bin restore it), folder (a parallel directory-format dump, faster for large databases) or incremental (stores only the tables and attachments the storage does not hold yet).")
        var format: BackupFormat = .odooZip
        @Flag(help: "A sanitized backup to hand out: its data is sanitized as it is written (nothing unsanitized is ever written), with the attestation in its manifest; the filestore is left out unless --with-filestore.")
        var sanitized = false
        @Option(help: "With --sanitized: recommended (default), full or minimal.") var preset: SanitizationCatalog.Preset?
        @Flag(help: "With --sanitized: refuse while a personal or secret-like column would be left as it is.") var strict = false
        @Option(help: "With --sanitized: a sanitization.toml to use instead of the project's and the environment's.") var rules: String?
        @Flag(name: .customLong("with-filestore"), help: "With --sanitized: include the filestore as it is (attachments are not sanitized).")
        var withFilestore = false
        @Flag(help: "Queue the backup and return at once.") var detach = false
        @Flag(help: "Print the backup as JSON when it ends.") var json = false

        func run() throws {
            let store = try global.openStore()
            var request = BackupRequest(environment: environment)
            if sanitized {
                var s = BackupRequest.Sanitized()
                s.preset = preset ?? .recommended
                s.strict = strict
                s.rulesFile = rules
                s.withFilestore = withFilestore
                request.sanitized = s
            } else if preset != nil || strict || rules != nil || withFilestore {
                throw CLIError("--preset, --strict, --rules and --with-filestore describe a sanitized backup: add --sanitized")
            }
            request.storage = storage
            request.type = type
            request.includeFilestore = !noFilestore
            request.tier = retention.tier
            request.format = format
            let (id, jobID) = try request.submit(store: store, home: global.stateHome)
            if detach {
                return print(json ? "{\"id\": \"\(id)\", \"job\": \(jobID), \"status\": \"queued\"}" : "backup \(id) queued as job \(jobID); follow it with `ocore jobs show \(jobID) --follow`")
            }
            if !json { print("backup \(id) queued as job \(jobID)") }
            let status = try JobFollower(store: store, id: jobID, json: false, quiet: json, home: global.stateHome).run()
            if json { try JSONOutput.print(BackupJSON(try store.backup(id), copies: try store.backupCopies(of: id))) } else if status == .completed {
                let b = try store.backup(id)
                print("backup \(id): \(b.status.rawValue), \(formatBytes(b.size ?? 0)), tier \(b.tier.rawValue)\(b.isVerified ? ", verified" : "")\(b.sanitized.map { ", sanitized: \($0)" } ?? "")")
            }
            if status != .completed { throw ExitCode(1) }
            if try store.backup(id).status == .partial {
                throw CLIError("backup \(id) is PARTIAL: some filestore files could not be read (see `ocore jobs show \(jobID)`)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List backups, newest first (expired and deleted ones with --all).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this environment's backups.") var environment: String?
        @Flag(help: "Include expired, deleted and failed backups.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            if let environment { _ = try store.environment(named: environment) }
            let backups = try store.backups(environment: environment, includeGone: all).filter { all || $0.status != .failed }
            let copies = Dictionary(grouping: try store.backupCopies(environment: environment), by: \.backupID)
            if json { return try JSONOutput.print(backups.map { BackupJSON($0, copies: copies[$0.id] ?? []) }) }
            guard !backups.isEmpty else { return print("no backups\(environment.map { " of \($0)" } ?? "") yet (`ocore backup create ENV`)") }
            // SIZE is what a backup holds; ADDED what it cost its storage (an incremental one sends only what was not there).
            var table = TextTable(header: ["ID", "ENVIRONMENT", "STATUS", "✓", "SIZE", "ADDED", "TIER", "EXPIRES", "TYPE", "STORAGE"])
            for b in backups {
                // Where it exists: its storage, then each verified second copy.
                let also = (copies[b.id] ?? []).filter { $0.status == .completed }.map { "+" + $0.storage }
                table.rows.append([b.id, b.environment, b.status.rawValue, b.isVerified ? "✓" : "-", b.size.map(formatBytes) ?? "-",
                                   (b.addedBytes ?? (b.status.isRestorable ? b.size : nil)).map(formatBytes) ?? "-",
                                   b.pinned ? "pinned" : b.tier.rawValue, b.isPermanent ? "never" : b.expiresAt.map(Self.day) ?? "-",
                                   b.type.rawValue + (b.sanitized == nil ? "" : " [sanitized]"), ([b.storage] + also).joined(separator: " ")])
            }
            print(table.render())
        }

        static func day(_ date: Date) -> String {
            let f = DateFormatter()
            f.dateFormat = "yyyy-MM-dd"
            return f.string(from: date)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one backup.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let b = try store.backup(id)
            let copies = try store.backupCopies(of: id)
            if json { return try JSONOutput.print(BackupJSON(b, copies: copies)) }
            let iso = ISO8601DateFormatter()
            print("backup \(b.id) of \(b.environment) (\(b.project)): \(b.status.rawValue)\(b.isVerified ? ", verified \(iso.string(from: b.verifiedAt!))" : ", not verified")")
            print("  storage   \(b.storage): \(b.key)")
            for c in copies { print("  copy on   \(c.storage): \(c.status.rawValue)\(c.verifiedAt.map { ", verified \(iso.string(from: $0))" } ?? "")\(c.error.map { " (\($0))" } ?? "")") }
            print("  created   \(iso.string(from: b.createdAt)), \(b.type.rawValue), \(b.includeFilestore ? "database + filestore" : "database only")")
            print("  format    \(b.format.rawValue)")
            print("  size      \(b.size.map(formatBytes) ?? "-")\(b.addedBytes.map { " (\(formatBytes($0)) added to \(b.storage))" } ?? "")  sha256 \(b.sha256 ?? "-")")
            print("  retention \(b.pinned ? "pinned (permanent)" : b.tier.rawValue)\(b.isPermanent ? "" : b.expiresAt.map { ", expires \(iso.string(from: $0))" } ?? "")")
            print("  database  \(b.databaseName), Odoo \(b.odooVersion ?? "?"), \(b.neutralized == true ? "neutralized" : "not neutralized")")
            if let verdict = b.sanitized { print("  sanitized \(verdict) (the attestation: `ocore backup verify \(b.id)`)") }
            if let test = b.restoreTest { print("  restore test \(test)") }
            if let error = b.error { print("  error     \(error)") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", 
            abstract: "Download a backup again and check every checksum; --restore-test also restores it into a scratch database and checks that.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Flag(name: .customLong("restore-test"), help: "Restore into a scratch environment, verify it (tables, users, every attachment file), remove it, record the evidence.")
        var restoreTest = false
        @Option(help: "Server for the restore test (default: the backup's).") var server: String?
        @Flag(name: .customLong("read-data"), help: "Incremental backups: read every object back and check its hash (sizes only otherwise).")
        var readData = false
        @Option(name: .customLong("read-data-subset"), help: "Incremental backups: read back a random share of the objects, e.g. 10%.")
        var readDataSubset: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var request = VerificationRequest(backupID: id)
            request.restoreTest = restoreTest
            request.server = server
            if readData { request.readData = 1 }
            if let subset = readDataSubset {
                guard let percent = Double(subset.hasSuffix("%") ? String(subset.dropLast()) : subset) else {
                    throw CLIError("--read-data-subset takes a percentage, e.g. 10%")
                }
                request.readData = percent / 100
            }
            let result = try request.run(store: try global.openStore(), home: global.stateHome)
            let checks = result.checks.map { VerifyJSON.Check(name: $0.name, ok: $0.ok, detail: $0.detail) }
            let ok = result.ok
            if json {
                try JSONOutput.print(VerifyJSON(backup: id, ok: ok, checks: checks, sanitization: result.attestation))
            } else {
                for c in checks where !c.ok || !c.name.hasPrefix("filestore/") {
                    print("\(c.ok ? "✓" : "✗") \(c.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(c.detail)")
                }
                for line in result.attestation?.lines ?? [] { print(line) }
                print(ok ? "backup \(id) verified" : "backup \(id) FAILED verification")
            }
            if !ok { throw ExitCode(1) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a backup from storage (the record is kept as deleted).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Repeat the backup id to confirm.") var confirm: String?

        func run() throws {
            try BackupActions(store: try global.openStore()).delete(id, confirmation: confirm, by: .current)
            print("backup \(id) deleted")
        }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pin", abstract: "Keep a backup forever (retention never removes it).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws { try BackupCommand.setPinned(id, true, global) }
    }

    struct Unpin: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unpin", abstract: "Return a pinned backup to its tier's retention.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws { try BackupCommand.setPinned(id, false, global) }
    }

    static func setPinned(_ id: String, _ pinned: Bool, _ global: GlobalOptions) throws {
        let b = try BackupActions(store: try global.openStore()).setPinned(id, pinned, by: .current)
        print(pinned ? "backup \(id) pinned: it is never removed by retention" : "backup \(id) unpinned: \(b.tier.rawValue) retention applies")
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Download a backup's archive to a local file (importable by Odoo).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Argument(help: "Destination file (must not exist).") var path: String
        @Flag(help: "Decrypt an encrypted backup into the plain Odoo-importable ZIP.") var decrypt = false
        @Option(name: .customLong("from-storage"), help: "Read it from its second copy on this storage.") var fromStorage: String?

        func run() throws {
            let (size, decrypted) = try BackupActions(store: try global.openStore()).export(id, to: path, decrypt: decrypt, fromStorage: fromStorage)
            print("backup \(id) exported to \(path) (\(formatBytes(size)) stored, sha256 verified\(decrypted ? ", decrypted" : ""))")
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print a pre-signed download URL for a backup in S3 storage.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "Seconds the URL stays valid (at most 7 days).") var expires = 3600

        func run() throws {
            let store = try global.openStore()
            let b = try store.backup(id)
            guard b.status.isRestorable else { throw CLIError("backup \(id) is \(b.status.rawValue): nothing to download") }
            let target = try store.storage(named: b.storage)
            guard case .s3(let location) = target.location else {
                throw CLIError("pre-signed URLs exist for S3 storage only; \(b.storage) is \(target.location.kind): use `ocore backup export \(id) FILE`")
            }
            print(try S3Storage(location: location).presignedGetURL(key: b.key, expires: expires))
            // Whoever has the URL can download the backup until it expires: who made one is recorded.
            let who = JobQueue.requester()
            try store.audit(user: who.user, from: who.from, action: "backup.url", environment: b.environment, detail: "\(id), valid \(expires) s")
            if target.encryption != nil { FileHandle.standardError.write(Data("ocore: note: the object is encrypted; `ocore backup export \(id) FILE --decrypt` gives the plain archive\n".utf8)) }
        }
    }

    struct RunDue: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-due", abstract: "Start the scheduled backups, refreshes, golden refreshes and restore tests that are due (one pass, for cron).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let store = try global.openStore()
            let scheduler = BackupScheduler(store: store, home: global.stateHome)
            let pass = try scheduler.runDueReporting(now: Date())
            if pass.started.isEmpty && pass.failed.isEmpty { print("no scheduled backup is due") }
            for (env, id) in pass.started { print("scheduled backup of \(env) queued as \(id)") }
            for (env, error) in pass.failed { FileHandle.standardError.write(Data("ocore: scheduled backup of \(env) not started: \(error)\n".utf8)) }
            let refreshes = try scheduler.runDueRefreshes(now: Date())
            for (target, job) in refreshes.started { print("scheduled refresh of \(target) queued as job \(job)") }
            for (target, error) in refreshes.failed { FileHandle.standardError.write(Data("ocore: scheduled refresh of \(target) not started: \(error)\n".utf8)) }
            let goldens = try scheduler.runDueGoldenRefreshes(now: Date())
            for (source, job) in goldens.started { print("scheduled golden refresh of \(source) queued as job \(job)") }
            for (source, error) in goldens.failed { FileHandle.standardError.write(Data("ocore: scheduled golden refresh of \(source) not started: \(error)\n".utf8)) }
            let tests = scheduler.runDueRestoreTests(now: Date()) { print($0) }
            if !pass.failed.isEmpty || !refreshes.failed.isEmpty || !goldens.failed.isEmpty || tests.contains(where: { !$0 }) { throw ExitCode(1) }
        }
    }
}

struct BackupJSON: Encodable {
    let b: BackupRecord
    let copies: [BackupCopy]
    init(_ b: BackupRecord, copies: [BackupCopy] = []) {
        self.b = b
        self.copies = copies
    }

    struct CopyJSON: Encodable {
        let storage: String
        let status: String
        let verified_at: String?
    }

    enum Keys: String, CodingKey {
        case id, environment, project, storage, key, format, type, status, includeFilestore = "include_filestore", createdAt = "created_at"
        case completedAt = "completed_at", size, sha256, tier = "retention_tier", expiresAt = "expires_at", pinned, isVerified = "is_verified"
        case verifiedAt = "verified_at", jobID = "job_id", databaseName = "database_name", odooVersion = "odoo_version", neutralized
        case restoreTest = "restore_test", error, copies, addedBytes = "added_bytes", sanitized
    }

    func encode(to encoder: Encoder) throws {
        let iso = ISO8601DateFormatter()
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(b.id, forKey: .id)
        try c.encode(b.environment, forKey: .environment)
        try c.encode(b.project, forKey: .project)
        try c.encode(b.storage, forKey: .storage)
        try c.encode(b.key, forKey: .key)
        try c.encode(b.format.rawValue, forKey: .format)
        try c.encode(b.type.rawValue, forKey: .type)
        try c.encode(b.status.rawValue, forKey: .status)
        try c.encode(b.includeFilestore, forKey: .includeFilestore)
        try c.encode(iso.string(from: b.createdAt), forKey: .createdAt)
        try c.encodeNullable(b.completedAt.map(iso.string(from:)), forKey: .completedAt)
        try c.encodeNullable(b.size, forKey: .size)
        // What it cost the storage: an incremental backup's new objects and lists, else its size.
        try c.encodeNullable(b.addedBytes ?? (b.status.isRestorable ? b.size : nil), forKey: .addedBytes)
        try c.encodeNullable(b.sha256, forKey: .sha256)
        try c.encode(b.pinned ? "permanent" : b.tier.rawValue, forKey: .tier)
        try c.encodeNullable(b.isPermanent ? nil : b.expiresAt.map(iso.string(from:)), forKey: .expiresAt)
        try c.encode(b.pinned, forKey: .pinned)
        try c.encode(b.isVerified, forKey: .isVerified)
        try c.encodeNullable(b.verifiedAt.map(iso.string(from:)), forKey: .verifiedAt)
        try c.encodeNullable(b.jobID, forKey: .jobID)
        try c.encode(b.databaseName, forKey: .databaseName)
        try c.encodeNullable(b.odooVersion, forKey: .odooVersion)
        try c.encodeNullable(b.neutralized, forKey: .neutralized)
        try c.encodeNullable(b.sanitized, forKey: .sanitized)
        try c.encodeNullable(b.restoreTest, forKey: .restoreTest)
        try c.encodeNullable(b.error, forKey: .error)
        try c.encode(copies.map { CopyJSON(storage: $0.storage, status: $0.status.rawValue, verified_at: $0.verifiedAt.map(iso.string(from:))) }, forKey: .copies)
    }
}

struct VerifyJSON: Encodable {
    struct Check: Encodable { let name: String; let ok: Bool; let detail: String }
    let backup: String
    let ok: Bool
    let checks: [Check]
    let sanitization: SanitizationAttestation?
}

