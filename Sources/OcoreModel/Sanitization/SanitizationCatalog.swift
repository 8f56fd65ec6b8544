/// One sanitization option, as the product documents (seed 000) define it.
public struct SanitizationOption: Sendable, Equatable, Identifiable {
    public enum Category: String, Sendable, CaseIterable { case email, customerData = "customer_data", security, automation }
    public enum Priority: String, Sendable { case high, medium, low }

    public var id: String { key }
    public let key: String
    public let name: String
    public let description: String
    public let category: Category
    public let priority: Priority
    /// Enabled in the Recommended preset.
    public let defaultEnabled: Bool
    /// Applied whatever the preset (asset bundles must be rebuilt after any copy).
    public let alwaysOn: Bool
    /// How the impact count reads: "%d mail server(s) will be disabled".
    public let impactFormat: String
}

/// The catalog of options and the four presets.
public enum SanitizationCatalog {
    public static let options: [SanitizationOption] = [
        .init(key: "disable_mail_servers", name: "Disable outgoing mail servers",
              description: "Prevents staging from sending real emails by disabling all mail servers", category: .email, priority: .high,
              defaultEnabled: true, alwaysOn: false, impactFormat: "%d mail server(s) will be disabled"),
        .init(key: "clear_mail_queue", name: "Clear mail queue", description: "Delete all pending and failed emails from the mail queue",
              category: .email, priority: .high, defaultEnabled: true, alwaysOn: false, impactFormat: "%d pending email(s) will be deleted"),
        .init(key: "disable_mail_templates", name: "Disable email templates", description: "Deactivates all email templates",
              category: .email, priority: .low, defaultEnabled: false, alwaysOn: false, impactFormat: "%d email template(s) will be deactivated"),
        .init(key: "anonymize_emails", name: "Anonymize customer emails",
              description: "Replaces customer emails with user_<id>@staging.local everywhere they appear; active users keep theirs",
              category: .customerData, priority: .high, defaultEnabled: true, alwaysOn: false, impactFormat: "%d customer email(s) will be anonymized"),
        .init(key: "anonymize_phones", name: "Anonymize phone numbers", description: "Replaces phones with 555-<id> and clears mobiles",
              category: .customerData, priority: .medium, defaultEnabled: true, alwaysOn: false, impactFormat: "%d phone number(s) will be anonymized"),
        .init(key: "anonymize_addresses", name: "Anonymize addresses", description: "Replaces real addresses with generic values",
              category: .customerData, priority: .low, defaultEnabled: false, alwaysOn: false, impactFormat: "%d address(es) will be anonymized"),
        .init(key: "anonymize_company_names", name: "Anonymize company names", description: "Replaces company names with Company <id>",
              category: .customerData, priority: .low, defaultEnabled: false, alwaysOn: false, impactFormat: "%d company name(s) will be anonymized"),
        .init(key: "clear_api_keys", name: "Clear API keys and secrets",
              description: "Removes API keys, tokens, passwords and credentials from system parameters", category: .security, priority: .high,
              defaultEnabled: true, alwaysOn: false, impactFormat: "%d system parameter(s) will be cleared"),
        .init(key: "update_base_url", name: "Update base URL", description: "Sets web.base.url to the target's URL",
              category: .security, priority: .high, defaultEnabled: true, alwaysOn: false, impactFormat: "%d base URL will be updated"),
        .init(key: "clear_oauth_providers", name: "Clear OAuth provider credentials",
              description: "Removes OAuth credentials for Google, Microsoft, GitHub logins", category: .security, priority: .high,
              defaultEnabled: true, alwaysOn: false, impactFormat: "%d OAuth provider(s) will be cleared"),
        .init(key: "clear_payment_providers", name: "Clear payment provider credentials",
              description: "Disables payment providers and clears their credentials", category: .security, priority: .high,
              defaultEnabled: true, alwaysOn: false, impactFormat: "%d payment provider(s) will be disabled"),
        .init(key: "clear_oauth_tokens", name: "Clear OAuth access tokens", description: "Removes stored OAuth access and refresh tokens",
              category: .security, priority: .high, defaultEnabled: true, alwaysOn: false, impactFormat: "%d OAuth token(s) will be removed"),
        .init(key: "clear_webhook_urls", name: "Clear webhook URLs",
              description: "Removes webhook URLs so staging cannot trigger production webhooks", category: .security, priority: .medium,
              defaultEnabled: true, alwaysOn: false, impactFormat: "%d webhook URL(s) will be cleared"),
        .init(key: "clear_integration_credentials", name: "Clear integration credentials", description: "Removes third-party service credentials",
              category: .security, priority: .medium, defaultEnabled: true, alwaysOn: false, impactFormat: "%d integration credential(s) will be cleared"),
        .init(key: "clear_detected_secrets", name: "Clear detected secrets",
              description: "Clears columns and system parameters of any module that hold tokens, keys, passwords or IBANs (found by the coverage scan)",
              category: .security, priority: .high, defaultEnabled: true, alwaysOn: false, impactFormat: "%d secret column(s)/parameter(s) will be cleared"),
        .init(key: "reset_passwords", name: "Reset user passwords", description: "Resets all active users' passwords to a known value; archived users' hashes are removed",
              category: .security, priority: .low, defaultEnabled: false, alwaysOn: false, impactFormat: "%d user password(s) will be reset"),
        .init(key: "disable_2fa", name: "Disable 2FA/TOTP", description: "Removes all two-factor authentication devices",
              category: .security, priority: .low, defaultEnabled: false, alwaysOn: false, impactFormat: "%d 2FA setting(s) will be removed"),
        .init(key: "clear_asset_bundles", name: "Clear asset bundles", description: "Deletes compiled CSS/JS bundles, forces regeneration",
              category: .automation, priority: .high, defaultEnabled: true, alwaysOn: true, impactFormat: "%d asset bundle(s) will be deleted"),
        .init(key: "disable_crons", name: "Disable scheduled actions", description: "Deactivates all cron jobs except garbage collection",
              category: .automation, priority: .medium, defaultEnabled: false, alwaysOn: false, impactFormat: "%d scheduled action(s) will be disabled"),
        .init(key: "clear_scheduled_messages", name: "Clear scheduled messages", description: "Deletes future scheduled emails and SMS",
              category: .automation, priority: .medium, defaultEnabled: false, alwaysOn: false, impactFormat: "%d scheduled message(s) will be deleted"),
    ]

