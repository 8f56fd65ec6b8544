import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStore

/// Every job kind this build of ocore can run.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow, cancel and retry long operations (they run in a detached worker).",
        subcommands: [List.self, Show.self, Cancel.self, Retry.self, Diagnose.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List running and queued jobs (--all: recent jobs too).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Include finished jobs.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let gone = Set(JobQueue(store: store, home: global.stateHome).noticeDeadWorker())
            let jobs = try store.jobs(includeFinished: all)
            if json { return try JSONOutput.print(jobs.map { JobJSON(job: $0, steps: nil, logs: nil, workerGone: gone.contains($0.id)) }) }
            guard !jobs.isEmpty else { return print(all ? "no jobs yet" : "no running or queued jobs (`ocore jobs --all` lists finished ones)") }
            var table = TextTable(header: ["ID", "KIND", "ENVIRONMENT", "STATUS", "PROGRESS", "BY", "CREATED"])
            for j in jobs {
                table.rows.append([String(j.id), j.kind, j.environment ?? "-", JobText.status(j, workerGone: gone.contains(j.id)),
                                   String(format: "%3.0f%%", j.progress), j.createdBy, j.createdAt])
            }
            print(table.render())
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a job's steps and log; --follow watches it until it ends and exits with its result.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Flag(help: "Watch until the job ends (exit 0 only if it completed).") var follow = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            if follow {
                let status = try JobFollower(store: store, id: id, json: json, home: global.stateHome).run()
                if status != .completed { throw ExitCode(1) }
                return
            }
            let gone = JobQueue(store: store, home: global.stateHome).noticeDeadWorker().contains(id)
            let job = try store.job(id)
            let steps = try store.steps(ofJob: id)
            let logs = try store.logs(ofJob: id)
            if json { return try JSONOutput.print(JobJSON(job: job, steps: steps, logs: logs, workerGone: gone)) }
            print(JobText.header(job, workerGone: gone))
            for step in steps { print(JobText.step(step)) }
            if !logs.isEmpty { print("log:") }
            for line in logs.suffix(40) { print("  \(line.at) \(line.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(line.message)") }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job: it stops, its commands are terminated, and its partial work on the target is undone.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let status = try store.requestCancel(id, by: JobQueue.requester().user)
            if json, status == .cancelled || status == .running {
                struct Cancelled: Encodable { let id: Int64; let status: String }
                return try JSONOutput.print(Cancelled(id: id, status: status == .cancelled ? "cancelled" : "cancel_requested"))
            }
            switch status {
            case .cancelled: print("job \(id) cancelled")
            case .running: print("job \(id): cancellation requested; follow it with `ocore jobs show \(id) --follow`")
            default: throw CLIError("job \(id) already ended (\(status.rawValue))")
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue a failed, cancelled or interrupted job again with the same parameters.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try global.openStore()
            let newID = try JobQueue(store: store, home: global.stateHome).retry(id, kinds: .standard)
            if json { return try JSONOutput.print(["job_id": newID, "retry_of": id]) }
            print("job \(newID) queued (retry of \(id)); follow it with `ocore jobs show \(newID) --follow`")
        }
    }

    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diagnose", 
            abstract: "Run a harmless diagnostic job: checks that workers start detached, survive logout, cancel and clean up.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Number of steps.") var steps = 3
        @Option(help: "Seconds each step's child process runs.") var seconds = 1.0
        @Option(help: ArgumentHelp("Scratch directory for the step markers (default: <home>/diagnostics/<time>).", valueName: "dir")) var scratch: String?
        @Option(name: .customLong("env"), help: "Environment to lock while it runs (tests locking).") var environment: String?
        @Option(name: .customLong("fail-at"), help: "Fail on purpose at this step (1-based).") var failAt: Int?
        @Option(name: .customLong("pause-at-start"), help: "Seconds to wait at the start of each step.") var pauseAtStart: Double?
        @Flag(help: "Follow the job until it ends.") var follow = false

        func run() throws {
            let store = try global.openStore()
            var server: String?
            if let environment { server = try store.environment(named: environment).server }
            let dir = absolutePath(scratch ?? global.stateHome.path + "/diagnostics/\(Int(Date().timeIntervalSince1970))")
            let parameters = DiagnosticJob.Parameters(steps: steps, seconds: seconds, scratch: dir, failAt: failAt, pauseAtStart: pauseAtStart)
            let id = try JobQueue(store: store, home: global.stateHome).submit(
                DiagnosticJob(), parameters: parameters, environment: environment, server: server, locks: environment.map { [$0] } ?? [])
            print("job \(id) queued (diagnostic, \(steps) steps, scratch \(dir))")
            if follow {
                let status = try JobFollower(store: store, id: id, json: false, home: global.stateHome).run()
                if status != .completed { throw ExitCode(1) }
            }
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run queued jobs, then exit when idle (started automatically; one per state store).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let store = try global.openStore()
        do {
            try Worker(store: store, home: global.stateHome, kinds: .standard, notifier: Notifier(store: store)).run()
        } catch Worker.WorkerError.alreadyRunning(let pid) {
            print("a worker is already running for \(global.stateHome.path)\(pid.map { " (pid \($0))" } ?? "")")
        }
    }
}

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Run the worker in the foreground and never exit when idle (for systemd).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let store = try global.openStore()
        print("ocore daemon: running jobs and scheduled backups for \(global.stateHome.path) (pid \(getpid()))")
        try Daemon(store: store, home: global.stateHome).run { print($0) }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Who asked for what, from where, on which environment, and how it ended.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many records.") var limit = 50
    @Option(help: ArgumentHelp("Only records whose action, environment, user, detail or result contain every word.", valueName: "words")) var filter = ""
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let records = try global.openStore().auditLog(limit: limit, matching: filter)
        if json { return try JSONOutput.print(records.map(AuditJSON.init)) }
        var table = TextTable(header: ["AT", "USER", "FROM", "ACTION", "ENVIRONMENT", "JOB", "RESULT", "DETAIL"])
        for r in records {
            table.rows.append([r.at, r.user, r.from ?? "", r.action, r.environment ?? "-", r.jobID.map(String.init) ?? "-", r.result ?? "",
                               r.detail ?? ""])
        }
        print(records.isEmpty ? "no audit records yet" : table.render())
    }
}

/// `ocore audit --json`: one object per record, every key present.
struct AuditJSON: Encodable {
    let record: AuditRecord
    init(_ record: AuditRecord) { self.record = record }

    enum Keys: String, CodingKey { case id, at, os_user, ssh_client, action, environment, job_id, result, detail }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(record.id, forKey: .id)
        try c.encode(record.at, forKey: .at)
        try c.encode(record.user, forKey: .os_user)
        try c.encodeNullable(record.from, forKey: .ssh_client)
        try c.encode(record.action, forKey: .action)
        try c.encodeNullable(record.environment, forKey: .environment)
        try c.encodeNullable(record.jobID, forKey: .job_id)
        try c.encodeNullable(record.result, forKey: .result)
        try c.encodeNullable(record.detail, forKey: .detail)
    }
}
