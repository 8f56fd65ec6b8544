import Foundation

/// An environment's scheduled backups: a daily time, the GFS tiers kept, where they go, and an
/// optional weekly restore test (`ocore policy set`, `P` in the dashboard).
public struct BackupPolicyRecord: Sendable, Equatable {
    public var environment: String
    /// Local time of day, "HH:MM".
    public var at: String
    public var retention: RetentionPolicy
    public var storage: String?
    public var includeFilestore: Bool
    /// Weekday (1 = Sunday) of a weekly restore test of the newest backup, if any.
    public var restoreTestWeekday: Int?
    public var lastRunAt: Date?

    public init(environment: String, at: String, retention: RetentionPolicy = RetentionPolicy(), storage: String? = nil,
                includeFilestore: Bool = true, restoreTestWeekday: Int? = nil, lastRunAt: Date? = nil) {
        self.environment = environment
        self.at = at
        self.retention = retention
        self.storage = storage
        self.includeFilestore = includeFilestore
        self.restoreTestWeekday = restoreTestWeekday
        self.lastRunAt = lastRunAt
    }
}
