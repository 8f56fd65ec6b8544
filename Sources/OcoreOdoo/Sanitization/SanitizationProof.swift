import Foundation
import OcoreModel
import OcoreRemote

/// Evidence that a clone is sanitized as promised: for each chosen option its "still live" count
/// on the target must be 0, and none of the source's customer addresses, a sample of their
/// numbers, nor the secret values it cleared may appear in any text column of the target
/// (``LeftoverSearch``, and the rows a clone streamed, searched on their way).
public struct SanitizationProof: Sendable {
    public typealias Finding = ProofFinding
    public typealias Report = ProofReport

    public let source: PSQL
    public let target: PSQL

    public init(source: PSQL, target: PSQL) {
        self.source = source
        self.target = target
    }

    /// Conditions that must match no row once an option has been applied.
    static func stillLive(_ key: String, targetURL: String?, passwordHash: String?) -> (table: String, columns: [String], condition: String)? {
        let notUser = "id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active))"
        switch key {
        case "disable_mail_servers": return ("ir_mail_server", ["active", "smtp_host"], "active AND smtp_host IS DISTINCT FROM 'invalid'")
        case "clear_mail_queue": return ("mail_mail", ["state"], "state IN ('outgoing', 'exception')")
        case "disable_mail_templates": return ("mail_template", ["active"], "active")
        case "anonymize_emails":
            return ("res_partner", ["email"], "email IS NOT NULL AND email <> '' AND email NOT LIKE '%@staging.local' AND \(notUser) AND lower(email) NOT IN (SELECT lower(p.email) FROM res_partner p JOIN res_users u ON u.partner_id = p.id WHERE u.active AND p.email IS NOT NULL)")
        case "anonymize_phones":
            return ("res_partner", ["phone", "mobile"], "((phone IS NOT NULL AND phone NOT LIKE '555-%') OR mobile IS NOT NULL) AND \(notUser) AND id NOT IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)")
        case "clear_api_keys": return ("ir_config_parameter", ["key", "value"], "value <> '' AND \(ImpactPreview.keyMatches(ImpactPreview.apiKeyPatterns)) AND key NOT IN ('database.secret')")
        case "update_base_url":
            guard let url = targetURL else { return nil }
            return ("ir_config_parameter", ["key", "value"], "key = 'web.base.url' AND value <> \(SQL.literal(url))")
        case "clear_oauth_providers": return ("auth_oauth_provider", ["enabled"], "enabled")
        case "clear_payment_providers": return ("payment_provider", ["state"], "state <> 'disabled'")
        case "clear_oauth_tokens": return ("res_users", ["oauth_access_token"], "oauth_access_token IS NOT NULL")
        case "clear_webhook_urls": return ("ir_config_parameter", ["key", "value"], "value <> '' AND \(ImpactPreview.keyMatches(ImpactPreview.webhookPatterns))")
        case "clear_integration_credentials": return ("ir_config_parameter", ["key", "value"], "value <> '' AND \(ImpactPreview.keyMatches(ImpactPreview.integrationPatterns))")
        case "reset_passwords":
            guard let hash = passwordHash else { return nil }
            return ("res_users", ["active", "password"], "active AND password IS DISTINCT FROM \(SQL.literal(hash))")
        case "disable_2fa": return ("res_users", ["totp_secret"], "totp_secret IS NOT NULL")
        case "clear_asset_bundles":
            return ("ir_attachment", ["name"], "name LIKE 'web.assets_%.min.%' OR name LIKE 'web.assets_%.css' OR name LIKE 'web.assets_%.js'")
        default: return nil
        }
    }

    /// The quick checks of a copy of a proven copy (a golden copy's clone: its files are the
    /// golden copy's, byte for byte): only what each copy changes is checked — its URL, no system
    /// parameter naming the source's host, and a database.uuid and database.secret of its own
    /// (none of `others`'). Its verdict is `proven`'s when nothing is found.
    public func quickRun(targetURL: String, sourceHost: String?, others: [String], proven: String) throws -> Report {
        var findings = try liveFindings(options: ["update_base_url"], targetURL: targetURL, passwordHash: nil, sourceHost: sourceHost,
                                        columns: ["ir_config_parameter": ["key", "value"]])
        let shared = try target.query("""
            SELECT key FROM ir_config_parameter WHERE key IN ('database.uuid', 'database.secret')
               AND (value IS NULL OR value = '' OR value IN (\(others.isEmpty ? "NULL" : others.map(SQL.literal).joined(separator: ", "))))
            """).map { $0[0] }
        if !shared.isEmpty { findings.append(Finding(location: "ir_config_parameter", count: shared.count, detail: "not its own: \(shared.joined(separator: ", "))")) }
        return Report(verdict: proven == "NONE" ? "NONE" : findings.isEmpty ? proven : "PARTIAL", findings: findings)
    }