    public enum Preset: String, Codable, Sendable, CaseIterable {
        case recommended, minimal, full, none

        public var badge: String {
            switch self {
            case .recommended: "Best for staging"
            case .minimal: "Fastest"
            case .full: "Maximum protection"
            case .none: "Use with caution"
            }
        }
    }

    public static let defaultPreset = Preset.recommended

    /// The personal-data options: applied to the rows as a clone copies them or a restore loads
    /// them, so the real values never reach the target's disk (the others run after, on the copy).
    public static let personalDataKeys = ["anonymize_emails", "anonymize_phones", "anonymize_addresses", "anonymize_company_names"]

    /// The option keys a preset enables (always-on options included).
    public static func keys(for preset: Preset) -> [String] {
        switch preset {
        case .recommended: options.filter(\.defaultEnabled).map(\.key)
        case .minimal: ["disable_mail_servers", "clear_mail_queue", "clear_asset_bundles"]
        case .full: options.map(\.key)
        case .none: options.filter(\.alwaysOn).map(\.key)
        }
    }

    public static func option(_ key: String) -> SanitizationOption? { options.first { $0.key == key } }

    /// A preset adjusted with `--enable`/`--disable`. Unknown keys and attempts to disable an
    /// always-on option are refused with the list of valid keys.
    public static func resolve(preset: Preset, enable: [String] = [], disable: [String] = []) throws(ModelError) -> [String] {
        for key in enable + disable where option(key) == nil {
            throw .invalidValue(field: "sanitization option", value: key, reason: "unknown; valid keys: " + options.map(\.key).joined(separator: ", "))
        }
        if let forced = disable.first(where: { option($0)?.alwaysOn == true }) {
            throw .invalidValue(field: "--disable", value: forced, reason: "is always applied after a copy and cannot be disabled")
        }
        var chosen = Set(keys(for: preset)).union(enable).subtracting(disable)
        chosen.formUnion(options.filter(\.alwaysOn).map(\.key))
        return options.map(\.key).filter(chosen.contains)
    }

    /// The seeds' estimate: 30 s base, database at 10 MB/s, filestore at 20 MB/s, cross-server
    /// overhead, and a sanitization allowance per preset.
    public static func estimatedSeconds(databaseBytes: Int64, filestoreBytes: Int64?, crossServer: Bool, preset: Preset) -> Double {
        let mb = 1_000_000.0
        var total = 30 + Double(databaseBytes) / mb / 10 + Double(filestoreBytes ?? 0) / mb / 20
        if crossServer { total *= 1.15 }
        let sanitization: Double = switch preset {
        case .none: 5
        case .minimal: 12
        case .recommended: 30
        case .full: 90
        }
        return total + sanitization
    }
}
