import Foundation

/// What a clone or a restore found, as its job records it: one type that the CLI's `--json`,
/// the progress modal and the restore test all read (the stored JSON is this type encoded).
public struct JobOutcome: Codable, Sendable, Equatable {
    public var sanitizationResult: [SanitizationResult]
    public var neutralization: [NeutralizationResult]
    /// What the verification checked, by name (`key_tables`, `active_users` for a clone, `users`,
    /// `modules`, `attachments`, `missing_files` for a restore, `http`).
    public var verification: [String: String]
    public var proof: ProofReport?
    /// The source's text columns classified, and what the copy did to each (sanitized copies).
    public var coverage: CoverageReport?

    enum CodingKeys: String, CodingKey { case sanitizationResult = "sanitization_result", neutralization, verification, proof, coverage }

    public init(sanitizationResult: [SanitizationResult] = [], neutralization: [NeutralizationResult] = [], verification: [String: String] = [:],
                proof: ProofReport? = nil, coverage: CoverageReport? = nil) {
        self.coverage = coverage
        self.sanitizationResult = sanitizationResult
        self.neutralization = neutralization
        self.verification = verification
        self.proof = proof
    }

    /// Each part may be missing (a restore records no neutralization; an older one no proof).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sanitizationResult = try c.decodeIfPresent([SanitizationResult].self, forKey: .sanitizationResult) ?? []
        neutralization = try c.decodeIfPresent([NeutralizationResult].self, forKey: .neutralization) ?? []
        verification = try c.decodeIfPresent([String: String].self, forKey: .verification) ?? [:]
        proof = try c.decodeIfPresent(ProofReport.self, forKey: .proof)
        coverage = try c.decodeIfPresent(CoverageReport.self, forKey: .coverage)
    }

    /// The outcome stored as a job's result, if it is one.
    public static func decode(_ json: String?) -> JobOutcome? {
        json.flatMap { try? JSONDecoder().decode(JobOutcome.self, from: Data($0.utf8)) }
    }
}

/// One sanitization option's result on a target.
public struct SanitizationResult: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case applied, skipped, failed }
    public var optionKey: String
    public var status: Status
    public var affectedRows: Int
    public var durationMs: Int
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case optionKey = "option_key", status, affectedRows = "affected_rows", durationMs = "duration_ms", reason
    }

    /// Rows and time are absent from results written for a skipped option by older versions.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        optionKey = try c.decode(String.self, forKey: .optionKey)
        status = try c.decode(Status.self, forKey: .status)
        affectedRows = try c.decodeIfPresent(Int.self, forKey: .affectedRows) ?? 0
        durationMs = try c.decodeIfPresent(Int.self, forKey: .durationMs) ?? 0
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
    }

    public init(optionKey: String, status: Status, affectedRows: Int, durationMs: Int, reason: String?) {
        self.optionKey = optionKey
        self.status = status
        self.affectedRows = affectedRows
        self.durationMs = durationMs
        self.reason = reason
    }
}

/// One installed module's `neutralize.sql`: run, skipped or failed, and why.
public struct NeutralizationResult: Sendable, Equatable, Codable {
    public var module: String
    public var status: String
    public var reason: String?

    public init(module: String, status: String, reason: String?) {
        self.module = module
        self.status = status
        self.reason = reason
    }
}

/// The proof of a sanitization: NEUTRALIZED only when nothing was found.
public struct ProofReport: Codable, Sendable, Equatable {
    public var verdict: String
    public var findings: [ProofFinding]

    public init(verdict: String, findings: [ProofFinding]) {
        self.verdict = verdict
        self.findings = findings
    }
}

public struct ProofFinding: Codable, Sendable, Equatable {
    public var location: String
    public var count: Int
    public var detail: String

    public init(location: String, count: Int, detail: String) {
        self.location = location
        self.count = count
        self.detail = detail
    }

    /// Customers' addresses of the source found in `location` (`table.column`), in the stream or in the target.
    public static func customerAddresses(in location: String, count: Int) -> ProofFinding {
        ProofFinding(location: location, count: count, detail: "real customer e-mail addresses found")
    }
}

/// The proof's part done while a clone's rows streamed: the tables whose every row was searched
/// for the source's customer addresses on its way to the target, and the columns where some were
/// found. The proof's search of the target skips the addresses of these tables.
public struct StreamedAddressCheck: Codable, Sendable, Equatable {
    public var tables: [String]
    public var findings: [ProofFinding]

    public init(tables: [String], findings: [ProofFinding]) {
        self.tables = tables
        self.findings = findings
    }
}
