import Foundation
import OcoreModel
import OcoreStore

/// A stored backup checked again, as `ocore backup verify` and the dashboard's `v` ask for it:
/// downloaded and every checksum compared; with `restoreTest`, also restored into a scratch
/// environment, checked there and removed (the evidence kept on the backup).
public struct VerificationRequest: Sendable, Equatable {
    public var backupID: String
    public var restoreTest = false
    /// Where the restore test runs (default: the backup's environment's server).
    public var server: String?
    /// The share of an incremental backup's objects read back and hashed (1 = all, `--read-data`;
    /// `--read-data-subset N%`); nil checks presence and sizes only. Other formats are read whole.
    public var readData: Double?

    public init(backupID: String) {
        self.backupID = backupID
    }

    public struct Check: Sendable, Equatable {
        public var name: String
        public var ok: Bool
        public var detail: String
    }

    public struct Result: Sendable, Equatable {
        public var backupID: String
        public var checks: [Check]
        /// A sanitized backup's attestation (what was done to its data, and the proof).
        public var attestation: SanitizationAttestation? = nil
        public var ok: Bool { checks.allSatisfy(\.ok) }

        /// One line for a toast or a log: what passed, or the first failures.
        public var summary: String {
            if ok { return "backup \(backupID) verified: \(checks.count) checks passed" }
            let failed = checks.filter { !$0.ok }
            return "backup \(backupID) FAILED verification: \(failed.prefix(3).map { "\($0.name): \($0.detail)" }.joined(separator: "; "))"
        }
    }

    public func run(store: SQLiteStateStore, home: StateHome) throws -> Result {
        let scratch = home.path + "/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let share = readData, !(share > 0 && share <= 1) { throw RequestRefusal("--read-data-subset must be more than 0% and at most 100%") }
        let report = try BackupVerifier(store: store).verify(backupID, scratch: scratch, readData: readData)
        var checks = report.checks.map { Check(name: $0.name, ok: $0.ok, detail: $0.detail) }
        if restoreTest && report.ok {
            let verdict = try RestoreTest(store: store, home: home, backupID: backupID, server: server).run()
            checks.append(Check(name: "restore test", ok: verdict.ok, detail: verdict.detail))
        }
        return Result(backupID: backupID, checks: checks, attestation: report.attestation)
    }
}
