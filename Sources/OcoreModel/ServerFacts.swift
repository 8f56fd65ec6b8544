/// What a server can take right now, read over its executor: CPU cores and load, memory, the
/// disk of its data directory, its PostgreSQL. Shown in the Servers view, and as the ✓/✗
/// verdict beside each server in the clone wizard and the restore dialog.
public struct ServerFacts: Equatable, Sendable {
    public var cores: Int?
    /// The 1-minute load average.
    public var load1: Double?
    public var memoryTotal: Int64?
    public var memoryAvailable: Int64?
    public var diskTotal: Int64?
    /// Free bytes on the data directory's file system.
    public var freeBytes: Int64?
    public var postgresVersion: String?
    /// Why the server could not be reached (then the rest is unknown).
    public var error: String?

    public init(cores: Int? = nil, load1: Double? = nil, memoryTotal: Int64? = nil, memoryAvailable: Int64? = nil, diskTotal: Int64? = nil,
                freeBytes: Int64?, postgresVersion: String?, error: String? = nil) {
        (self.cores, self.load1, self.memoryTotal, self.memoryAvailable, self.diskTotal) = (cores, load1, memoryTotal, memoryAvailable, diskTotal)
        (self.freeBytes, self.postgresVersion, self.error) = (freeBytes, postgresVersion, error)
    }

    public static func unreachable(_ why: String) -> ServerFacts { ServerFacts(freeBytes: nil, postgresVersion: nil, error: why) }
}
