import Foundation
import OcoreModel
import OcoreStorage
import OcoreStore

/// Where to tell people that a project's jobs ended.
public struct NotificationSetting: Sendable, Equatable, Codable {
    public var project: String
    public var webhookURL: String?
    public var smtpURL: String?
    public var smtpFrom: String?
    public var smtpTo: String?
    /// The variable holding the SMTP password, read when a message is sent (never the password).
    public var smtpPasswordEnv: String?
}

/// Sends a job's outcome to its project's webhook (JSON POST) and e-mail (SMTP), both via
/// libcurl. A notification that fails is logged on the job and never changes its result.
public struct Notifier: Sendable {
    public let store: SQLiteStateStore

    public init(store: SQLiteStateStore) {
        self.store = store
    }

    public func jobEnded(_ id: Int64) {
        guard let job = try? store.job(id), let envName = job.environment,
              let env = try? store.environment(named: envName),
              let setting = try? store.notificationSetting(project: env.project) else { return }
        for failure in send(setting, event: Self.event(for: job, project: env.project)) {
            try? store.appendLog(job: id, level: .warning, message: failure)
        }
    }

    /// Sends `event` through every channel of `setting`; returns one message per channel that failed.
    public func send(_ setting: NotificationSetting, event: [String: String]) -> [String] {
        var failures: [String] = []
        let body = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
        if let url = setting.webhookURL {
            do {
                let response = try CurlHTTP.perform(method: "POST", url: url, headers: ["Content-Type: application/json"],
                                                    body: .data(body), timeout: 15)
                if !(200..<300).contains(response.status) { failures.append("webhook \(CurlHTTP.redacted(url)) answered HTTP \(response.status)") }
            } catch { failures.append("webhook failed: \(error)") }
        }
        if let url = setting.smtpURL, let to = setting.smtpTo {
            let subject = "[ocore] \(event["kind"] ?? "job") \(event["job_id"] ?? "") on \(event["environment"] ?? "?"): \(event["status"] ?? "")"
            var text = "Subject: \(subject)\r\nFrom: \(setting.smtpFrom ?? "ocore@localhost")\r\nTo: \(to)\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            for key in event.keys.sorted() { text += "\(key): \(event[key]!)\r\n" }
            let password = setting.smtpPasswordEnv.map { ProcessInfo.processInfo.environment[$0] }
            if let name = setting.smtpPasswordEnv, password == .some(nil) {
                failures.append("e-mail not sent: the SMTP password variable \(name) is not set in this process's environment")
            } else {
                do {
                    try CurlSMTP.send(url: url, password: password ?? nil, from: setting.smtpFrom ?? "ocore@localhost", to: [to], message: Data(text.utf8))
                } catch {
                    failures.append("e-mail failed: \(error)")
                }
            }
        }
        return failures
    }

    static func event(for job: JobRecord, project: String) -> [String: String] {
        var event = ["job_id": String(job.id), "kind": job.kind, "status": job.status.rawValue, "project": project,
                     "environment": job.environment ?? "", "created_by": job.createdBy, "created_at": job.createdAt]
        if let ended = job.endedAt { event["ended_at"] = ended }
        if let error = job.errorMessage { event["error"] = error }
        if let step = job.errorStep { event["failed_step"] = step }
        return event
    }
}

extension SQLiteStateStore {
    public func notificationSetting(project: String) throws -> NotificationSetting? {
        guard let row = try notificationRow(project: project) else { return nil }
        return NotificationSetting(project: project, webhookURL: row.0, smtpURL: row.1, smtpFrom: row.2, smtpTo: row.3, smtpPasswordEnv: row.4)
    }
}
