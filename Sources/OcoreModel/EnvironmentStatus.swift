/// What the dashboard knows about an environment's live state, from its last probe.
public struct EnvironmentStatus: Equatable, Sendable {
    public enum Reachability: Equatable, Sendable {
        case unknown
        case reachable
        case unreachable(String)
    }

    public var reachability: Reachability
    public var databaseSize: Int64?
    public var filestoreSize: Int64?
    public var odooVersion: String?
    public var neutralized: Bool?
    /// HTTP status of the environment's URL, when it has one and it answered.
    public var httpStatus: Int?
    public var httpError: String?
    /// Seconds since 1970 of the probe.
    public var checkedAt: Double?

    public init(reachability: Reachability = .unknown, databaseSize: Int64? = nil, filestoreSize: Int64? = nil, odooVersion: String? = nil,
                neutralized: Bool? = nil, httpStatus: Int? = nil, httpError: String? = nil, checkedAt: Double? = nil) {
        self.reachability = reachability
        self.databaseSize = databaseSize
        self.filestoreSize = filestoreSize
        self.odooVersion = odooVersion
        self.neutralized = neutralized
        self.httpStatus = httpStatus
        self.httpError = httpError
        self.checkedAt = checkedAt
    }
}
