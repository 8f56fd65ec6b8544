import Foundation

/// The modules the demo database has installed, and the `data/neutralize.sql` each ships in
/// Odoo 17 (read from Odoo's own source). The demo writes them into an addons directory, so
/// that neutralization reads them from the environment's addons path as it would on a real server.
public enum DemoAddons {
    public struct Module: Sendable {
        public let name: String
        public let version: String
        public let summary: String
        public let neutralizeSQL: String?
    }

    public static let odooVersion = "17.0"

    public static let modules: [Module] = [
        Module(name: "base", version: "17.0.1.3", summary: "The kernel of Odoo, needed for all installation.", neutralizeSQL: """
            -- deactivate mail servers
            UPDATE ir_mail_server
               SET active = false;

            -- insert dummy mail server to prevent using fallback servers specified using command line
            INSERT INTO ir_mail_server(name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
            VALUES ('neutralization - disable emails', 1025, 'invalid', 'none', true, 'login');

            -- deactivate crons
            UPDATE ir_cron
               SET active = false
             WHERE id NOT IN (
                   SELECT res_id
                     FROM ir_model_data
                    WHERE model = 'ir.cron'
                      AND name = 'autovacuum_job'
                      AND module = 'base'
            );

            -- activating neutralization flag for the database
            INSERT INTO ir_config_parameter (key, value)
            VALUES ('database.is_neutralized', true)
                ON CONFLICT (key) DO
                   UPDATE SET value = true;

            -- deactivate webhooks
            UPDATE ir_act_server
               SET webhook_url = 'neutralization - disable webhook'
             WHERE state = 'webhook';

            """),
        Module(name: "web", version: "17.0.1.0", summary: "Web client", neutralizeSQL: """
            -- activate neutralization watermarks
            UPDATE ir_ui_view
               SET active = true
             WHERE key = 'web.neutralize_banner';

            """),
        Module(name: "mail", version: "17.0.1.15", summary: "Discuss, chatter and e-mail gateway", neutralizeSQL: """
            -- deactivate mail template
            UPDATE mail_template
               SET mail_server_id = NULL;
            -- deactivate fetchmail server
            UPDATE fetchmail_server
               SET active = false;

            -- reset WEB Push Notification: delete VAPID/JWT keys
            DELETE FROM ir_config_parameter
                WHERE key IN ('mail.web_push_vapid_public_key', 'mail.web_push_vapid_private_key');

            """),
        Module(name: "payment", version: "17.0.2.0", summary: "The payment engine used by payment provider modules.", neutralizeSQL: """
            -- disable generic payment provider
            UPDATE payment_provider
               SET state = 'disabled'
             WHERE state NOT IN ('test', 'disabled');

            """),
        Module(name: "payment_stripe", version: "17.0.2.0", summary: "Stripe payment provider", neutralizeSQL: """
            -- disable stripe payment provider
            UPDATE payment_provider
               SET stripe_secret_key = NULL,
                   stripe_publishable_key = NULL,
                   stripe_webhook_secret = NULL;

            """),
        Module(name: "payment_paypal", version: "17.0.2.0", summary: "PayPal payment provider", neutralizeSQL: """
            -- disable paypal payment provider
            UPDATE payment_provider
               SET paypal_email_account = NULL,
                   paypal_pdt_token = NULL;

            """),
        Module(name: "iap", version: "17.0.1.1", summary: "In-App Purchases infrastructure", neutralizeSQL: """
            UPDATE iap_account SET account_token = REGEXP_REPLACE(account_token, '(\\+.*)?$', '+disabled');

            """),
        Module(name: "delivery", version: "17.0.1.0", summary: "Delivery costs", neutralizeSQL: """
            -- disable delivery carriers
            UPDATE delivery_carrier
               SET prod_environment = false;

            """),
        Module(name: "auth_oauth", version: "17.0.1.0", summary: "OAuth2 authentication", neutralizeSQL: nil),
        Module(name: "auth_totp", version: "17.0.1.0", summary: "Two-factor authentication (TOTP)", neutralizeSQL: nil),
        Module(name: "sms", version: "17.0.2.5", summary: "SMS text messaging", neutralizeSQL: nil),
        Module(name: "contacts", version: "17.0.1.0", summary: "Centralize your address book", neutralizeSQL: nil),
    ]

    /// Rows of `ir_module_module` for the installed modules (plus one that is only available).
    static var moduleRowsSQL: String {
        var rows = modules.map { m in
            "(\(SQL.literal(m.name)), 'installed', \(SQL.literal(m.version)), \(SQL.literal(#"{"en_US": "\#(m.summary)"}"#)), 'Odoo S.A.', 'LGPL-3', now(), now())"
        }
        rows.append("('website', 'uninstalled', '17.0.1.0', '{\"en_US\": \"Website builder\"}', 'Odoo S.A.', 'LGPL-3', now(), now())")
        return "INSERT INTO ir_module_module (name, state, latest_version, shortdesc, author, license, create_date, write_date) VALUES\n"
            + rows.joined(separator: ",\n") + ";\n"
    }

    /// A minimal `__manifest__.py`, so the directory reads as an Odoo module.
    static func manifest(for module: Module) -> String {
        """
        # Demo copy written by `ocore demo`.
        {
            'name': \(pythonString(module.name)),
            'version': \(pythonString(module.version)),
            'summary': \(pythonString(module.summary)),
            'license': 'LGPL-3',
            'installable': True,
        }

        """
    }

    private static func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
