import Foundation
import OcoreModel
import Testing

/// The rules that keep data safe whatever the records, paths and policies say.
@Suite("Data safety rules")
struct DataSafetyRulesTests {
    @Test("a directory ocore writes or moves must be absolute, without '..', and not a system directory")
    func paths() {
        #expect(PathRules.normalized("/var/lib//odoo/./filestore/") == "/var/lib/odoo/filestore")
        #expect(PathRules.normalized("/var/lib/odoo/../../etc") == nil)
        #expect(PathRules.normalized("var/lib") == nil)
        for bad in ["/", "/etc", "/etc/", "/usr", "/var", "/home", "//etc", "/var/lib", "/tmp/a/../..", "relative", "/srv/x\ny"] {
            #expect(throws: ModelError.self, "\(bad)") { try PathRules.validateDataDirectory(bad, field: "--filestore") }
        }
        for good in ["/var/lib/odoo/filestore/prod", "/srv/backups", "/home/odoo/.local/share/Odoo/filestore/db"] {
            #expect(throws: Never.self, "\(good)") { try PathRules.validateDataDirectory(good, field: "--filestore") }
        }
    }

    @Test("PostgreSQL's own databases are never an environment's")
    func systemDatabases() {
        for name in ["postgres", "template0", "Template1"] {
            #expect(throws: ModelError.self) { try Names.validateDatabaseName(name) }
        }
    }

    @Test("two records on one database share protection; shared locks admit other readers, never a writer")
    func sharedData() {
        let server = Server(name: "erp1", connection: .local, postgres: PostgresSettings(), dataDir: "/var/lib/odoo")
        let prod = Environment(name: "production", project: "acme", type: .production, server: "erp1", dbName: "acme")
        let alias = Environment(name: "alias", project: "acme", type: .development, server: "erp1", dbName: "acme")
        let byFilestore = Environment(name: "fs", project: "acme", type: .development, server: "erp1", dbName: "other", filestore: "/var/lib/odoo/filestore/acme/")
        let elsewhere = Environment(name: "dr", project: "acme", type: .development, server: "erp2", dbName: "acme")
        let all = [prod, alias, byFilestore, elsewhere]
        #expect(SharedData.sharing(alias, among: all, servers: [server]).map(\.name) == ["production", "fs"])
        #expect(SharedData.protectedBy(alias, among: all, servers: [server]) == "production")
        #expect(SharedData.protectedBy(byFilestore, among: all, servers: [server]) == "production")
        #expect(SharedData.protectedBy(elsewhere, among: all, servers: [server]) == nil)
        // The dashboard's one-pass answer is the same, for every record.
        let many = all + (0..<60).map { i in
            var e = Environment(name: "e\(i)", project: "p", type: i % 7 == 0 ? .production : .staging, server: i % 2 == 0 ? "erp1" : "erp2",
                                dbName: "db\(i % 9)", filestore: i % 5 == 0 ? "/var/lib/odoo/filestore/db\((i + 1) % 9)//" : nil)
            e.isProtected = i % 7 == 0
            return e
        }
        let servers = [server, Server(name: "erp2", connection: .local, postgres: PostgresSettings(), dataDir: "/srv/odoo")]
        let oneByOne = Dictionary(uniqueKeysWithValues: many.compactMap { e in SharedData.protectedBy(e, among: many, servers: servers).map { (e.name, $0) } })
        #expect(SharedData.protection(of: many, servers: servers) == oneByOne)
        #expect(oneByOne.count > 8 && oneByOne.count < many.count, "the sample mixes protected, sharing and free records: \(oneByOne.count)")

        #expect(JobLock(encoded: JobLock.shared("production").encoded) == .shared("production"))
        #expect(!JobLock.shared("production").conflicts(with: .shared("production")))
        #expect(JobLock.shared("production").conflicts(with: .exclusive("production")))
        #expect(JobLock.exclusive("production").conflicts(with: .exclusive("production")))
        #expect(!JobLock.exclusive("production").conflicts(with: .exclusive("staging")))
    }

    @Test("retention: counts past 100 years are refused; a stored overflowing policy still keeps backups; the newest verified of each storage stays")
    func retention() throws {
        #expect(throws: ModelError.self) { try RetentionPolicy(dailyDays: Int.max).validate() }
        #expect(throws: ModelError.self) { try RetentionPolicy(yearlyYears: 101).validate() }
        #expect(throws: ModelError.self) { try RetentionPolicy(weeklyWeeks: 0).validate() }
        try RetentionPolicy(dailyDays: 36_500, weeklyWeeks: 5_214, monthlyMonths: 1_216, yearlyYears: 100).validate()
        let now = Date()
        let expiry = try #require(Retention(policy: RetentionPolicy(dailyDays: Int.max)).expiry(of: .daily, createdAt: now))
        #expect(expiry > now.addingTimeInterval(86_400 * 365 * 99))

        func backup(_ id: String, _ storage: String, _ daysAgo: Double) -> BackupRecord {
            let at = now.addingTimeInterval(-86_400 * daysAgo)
            return BackupRecord(id: id, environment: "prod", project: "p", storage: storage, key: id, type: .scheduled, status: .completed,
                                includeFilestore: true, createdAt: at, tier: .daily, expiresAt: at.addingTimeInterval(1), verifiedAt: at, databaseName: "prod")
        }
        let decisions = Retention().sweep([backup("nas-old", "nas", 30), backup("nas-new", "nas", 20), backup("far-only", "far", 40)], now: now)
        let deleted = decisions.filter(\.delete).map(\.backup.id)
        #expect(deleted == ["nas-old"], "\(decisions.map { ($0.backup.id, $0.reason) })")
    }
}

@Suite("A sanitized backup's attestation as printed")
struct SanitizationAttestationTests {
    @Test("it says the verdict, each option with its rows, the search and the filestore; what it read back from storage cannot send escape sequences to the terminal")
    func printedWithoutControlCharacters() {
        let attestation = SanitizationAttestation(
            preset: "recommended", options: [.init(key: "anonymize_emails", status: "applied", rows: 12, detail: "ok\u{1b}[2J\u{7}")],
            neutralizedModules: ["base"], coverage: "3 text columns", leftAsIs: [], addressesSearched: 40, rowsSearched: 900, verdict: "NEUTRALIZED",
            findings: [], filestore: "not included", sourceOdooVersion: "17.0", createdAt: "2026-12-03T10:00:00Z")
        let lines = attestation.lines
        #expect(lines.first == "sanitized: NEUTRALIZED (preset recommended, ocore \(OcoreRelease.version), 2026-12-03T10:00:00Z, source Odoo 17.0)")
        #expect(lines.contains("  anonymize_emails: applied, 12 row(s) — ok[2J"))
        #expect(lines.contains("  900 row(s) of dump.sql searched for 40 customer address(es): none found"))
        #expect(lines.contains("  filestore: not included"))
        #expect(!lines.joined().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f })
    }
}
