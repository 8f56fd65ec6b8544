import Foundation

/// "Refresh staging from production every Sunday at 03:00": a replace of the target by a
/// sanitized copy of the source, on a weekly slot, with every safety of a replace (a verified
/// safety backup, the target's service stopped and started, its own URL kept).
public struct RefreshSchedule: Equatable, Sendable {
    public var target: String
    public var source: String
    /// 1 = Sunday … 7 = Saturday.
    public var weekday: Int
    /// Local time of day, "HH:MM".
    public var at: String
    public var preset: SanitizationCatalog.Preset
    /// Logins whose passwords on the target survive each refresh (QA and admin accounts).
    public var keepUsers: [String] = []
    public var lastRunAt: Date?

    public init(target: String, source: String, weekday: Int, at: String, preset: SanitizationCatalog.Preset) {
        (self.target, self.source, self.weekday, self.at, self.preset) = (target, source, weekday, at, preset)
    }

    public var summary: String {
        "every \(RetentionPolicy.weekdays[max(0, min(6, weekday - 1))]) at \(at) from \(source) (\(preset.rawValue)"
            + (keepUsers.isEmpty ? ")" : "; keeps the passwords of \(keepUsers.joined(separator: ", ")))")
    }
}
