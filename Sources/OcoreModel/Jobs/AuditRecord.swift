/// One line of the audit log: who asked for what, from where, on which environment, how it ended.
/// Jobs write theirs as they are queued and end; actions that are not jobs (a deletion, a pin, a
/// record removed) write one when done.
public struct AuditRecord: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var at: String
    public var user: String
    /// The SSH client's address, or "local".
    public var from: String?
    public var action: String
    public var environment: String?
    public var jobID: Int64?
    public var result: String?
    public var detail: String?

    public init(id: Int64, at: String, user: String, from: String?, action: String, environment: String?, jobID: Int64?, result: String?, detail: String?) {
        (self.id, self.at, self.user, self.from, self.action) = (id, at, user, from, action)
        (self.environment, self.jobID, self.result, self.detail) = (environment, jobID, result, detail)
    }
}
