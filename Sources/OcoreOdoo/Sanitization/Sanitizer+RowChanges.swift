import Foundation
import OcoreModel

extension Sanitizer {
    /// Why `table` (or one of `cols`) does not exist in this schema, or nil.
    static func absent(_ table: String, _ cols: [String], _ columns: [String: Set<String>]) -> String? {
        guard let present = columns[table] else {
            let module = ImpactPreview.moduleOfTable[table].map { ": module \($0) not installed" } ?? ""
            return "table \(table) absent\(module)"
        }
        return cols.first { !present.contains($0) }.map { "column \(table).\($0) absent" }
    }

    /// The options whose whole effect is stated as ``RowChange``s (the others need the copy's
    /// mapping, the target's URL or the coverage).
    public static let rowChangeOptions = ["disable_mail_servers", "clear_mail_queue", "disable_mail_templates", "clear_api_keys", "clear_oauth_providers",
                                          "clear_payment_providers", "clear_oauth_tokens", "clear_webhook_urls", "clear_integration_credentials",
                                          "reset_passwords", "disable_2fa", "clear_asset_bundles", "disable_crons", "clear_scheduled_messages"]

    /// An option's changes to the rows of this schema, or the reason it does not apply; nil for an
    /// option not stated this way.
    public static func rowChanges(_ key: String, columns: [String: Set<String>], context: Context) -> ([RowChange], String?)? {
        func has(_ table: String, _ cols: String...) -> String? { absent(table, cols, columns) }
        // A module's credential table emptied and its column on the users cleared.
        func userCredentials(rows table: String, column: String, absent: String) -> ([RowChange], String?) {
            var changes: [RowChange] = []
            if columns[table] != nil { changes.append(.remove(table: table, where: "true")) }
            if columns["res_users"]?.contains(column) == true {
                changes.append(.edit(table: "res_users", set: [(column, "NULL")], where: "\(SQL.identifier(column)) IS NOT NULL"))
            }
            return changes.isEmpty ? ([], absent) : (changes, nil)
        }
        func params(_ patterns: [String]) -> RowChange {
            .edit(table: "ir_config_parameter", set: [("value", "''")], where: "\"value\" <> '' AND \(ImpactPreview.keyMatches(patterns))")
        }
        switch key {
        case "disable_mail_servers":
            if let r = has("ir_mail_server", "active") { return ([], r) }
            // The dummy server Odoo's neutralization inserts (host 'invalid') stays active: it keeps
            // Odoo from falling back to a mail server given on its command line.
            return ([.edit(table: "ir_mail_server", set: [("active", "false")], where: "\"active\" AND smtp_host IS DISTINCT FROM 'invalid'")], nil)
        case "clear_mail_queue":
            if let r = has("mail_mail", "state") { return ([], r) }
            return ([.remove(table: "mail_mail", where: "\"state\" IN ('outgoing', 'exception')")], nil)
        case "disable_mail_templates":
            if let r = has("mail_template", "active") { return ([], r) }
            return ([.edit(table: "mail_template", set: [("active", "false")], where: "\"active\"")], nil)
        case "clear_api_keys":
            if let r = has("ir_config_parameter", "key", "value") { return ([], r) }
            return ([params(ImpactPreview.apiKeyPatterns)], nil)
        case "clear_oauth_providers":
            if let r = has("auth_oauth_provider", "client_id", "enabled") { return ([], r) }
            let secret: [(column: String, value: String)] = columns["auth_oauth_provider"]?.contains("client_secret") == true ? [("client_secret", "''")] : []
            return ([.edit(table: "auth_oauth_provider", set: [("client_id", "''")] + secret + [("enabled", "false")],
                           where: "((client_id IS NOT NULL AND client_id <> '') OR \"enabled\")")], nil)
        case "clear_payment_providers":
            if let r = has("payment_provider", "state") { return ([], r) }
            let credentials = paymentCredentialColumns.filter { columns["payment_provider"]?.contains($0) == true }
            let condition = (["\"state\" <> 'disabled'"] + credentials.map { "\(SQL.identifier($0)) IS NOT NULL" }).joined(separator: " OR ")
            return ([.edit(table: "payment_provider", set: [("state", "'disabled'")] + credentials.map { ($0, "NULL") }, where: "(\(condition))")], nil)
        case "clear_oauth_tokens":
            return userCredentials(rows: "auth_oauth_token", column: "oauth_access_token", absent: "no OAuth token storage: module auth_oauth not installed")
        case "clear_webhook_urls":
            if let r = has("ir_config_parameter", "key", "value") { return ([], r) }
            return ([params(ImpactPreview.webhookPatterns)], nil)
        case "clear_integration_credentials":
            if let r = has("ir_config_parameter", "key", "value") { return ([], r) }
            return ([params(ImpactPreview.integrationPatterns)], nil)
        case "reset_passwords":
            if let r = has("res_users", "password", "active") { return ([], r) }
            // Archived users cannot log in, but their hashes are still production's (a reactivation, a cracked hash).
            return ([.edit(table: "res_users", set: [("password", SQL.literal(context.passwordHash))], where: "\"active\""),
                     .edit(table: "res_users", set: [("password", "NULL")], where: "NOT \"active\" AND \"password\" IS NOT NULL")], nil)
        case "disable_2fa":
            return userCredentials(rows: "auth_totp_device", column: "totp_secret", absent: "no 2FA storage: module auth_totp not installed")
        case "clear_asset_bundles":
            if let r = has("ir_attachment", "name", "res_model", "res_field") { return ([], r) }
            return ([.remove(table: "ir_attachment", where: "(\"name\" LIKE 'web.assets_%.min.%' OR \"name\" LIKE 'web.assets_%.css' OR \"name\" LIKE 'web.assets_%.js' OR (res_model = 'ir.ui.view' AND res_field = 'arch_db'))")], nil)
        case "disable_crons":
            guard let present = columns["ir_cron"] else { return ([], "table ir_cron absent") }
            let name = SQL.identifier(present.contains("cron_name") ? "cron_name" : "name")
            return ([.edit(table: "ir_cron", set: [("active", "false")],
                           where: "\"active\" AND \(name) NOT ILIKE '%Garbage%' AND \(name) NOT ILIKE '%Cleanup%' AND \"id\" NOT IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job')")], nil)
        case "clear_scheduled_messages":
            var changes: [RowChange] = []
            if columns["mail_mail"]?.isSuperset(of: ["state", "scheduled_date"]) == true {
                changes.append(.remove(table: "mail_mail", where: "\"state\" = 'outgoing' AND scheduled_date > now()"))
            }
            if columns["sms_sms"]?.contains("state") == true { changes.append(.remove(table: "sms_sms", where: "\"state\" = 'outgoing'")) }
            return changes.isEmpty ? ([], "no scheduled message tables") : (changes, nil)
        default:
            return nil
        }
    }
}
