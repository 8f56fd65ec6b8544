import Foundation

/// ocore's own release, as a sanitized backup's attestation names it.
public enum OcoreRelease {
    public static let version = "0.2.0"
}

/// What a sanitized backup says about itself, in its manifest: which options changed how many
/// rows, what the coverage of the source's columns found and left, the search of every row of
/// `dump.sql` for the source's customer addresses, and the verdict. It is written by the backup
/// that produced the data, from the counts of the streams that wrote it; whoever receives the
/// archive reads it beside the data it describes.
public struct SanitizationAttestation: Codable, Sendable, Equatable {
    public struct Option: Codable, Sendable, Equatable {
        public var key: String
        public var status: String
        public var rows: Int
        public var detail: String?

        public init(key: String, status: String, rows: Int, detail: String? = nil) {
            self.key = key
            self.status = status
            self.rows = rows
            self.detail = detail
        }
    }

    /// A sanitized backup's recorded verdict while it is being written (or after it failed).
    public static let pending = "PENDING"

    public var preset: String
    public var options: [Option]
    /// Odoo's own `neutralize.sql` of these modules runs at the end of `dump.sql`.
    public var neutralizedModules: [String]
    /// The coverage's one-line summary of the source's text columns.
    public var coverage: String
    /// Personal or secret-like columns no option or rule changed (`table.column`).
    public var leftAsIs: [String]
    /// The source's customer addresses every row of `dump.sql` was searched for.
    public var addressesSearched: Int
    public var rowsSearched: Int
    /// NEUTRALIZED only when every option applied, nothing was left as it was and no row held a customer's address.
    public var verdict: String
    public var findings: [ProofFinding]
    /// "not included", or "included as it is (attachments are not sanitized)".
    public var filestore: String
    public var sourceOdooVersion: String?
    public var ocoreVersion: String
    public var createdAt: String

    public init(preset: String, options: [Option], neutralizedModules: [String], coverage: String, leftAsIs: [String], addressesSearched: Int,
                rowsSearched: Int, verdict: String, findings: [ProofFinding], filestore: String, sourceOdooVersion: String?,
                ocoreVersion: String = OcoreRelease.version, createdAt: String) {
        self.preset = preset
        self.options = options
        self.neutralizedModules = neutralizedModules
        self.coverage = coverage
        self.leftAsIs = leftAsIs
        self.addressesSearched = addressesSearched
        self.rowsSearched = rowsSearched
        self.verdict = verdict
        self.findings = findings
        self.filestore = filestore
        self.sourceOdooVersion = sourceOdooVersion
        self.ocoreVersion = ocoreVersion
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case preset, options, neutralizedModules = "neutralized_modules", coverage, leftAsIs = "left_as_is", addressesSearched = "addresses_searched"
        case rowsSearched = "rows_searched", verdict, findings, filestore, sourceOdooVersion = "source_odoo_version", ocoreVersion = "ocore_version"
        case createdAt = "created_at"
    }

    /// The attestation's lines as `backup verify` prints them. It is read back from storage,
    /// so control characters (a terminal's escape sequences) are left out of what is printed.
    public var lines: [String] {
        shownLines.map { line in String(line.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }) }
    }

    private var shownLines: [String] {
        var out = ["sanitized: \(verdict) (preset \(preset), ocore \(ocoreVersion), \(createdAt), source Odoo \(sourceOdooVersion ?? "?"))"]
        for o in options { out.append("  \(o.key): \(o.status), \(o.rows) row(s)\(o.detail.map { " — \($0)" } ?? "")") }
        if !neutralizedModules.isEmpty { out.append("  Odoo's neutralization on restore: \(neutralizedModules.joined(separator: ", "))") }
        out.append("  coverage: \(coverage)")
        if !leftAsIs.isEmpty { out.append("  left as they were: \(leftAsIs.joined(separator: ", "))") }
        out.append("  \(rowsSearched) row(s) of dump.sql searched for \(addressesSearched) customer address(es): "
                   + (findings.isEmpty ? "none found" : findings.map { "\($0.location) \($0.count) (\($0.detail))" }.joined(separator: "; ")))
        out.append("  filestore: \(filestore)")
        return out
    }
}
