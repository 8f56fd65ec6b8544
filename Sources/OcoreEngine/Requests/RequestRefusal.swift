/// Why the engine will not do what a face asked, said as the operator reads it: the CLI prints
/// it, the dashboard shows it, word for word the same.
public struct RequestRefusal: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Who asked, for the audit log: the local user and where their session comes from.
public struct Requester: Sendable, Equatable {
    public var user: String
    public var from: String?

    /// The operator running this process.
    public static var current: Requester {
        let who = JobQueue.requester()
        return Requester(user: who.user, from: who.from)
    }
}
