/// SQL that fills the demo schema with realistic, deterministic fake data, generated inside
/// PostgreSQL (`generate_series`) so that even the 1.5 M-partner dataset loads in seconds.
///
/// Shape of the data, as sanitization and its proof will meet it in production:
/// partner 1 is the company, 2 OdooBot, 3 the administrator, 4–13 internal users, the rest
/// customers (every 10th a company with contacts below it); addresses also sit in message
/// headers and bodies, in queued mail and in tracking values; an archived user's address must be
/// anonymised like any customer's.
enum DemoData {
    static let firstNames = ["Anna", "Bruno", "Chloé", "David", "Emma", "Farid", "Greta", "Hugo", "Inès", "Jan", "Katrin",
                             "Luca", "Marie", "Nils", "Olivia", "Pieter", "Quentin", "Rosa", "Sven", "Tomás", "Ursula",
                             "Victor", "Wiebke", "Xavier", "Yasmin", "Zoë", "Amélie", "Björn", "Carmen", "Dirk"]
    static let lastNames = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
                            "De Smet", "Dubois", "Lambert", "Martin", "Müller", "Schmidt", "García", "Rossi", "Novak",
                            "Kowalski", "O'Brien", "Nguyen", "Silva", "Andersen", "Virtanen", "Horvat", "Papadopoulos"]
    static let mailDomains = ["gmail.com", "outlook.com", "yahoo.fr", "web.de", "proton.me", "icloud.com", "telenet.be", "orange.fr"]
    static let companyWords = ["Acme", "Brightline", "Cobalt", "Delta", "Evergreen", "Fjord", "Granite", "Harbor", "Ionic",
                               "Juniper", "Keystone", "Lumen", "Meridian", "Northwind", "Orchid", "Pioneer"]
    static let companySuffixes = ["Logistics", "Foods", "Consulting", "Industries", "Retail", "Labs", "Textiles", "Energy"]

    static func array(_ values: [String]) -> String {
        "ARRAY[" + values.map(SQL.literal).joined(separator: ",") + "]"
    }

    /// The whole load for `scale`; `seed` varies names between databases of one demo.
    static func load(scale: DemoScale, seed: Int, baseURL: String) -> String {
        let n = scale.partners
        let m = scale.messages
        let first = array(firstNames), last = array(lastNames), domains = array(mailDomains)
        let words = array(companyWords), suffixes = array(companySuffixes)
        // Expressions for customer g (g >= 14): deterministic pseudo-random picks, offset per database.
        let offset = seed
        let fn = "(\(first))[1 + ((g * 7919 + \(offset)) % \(firstNames.count))::int]"
        let ln = "(\(last))[1 + ((g * 104729 + \(offset) * 3) % \(lastNames.count))::int]"
        func companyName(_ v: String) -> String {
            "(\(words))[1 + ((\(v) * 31 + \(offset)) % \(companyWords.count))::int] || ' ' || (\(suffixes))[1 + ((\(v) * 17) % \(companySuffixes.count))::int]"
        }
        let company = companyName("g")
        // Contacts of companies: every third non-company partner belongs to the company just before it.
        let parent = "CASE WHEN g > 20 AND g % 10 <> 0 AND g % 3 = 0 THEN (g / 10) * 10 END"
        let personalMail = "lower(translate(\(fn), 'éèëïöüóáíñçøåäÿÉ', 'eeeiouoaincoaayE')) || '.' || lower(replace(replace(translate(\(ln), 'éèëïöüóáíñçøåäÿÉ', 'eeeiouoaincoaayE'), ' ', ''), '''', '')) || g || '@' || (\(domains))[1 + ((g * 13) % \(mailDomains.count))::int]"
        let companyMail = "'info' || g || '@' || lower(replace((\(words))[1 + ((g * 31 + \(offset)) % \(companyWords.count))::int], ' ', '')) || '-' || g || '.example.com'"
        let phone = "'+32 4' || lpad(((g * 7907) % 100)::text, 2, '0') || ' ' || lpad(((g * 131) % 1000)::text, 3, '0') || ' ' || lpad((g % 1000)::text, 3, '0')"

        return """
        BEGIN;
        SET LOCAL synchronous_commit = off;
        -- The company and its partner.
        INSERT INTO res_partner (id, name, complete_name, email, email_normalized, phone, is_company, active, type, lang, create_date, write_date, partner_share)
        VALUES (1, 'Demo Company BV', 'Demo Company BV', 'info@demo-company.example.com', 'info@demo-company.example.com', '+32 2 555 01 00', true, true, 'contact', 'en_US', now(), now(), false),
               (2, 'OdooBot', 'OdooBot', 'odoobot@example.com', 'odoobot@example.com', NULL, false, false, 'contact', 'en_US', now(), now(), false);
        INSERT INTO res_company (id, name, partner_id, currency_id, sequence, email, phone, company_registry, active, create_date, write_date)
        VALUES (1, 'Demo Company BV', 1, 1, 10, 'info@demo-company.example.com', '+32 2 555 01 00', '0123.456.789', true, now(), now());
        UPDATE res_partner SET company_id = 1, commercial_partner_id = id WHERE id IN (1, 2);

        -- Administrator and internal users (partners 3..13), then customers.
        INSERT INTO res_partner (id, name, complete_name, email, email_normalized, phone, company_id, is_company, active, type, lang, tz, employee, partner_share, create_date, write_date, commercial_partner_id)
        SELECT g, CASE WHEN g = 3 THEN 'Mitchell Admin' ELSE \(fn) || ' ' || \(ln) END,
               CASE WHEN g = 3 THEN 'Mitchell Admin' ELSE \(fn) || ' ' || \(ln) END,
               CASE WHEN g = 3 THEN 'admin@demo-company.example.com' ELSE 'user' || g || '@demo-company.example.com' END,
               CASE WHEN g = 3 THEN 'admin@demo-company.example.com' ELSE 'user' || g || '@demo-company.example.com' END,
               '+32 2 555 01 ' || lpad(g::text, 2, '0'), 1, false, true, 'contact', 'en_US', 'Europe/Brussels', true, false, now(), now(), g
        FROM generate_series(3, 13) g;

        INSERT INTO res_partner (id, name, complete_name, email, email_normalized, phone, mobile, street, street2, zip, city,
                                 country_id, vat, ref, website, function, company_id, is_company, active, type, lang, tz,
                                 partner_share, employee, comment, create_date, write_date, parent_id, commercial_partner_id,
                                 commercial_company_name, signup_type, message_bounce)
        SELECT g,
               CASE WHEN g % 10 = 0 THEN \(company) ELSE \(fn) || ' ' || \(ln) END,
               CASE WHEN g % 10 = 0 THEN \(company) ELSE \(fn) || ' ' || \(ln) END,
               CASE WHEN g % 23 = 0 THEN NULL WHEN g % 10 = 0 THEN \(companyMail) ELSE \(personalMail) END,
               CASE WHEN g % 23 = 0 THEN NULL WHEN g % 10 = 0 THEN \(companyMail) ELSE \(personalMail) END,
               CASE WHEN g % 7 = 0 THEN NULL ELSE \(phone) END,
               CASE WHEN g % 3 = 0 THEN '+32 47' || lpad((g % 10000000)::text, 7, '0') ELSE NULL END,
               ((g * 37) % 300 + 1)::text || ' ' || (ARRAY['Rue de la Loi','Meir','Kerkstraat','Avenue Louise','Hauptstraße','Calle Mayor'])[1 + (g % 6)::int],
               CASE WHEN g % 5 = 0 THEN 'Box ' || (g % 40) ELSE NULL END,
               lpad(((g * 97) % 9000 + 1000)::text, 4, '0'),
               (ARRAY['Brussels','Antwerp','Ghent','Liège','Berlin','Madrid','Lyon','Rotterdam'])[1 + (g % 8)::int],
               1 + g % 20,
               CASE WHEN g % 10 = 0 THEN 'BE0' || lpad(((g * 7) % 1000000000)::text, 9, '0') ELSE NULL END,
               'C' || g, CASE WHEN g % 10 = 0 THEN 'https://www.example.com/c' || g ELSE NULL END,
               CASE WHEN g % 10 <> 0 AND g % 4 = 0 THEN 'Purchasing Manager' ELSE NULL END,
               1, g % 10 = 0, g % 97 <> 0, 'contact', 'en_US', 'Europe/Brussels', true, false,
               CASE WHEN g % 50 = 0 THEN '<p>Prefers phone contact.</p>' ELSE NULL END,
               now() - ((g % 1500) || ' days')::interval, now(),
               \(parent), COALESCE(\(parent), g),
               CASE WHEN g > 20 AND g % 10 <> 0 AND g % 3 = 0 THEN \(companyName("((g / 10) * 10)")) END, NULL, 0
        FROM generate_series(14::bigint, \(n)) g;

        INSERT INTO auth_oauth_provider (id, name, client_id, auth_endpoint, scope, validation_endpoint, data_endpoint, enabled, css_class, body, sequence, create_date, write_date)
        VALUES (1, 'Google OAuth2', '1054392711-prod.apps.googleusercontent.com', 'https://accounts.google.com/o/oauth2/auth', 'openid profile email', 'https://www.googleapis.com/oauth2/v3/tokeninfo', NULL, true, 'fa fa-fw fa-google', 'Log in with Google', 10, now(), now()),
               (2, 'Odoo.com Accounts', 'odoo-prod-client-7781', 'https://accounts.odoo.com/oauth2/auth', 'userinfo', 'https://accounts.odoo.com/oauth2/tokeninfo', NULL, true, 'fa fa-fw o_custom_icon', 'Log in with Odoo.com', 5, now(), now());

        INSERT INTO res_users (id, company_id, partner_id, active, login, password, share, notification_type, odoobot_state, create_date, write_date, totp_secret, oauth_provider_id, oauth_uid, oauth_access_token)
        VALUES (1, 1, 2, false, '__system__', NULL, false, 'email', 'disabled', now(), now(), NULL, NULL, NULL, NULL),
               (2, 1, 3, true, 'admin', '$pbkdf2-sha512$600000$demoadminsalt$Zm9yLWRlbW8tb25seS1ub3QtYS1yZWFsLWhhc2g', false, 'inbox', 'onboarding_emoji', now(), now(), 'JBSWY3DPEHPK3PXP', NULL, NULL, NULL);
        INSERT INTO res_users (id, company_id, partner_id, active, login, password, share, notification_type, create_date, write_date, totp_secret, oauth_provider_id, oauth_uid, oauth_access_token)
        SELECT g - 1, 1, g, true, 'user' || g || '@demo-company.example.com',
               '$pbkdf2-sha512$600000$salt' || g || '$aGFzaC1mb3ItZGVtby11c2VyLW5vdC1yZWFs', false, 'email', now(), now(),
               CASE WHEN g % 3 = 0 THEN 'KRSXG5CTMVRXEZLU' || g ELSE NULL END,
               CASE WHEN g % 4 = 0 THEN 1 ELSE NULL END,
               CASE WHEN g % 4 = 0 THEN 'google-uid-' || g ELSE NULL END,
               CASE WHEN g % 4 = 0 THEN 'ya29.a0AfH6SMprodaccesstoken' || g ELSE NULL END
        FROM generate_series(4, 13) g;
        -- Portal users (customers with a login), one of them archived.
        INSERT INTO res_users (id, company_id, partner_id, active, login, password, share, notification_type, create_date, write_date)
        SELECT 100 + g, 1, g, g <> 15, (SELECT email FROM res_partner WHERE id = g), '$pbkdf2-sha512$600000$portal$cG9ydGFsLWhhc2g', true, 'email', now(), now()
        FROM generate_series(14, 16) g WHERE (SELECT email FROM res_partner WHERE id = g) IS NOT NULL;
        INSERT INTO auth_totp_device (name, user_id, scope, index, key, create_date)
        SELECT 'Authenticator on phone', id, 'browser', substr(md5(id::text), 1, 8), md5('totp' || id), now() FROM res_users WHERE totp_secret IS NOT NULL;

        INSERT INTO ir_model_data (name, module, model, res_id, noupdate, create_date, write_date)
        VALUES ('main_company', 'base', 'res.company', 1, true, now(), now()),
               ('main_partner', 'base', 'res.partner', 1, true, now(), now()),
               ('partner_root', 'base', 'res.partner', 2, true, now(), now()),
               ('partner_admin', 'base', 'res.partner', 3, true, now(), now()),
               ('user_root', 'base', 'res.users', 1, true, now(), now()),
               ('user_admin', 'base', 'res.users', 2, true, now(), now()),
               ('provider_google', 'auth_oauth', 'auth.oauth.provider', 1, true, now(), now()),
               ('provider_openerp', 'auth_oauth', 'auth.oauth.provider', 2, true, now(), now());

        INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES
            ('web.base.url', \(SQL.literal(baseURL)), now(), now()),
            ('database.uuid', gen_random_uuid()::text, now(), now()),
            ('database.secret', md5(random()::text) || md5(random()::text), now(), now()),
            ('database.create_date', to_char(now(), 'YYYY-MM-DD HH24:MI:SS'), now(), now()),
            ('database.enterprise_code', 'M' || (100000000 + (random() * 899999999)::int)::text, now(), now()),
            ('database.expiration_date', to_char(now() + interval '1 year', 'YYYY-MM-DD HH24:MI:SS'), now(), now()),
            ('base.login_cooldown_duration', '60', now(), now()),
            ('google_maps_api_key', 'AIzaSyD-prod-maps-key-0b1c2d3e4f', now(), now()),
            ('google_recaptcha_secret', '6Lc-prod-recaptcha-secret', now(), now()),
            ('mail.web_push_vapid_public_key', 'BPr0dVapidPublicKey1234567890', now(), now()),
            ('mail.web_push_vapid_private_key', 'pr0dVapidPrivateKey0987654321', now(), now()),
            ('sms_provider.api_token', 'sms-prod-token-55aa', now(), now()),
            ('shipping_provider.account', 'dhl-prod-account-7788', now(), now()),
            ('analytics_tracking.id', 'UA-998877-1', now(), now()),
            ('sendgrid_api.credential', 'SG.prod-credential-value', now(), now()),
            ('twilio_account.password', 'twilio-prod-password', now(), now()),
            ('crm.lead_webhook_url', 'https://hooks.example.net/prod/leads', now(), now()),
            ('payment.callback_url', 'https://erp.example.com/payment/notify', now(), now()),
            ('mail.catchall.domain', 'demo-company.example.com', now(), now()),
            ('mail.bounce.alias', 'bounce', now(), now());

        INSERT INTO ir_mail_server (id, name, smtp_host, smtp_port, smtp_authentication, smtp_user, smtp_pass, smtp_encryption, sequence, active, create_date, write_date)
        VALUES (1, 'Production SMTP', 'smtp.sendgrid.net', 587, 'login', 'apikey', 'SG.prod-smtp-password', 'starttls', 10, true, now(), now()),
               (2, 'Transactional (Mailgun)', 'smtp.mailgun.org', 465, 'login', 'postmaster@mg.demo-company.example.com', 'mg-prod-password', 'ssl', 20, true, now(), now()),
               (3, 'Old relay', 'relay.demo-company.example.com', 25, 'login', NULL, NULL, 'none', 30, false, now(), now());

        INSERT INTO fetchmail_server (id, name, active, state, server, port, server_type, is_ssl, attach, original, "user", password, priority, create_date, write_date)
        VALUES (1, 'Support inbox', true, 'done', 'imap.demo-company.example.com', 993, 'imap', true, true, false, 'support@demo-company.example.com', 'imap-prod-password', 5, now(), now());

        INSERT INTO ir_act_server (id, name, state, sequence, model_name, code, webhook_url, create_date, write_date)
        VALUES (1, '{"en_US": "Base: Auto-vacuum internal data"}', 'code', 5, 'ir.autovacuum', 'model._run_vacuum_cleaner()', NULL, now(), now()),
               (2, '{"en_US": "Mail: Email Queue Manager"}', 'code', 5, 'mail.mail', 'model.process_email_queue()', NULL, now(), now()),
               (3, '{"en_US": "Mail: Fetchmail Service"}', 'code', 5, 'fetchmail.server', 'model._fetch_mails()', NULL, now(), now()),
               (4, '{"en_US": "Payment: Post-process transactions"}', 'code', 5, 'payment.transaction', 'model._cron_post_process()', NULL, now(), now()),
               (5, '{"en_US": "SMS: SMS Queue Manager"}', 'code', 5, 'sms.sms', 'model._process_queue()', NULL, now(), now()),
               (6, '{"en_US": "Partner: notify CRM webhook"}', 'webhook', 10, 'res.partner', NULL, 'https://hooks.example.net/prod/partner-updated', now(), now()),
               (7, '{"en_US": "Digest Emails"}', 'code', 5, 'digest.digest', 'model._cron_send_digest_email()', NULL, now(), now());
        INSERT INTO ir_cron (id, ir_actions_server_id, cron_name, user_id, active, interval_number, interval_type, numbercall, doall, nextcall, priority, create_date, write_date)
        VALUES (1, 1, 'Base: Auto-vacuum internal data', 1, true, 1, 'days', -1, false, now() + interval '1 day', 5, now(), now()),
               (2, 2, 'Mail: Email Queue Manager', 1, true, 1, 'minutes', -1, false, now(), 5, now(), now()),
               (3, 3, 'Mail: Fetchmail Service', 1, true, 5, 'minutes', -1, false, now(), 5, now(), now()),
               (4, 4, 'Payment: Post-process transactions', 1, true, 10, 'minutes', -1, false, now(), 5, now(), now()),
               (5, 5, 'SMS: SMS Queue Manager', 1, true, 1, 'hours', -1, false, now(), 5, now(), now()),
               (6, 7, 'Digest Emails', 1, false, 1, 'days', -1, false, now(), 5, now(), now());
        INSERT INTO ir_model_data (name, module, model, res_id, noupdate, create_date, write_date)
        VALUES ('autovacuum_job', 'base', 'ir.cron', 1, true, now(), now()),
               ('ir_cron_mail_scheduler_action', 'mail', 'ir.cron', 2, true, now(), now()),
               ('ir_cron_mail_gateway_action', 'mail', 'ir.cron', 3, true, now(), now()),
               ('cron_post_process_payment_tx', 'payment', 'ir.cron', 4, true, now(), now()),
               ('ir_cron_sms_scheduler_action', 'sms', 'ir.cron', 5, true, now(), now());

        INSERT INTO ir_ui_view (id, name, model, key, type, arch_db, mode, active, priority, create_date, write_date)
        VALUES (1, 'neutralize_banner', NULL, 'web.neutralize_banner', 'qweb', '{"en_US": "<t t-name=\\"web.neutralize_banner\\"><span class=\\"badge text-bg-danger\\">Neutralized</span></t>"}', 'primary', false, 16, now(), now()),
               (2, 'res.partner.form', 'res.partner', NULL, 'form', '{"en_US": "<form string=\\"Partners\\"/>"}', 'primary', true, 16, now(), now()),
               (3, 'res.partner.tree', 'res.partner', NULL, 'tree', '{"en_US": "<tree string=\\"Contacts\\"/>"}', 'primary', true, 16, now(), now()),
               (4, 'webclient_bootstrap', NULL, 'web.webclient_bootstrap', 'qweb', '{"en_US": "<t t-name=\\"web.webclient_bootstrap\\"/>"}', 'primary', true, 16, now(), now());
        INSERT INTO ir_model_data (name, module, model, res_id, noupdate, create_date, write_date)
        VALUES ('neutralize_banner', 'web', 'ir.ui.view', 1, false, now(), now());

        INSERT INTO payment_provider (id, company_id, sequence, code, state, name, is_published, allow_tokenization, stripe_publishable_key, stripe_secret_key, stripe_webhook_secret, paypal_email_account, paypal_pdt_token, create_date, write_date)
        VALUES (1, 1, 1, 'stripe', 'enabled', '{"en_US": "Stripe"}', true, true, 'pk_live_51DemoPublishableKey', 'sk_live_51DemoSecretKeyDoNotUse', 'whsec_DemoWebhookSecret', NULL, NULL, now(), now()),
               (2, 1, 2, 'paypal', 'enabled', '{"en_US": "PayPal"}', true, false, NULL, NULL, NULL, 'payments@demo-company.example.com', 'paypal-pdt-prod-token', now(), now()),
               (3, 1, 3, 'transfer', 'enabled', '{"en_US": "Wire Transfer"}', true, false, NULL, NULL, NULL, NULL, NULL, now(), now()),
               (4, 1, 4, 'adyen', 'disabled', '{"en_US": "Adyen"}', false, false, NULL, NULL, NULL, NULL, NULL, now(), now()),
               (5, 1, 5, 'demo', 'test', '{"en_US": "Demo"}', false, false, NULL, NULL, NULL, NULL, NULL, now(), now());

        INSERT INTO iap_account (id, service_name, account_token, company_ids, create_date, write_date)
        VALUES (1, 'sms', 'a1b2c3d4-prod-iap-sms-token', ARRAY[1], now(), now()),
               (2, 'partner_autocomplete', 'e5f6a7b8-prod-iap-autocomplete', ARRAY[1], now(), now());

        INSERT INTO delivery_carrier (id, sequence, company_id, delivery_type, integration_level, name, active, prod_environment, debug_logging, free_over, amount, fixed_price, create_date, write_date)
        VALUES (1, 1, 1, 'fixed', 'rate_and_ship', '{"en_US": "Standard delivery"}', true, false, false, false, 0, 5.0, now(), now()),
               (2, 2, 1, 'base_on_rule', 'rate_and_ship', '{"en_US": "DHL Express"}', true, true, false, true, 100, 0, now(), now()),
               (3, 3, 1, 'base_on_rule', 'rate', '{"en_US": "bpost"}', true, true, false, false, 0, 0, now(), now());

        INSERT INTO mail_template (id, model, name, subject, email_from, email_to, partner_to, body_html, auto_delete, active, use_default_to, mail_server_id, create_date, write_date)
        VALUES (1, 'sale.order', '{"en_US": "Sales: Send Quotation"}', '{"en_US": "{{ object.company_id.name }} Quotation"}', '{{ (object.user_id.email_formatted or user.email_formatted) }}', NULL, '{{ object.partner_id.id }}', '{"en_US": "<p>Dear {{ object.partner_id.name }}</p>"}', true, true, false, 1, now(), now()),
               (2, 'account.move', '{"en_US": "Invoice: Sending"}', '{"en_US": "Invoice {{ object.name }}"}', '{{ user.email_formatted }}', NULL, '{{ object.partner_id.id }}', '{"en_US": "<p>Here is your invoice</p>"}', true, true, false, 2, now(), now()),
               (3, 'res.users', '{"en_US": "Auth Signup: Reset Password"}', '{"en_US": "Password reset"}', '"{{ object.company_id.name }}" <{{ (object.company_id.email or user.email) }}>', '{{ object.email_formatted }}', NULL, '{"en_US": "<p>Reset your password</p>"}', true, true, false, NULL, now(), now()),
               (4, 'res.partner', '{"en_US": "Newsletter (archived)"}', '{"en_US": "Our news"}', 'news@demo-company.example.com', NULL, NULL, '{"en_US": "<p>News</p>"}', false, false, false, NULL, now(), now());

        -- Chatter: a message per customer, written by the customer or an employee, with the
        -- author's address in the header and, in one message of six, in the body.
        INSERT INTO mail_message (id, res_id, model, record_name, author_id, subject, message_type, email_from, reply_to, message_id, body, is_internal, date, create_date, write_date, subtype_id)
        SELECT m.g, m.res_id, 'res.partner', NULL, m.author,
               CASE WHEN m.g % 3 = 0 THEN 'Re: Order S' || lpad(m.g::text, 5, '0') ELSE NULL END,
               CASE WHEN m.g % 2 = 0 THEN 'email' ELSE 'comment' END,
               CASE WHEN p.email IS NOT NULL THEN '"' || p.name || '" <' || p.email || '>' END,
               CASE WHEN m.g % 4 = 0 THEN p.email END,
               '<' || md5(m.g::text) || '.' || m.g || '-openerp-res.partner@demo-company.example.com>',
               CASE WHEN m.g % 6 = 0 AND p.email IS NOT NULL
                    THEN '<p>Please write back to ' || p.email || ' or call ' || COALESCE(p.phone, 'the office') || '.</p>'
                    ELSE '<p>Message ' || m.g || ' about delivery and invoicing.</p>' END,
               m.g % 5 = 0, now() - ((m.g % 1000) || ' hours')::interval, now(), now(), 1
          FROM (SELECT g, 14 + (g * 7) % (\(n) - 13) AS res_id,
                       CASE WHEN g % 2 = 0 THEN 14 + (g * 7) % (\(n) - 13) ELSE 3 + g % 11 END AS author
                  FROM generate_series(1::bigint, \(m)) g) m
          JOIN res_partner p ON p.id = m.author;

        -- Queued, failed and sent mail.
        INSERT INTO mail_mail (mail_message_id, email_to, email_cc, state, body_html, failure_reason, is_notification, auto_delete, scheduled_date, create_date, write_date)
        SELECT mm.id, p.email, CASE WHEN mm.id % 9 = 0 THEN 'accounting@demo-company.example.com' ELSE NULL END,
               (ARRAY['outgoing','outgoing','exception','sent','sent','cancel'])[1 + mm.id % 6],
               '<p>Dear ' || p.name || ', your order is ready. Reply to ' || p.email || '.</p>',
               CASE WHEN mm.id % 6 = 2 THEN 'SMTP 550: mailbox unavailable' ELSE NULL END, false, true, NULL, now(), now()
          FROM mail_message mm JOIN res_partner p ON p.id = mm.res_id
         WHERE mm.id % 40 = 0 AND p.email IS NOT NULL;

        -- Field tracking of e-mail changes.
        INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_char, new_value_char, create_date, write_date)
        SELECT mm.id, 42, 'old.' || p.email, p.email, now(), now()
          FROM mail_message mm JOIN res_partner p ON p.id = mm.res_id
         WHERE mm.id % 25 = 0 AND p.email IS NOT NULL;

        INSERT INTO sms_sms (uuid, number, body, partner_id, state, failure_type, to_delete, create_date, write_date)
        SELECT md5(id::text), phone, 'Your parcel is on its way.', id, (ARRAY['outgoing','sent','error'])[1 + id % 3], NULL, false, now(), now()
          FROM res_partner WHERE id % 200 = 0 AND phone IS NOT NULL;

        -- Serial sequences continue after the explicit ids, as in a database Odoo itself filled.
        DO $$
        DECLARE t text;
        BEGIN
            FOR t IN SELECT table_name FROM information_schema.columns
                      WHERE table_schema = 'public' AND column_name = 'id' AND column_default LIKE 'nextval%'
            LOOP
                EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), COALESCE((SELECT max(id) FROM %I), 0) + 1, false)', t, t);
            END LOOP;
        END $$;
        COMMIT;
        """
    }
}