    /// The target's public tables: every column, and the text ones.
    func schemaColumns() throws -> (columns: [String: Set<String>], textColumns: [String: [String]]) {
        let schema = try target.query("""
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
              JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
             WHERE c.table_schema = 'public'
            """)
        var columns: [String: Set<String>] = [:]
        var textColumns: [String: [String]] = [:]
        for row in schema where row.count == 3 {
            columns[row[0], default: []].insert(row[1])
            if ["text", "character varying"].contains(row[2]) { textColumns[row[0], default: []].append(row[1]) }
        }
        return (columns, textColumns)
    }

    /// Every option's "still live" count (one query), and system parameters still naming the source's host.
    func liveFindings(options: [String], targetURL: String?, passwordHash: String?, sourceHost: String?, columns: [String: Set<String>]) throws -> [Finding] {
        var findings: [Finding] = []
        // Every option's "still live" count in one query.
        let checks = options.compactMap { key in
            Self.stillLive(key, targetURL: targetURL, passwordHash: passwordHash).flatMap { check in
                columns[check.table].map { present in check.columns.allSatisfy(present.contains) } == true ? (key, check) : nil
            }
        }
        if !checks.isEmpty {
            let counts = try target.query("BEGIN READ ONLY;\n\(SQL.jitOffInTransaction)\nSELECT " + checks.map { "(SELECT count(*) FROM \(SQL.identifier($0.1.table)) WHERE \($0.1.condition))" }
                .joined(separator: ", ") + ";\nCOMMIT;").first ?? []
            for ((key, check), value) in zip(checks, counts) {
                let count = Int(value) ?? 0
                if count > 0 { findings.append(Finding(location: check.table, count: count, detail: "\(key): \(count) row(s) still live")) }
            }
        }
        if let host = sourceHost, columns["ir_config_parameter"]?.isSuperset(of: ["key", "value"]) == true,
           targetURL.flatMap(BaseURL.host(of:)) != host {
            let named = try target.query("SELECT key FROM ir_config_parameter WHERE position(\(SQL.literal(host)) IN lower(value)) > 0 ORDER BY key").map { $0[0] }
            if !named.isEmpty {
                findings.append(Finding(location: "ir_config_parameter", count: named.count,
                                        detail: "\(named.count) system parameter(s) still name \(host), the source's host: \(named.prefix(5).joined(separator: ", "))"))
            }
        }
        return findings
    }

    /// `options` empty (preset None) gives NONE without looking.
    /// `sourceHost`: a system parameter still naming it (a link back to production) is a finding.
    /// `leftAsIs`: personal or secret-like columns the coverage found and nothing sanitizes: each is a finding.
    /// `secretColumns` and `secretParameters`: what the clone cleared; the source's
    /// values must not be found there, nor their tokens in any text column.
    /// `addressesCheckedInStream`: tables the copy searched row by row for customer addresses
    /// (their findings are the proof's; the target's search skips their addresses).
    public func run(options: [String], targetURL: String?, passwordHash: String?, sourceHost: String? = nil,
                    leftAsIs: [CoveredColumn] = [], secretColumns: [CoveredColumn] = [], secretParameters: [String] = [],
                    addressesCheckedInStream: StreamedAddressCheck? = nil) throws -> Report {
        let promised = options.filter { $0 != "clear_asset_bundles" }
        guard !promised.isEmpty else { return Report(verdict: "NONE", findings: []) }
        var findings: [Finding] = leftAsIs.map {
            Finding(location: $0.name, count: $0.sampleHits, detail: "\($0.class == .secretLike ? "secret-like" : "personal") column copied as it is: \($0.reason)")
        }
        let (columns, textColumns) = try schemaColumns()
        findings += try liveFindings(options: options, targetURL: targetURL, passwordHash: passwordHash, sourceHost: sourceHost, columns: columns)
        let emails = options.contains("anonymize_emails")
        if emails, let streamed = addressesCheckedInStream { findings += streamed.findings }
        let wanted = LeftoverSearch.Wanted(addresses: emails, phones: options.contains("anonymize_phones"),
                                           secretColumns: secretColumns, secretParameters: secretParameters,
                                           addressesCheckedInStream: Set(emails ? addressesCheckedInStream?.tables ?? [] : []))
        let sizes = SanitizedCopyPlan.sizes(fromRows: try target.query(SanitizedCopyPlan.sizesQuery))
        findings += try LeftoverSearch(source: source, target: target).run(textColumns, columns: columns, sizes: sizes, wanted: wanted)
        return Report(verdict: findings.isEmpty ? "NEUTRALIZED" : "PARTIAL", findings: findings)
    }
}
