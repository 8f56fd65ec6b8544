import Foundation
import OcoreStore

/// The job kinds this build of ocore runs.
extension JobKindRegistry {
    public static let standard = JobKindRegistry([DiagnosticJob(), CloneJob(), BackupJob(), RestoreJob(), RetentionSweepJob(), BackupCopyJob(), DestroyJob(), GoldenRefreshJob()])
}

/// `ocore daemon`: the worker in the foreground, never exiting when idle, with the schedules
/// (backups, weekly refreshes, daily golden refreshes, weekly restore tests) checked every 30 seconds beside it.
public struct Daemon: Sendable {
    public let scheduler: BackupScheduler

    public init(store: SQLiteStateStore, home: StateHome) {
        scheduler = BackupScheduler(store: store, home: home)
    }

    /// Runs until the process ends; `report` gets a line for each schedule that starts or fails.
    public func run(report: @escaping @Sendable (String) -> Void) throws {
        let (store, home) = (scheduler.store, scheduler.home)
        Thread.detachNewThread {
            while true {
                if let pass = try? scheduler.runDueReporting(now: Date()) {
                    for (env, id) in pass.started { report("scheduled backup of \(env) queued as \(id)") }
                    for (env, error) in pass.failed { report("scheduled backup of \(env) not started: \(error)") }
                }
                if let refreshes = try? scheduler.runDueRefreshes(now: Date()) {
                    for (target, job) in refreshes.started { report("scheduled refresh of \(target) queued as job \(job)") }
                    for (target, error) in refreshes.failed { report("scheduled refresh of \(target) not started: \(error)") }
                }
                if let goldens = try? scheduler.runDueGoldenRefreshes(now: Date()) {
                    for (source, job) in goldens.started { report("scheduled golden refresh of \(source) queued as job \(job)") }
                    for (source, error) in goldens.failed { report("scheduled golden refresh of \(source) not started: \(error)") }
                }
                _ = scheduler.runDueRestoreTests(now: Date()) { report($0) }
                Thread.sleep(forTimeInterval: 30)
            }
        }
        try Worker(store: store, home: home, kinds: .standard, options: Worker.Options(exitWhenIdle: false), notifier: Notifier(store: store)).run()
    }
}
