/// The Odoo 17 tables ocore reads or changes, with the column names and types of Odoo 17's own
/// model definitions (a subset of columns: the ones operators and sanitization care about, plus
/// the usual audit columns). Foreign keys and indexes follow Odoo's so dumps and restores cost what
/// they cost on a real database.
enum DemoSchema {
    static let tables = #"""
    CREATE TABLE res_company (
        id serial PRIMARY KEY, name varchar NOT NULL, partner_id integer, currency_id integer,
        sequence integer, parent_id integer REFERENCES res_company(id), email varchar, phone varchar,
        mobile varchar, company_registry varchar, active boolean DEFAULT true,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE res_partner (
        id serial PRIMARY KEY, name varchar, company_id integer REFERENCES res_company(id),
        create_date timestamp, title integer, parent_id integer REFERENCES res_partner(id),
        user_id integer, state_id integer, country_id integer, industry_id integer, color integer,
        commercial_partner_id integer REFERENCES res_partner(id), create_uid integer, write_uid integer,
        complete_name varchar, ref varchar, lang varchar, tz varchar, vat varchar, company_registry varchar,
        website varchar, function varchar, type varchar, street varchar, street2 varchar, zip varchar,
        city varchar, email varchar, phone varchar, mobile varchar, commercial_company_name varchar,
        company_name varchar, barcode varchar, comment text, partner_latitude numeric, partner_longitude numeric,
        active boolean, employee boolean, is_company boolean, partner_share boolean, write_date timestamp,
        message_bounce integer, email_normalized varchar, signup_type varchar, signup_token varchar
    );
    ALTER TABLE res_company ADD FOREIGN KEY (partner_id) REFERENCES res_partner(id);
    CREATE TABLE res_users (
        id serial PRIMARY KEY, company_id integer NOT NULL REFERENCES res_company(id),
        partner_id integer NOT NULL REFERENCES res_partner(id), active boolean DEFAULT true,
        create_date timestamp, login varchar NOT NULL UNIQUE, password varchar, action_id integer,
        create_uid integer, write_uid integer, signature jsonb, share boolean, write_date timestamp,
        totp_secret varchar, notification_type varchar, odoobot_state varchar,
        oauth_provider_id integer, oauth_uid varchar, oauth_access_token varchar
    );
    CREATE TABLE ir_model_data (
        id serial PRIMARY KEY, res_id integer, create_uid integer, create_date timestamp, write_date timestamp,
        write_uid integer, noupdate boolean DEFAULT false, name varchar NOT NULL, module varchar NOT NULL, model varchar NOT NULL
    );
    CREATE TABLE ir_config_parameter (
        id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_mail_server (
        id serial PRIMARY KEY, name varchar NOT NULL, from_filter varchar, smtp_host varchar,
        smtp_port integer, smtp_authentication varchar NOT NULL DEFAULT 'login', smtp_user varchar,
        smtp_pass varchar, smtp_encryption varchar NOT NULL DEFAULT 'none', smtp_ssl_certificate bytea,
        smtp_ssl_private_key bytea, smtp_debug boolean, sequence integer, active boolean DEFAULT true,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_act_server (
        id serial PRIMARY KEY, name jsonb NOT NULL, type varchar NOT NULL DEFAULT 'ir.actions.server',
        usage varchar NOT NULL DEFAULT 'ir_actions_server', state varchar NOT NULL DEFAULT 'code',
        sequence integer, model_id integer, model_name varchar, code text, crud_model_id integer,
        link_field_id integer, webhook_url varchar,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_cron (
        id serial PRIMARY KEY, ir_actions_server_id integer NOT NULL REFERENCES ir_act_server(id) ON DELETE RESTRICT,
        cron_name varchar, user_id integer NOT NULL REFERENCES res_users(id), active boolean,
        interval_number integer, interval_type varchar, numbercall integer, doall boolean,
        nextcall timestamp NOT NULL, lastcall timestamp, priority integer,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_module_module (
        id serial PRIMARY KEY, create_uid integer, create_date timestamp, write_date timestamp, write_uid integer,
        website varchar, summary jsonb, name varchar NOT NULL UNIQUE, author varchar, icon varchar,
        state varchar(16), latest_version varchar, shortdesc jsonb, category_id integer, description jsonb,
        application boolean DEFAULT false, demo boolean DEFAULT false, web boolean DEFAULT false,
        license varchar(32), sequence integer DEFAULT 100, auto_install boolean DEFAULT false, to_buy boolean DEFAULT false,
        maintainer varchar, contributors text, published_version varchar, url varchar
    );
    CREATE TABLE ir_ui_view (
        id serial PRIMARY KEY, name varchar NOT NULL, model varchar, key varchar, priority integer NOT NULL DEFAULT 16,
        type varchar, arch_db jsonb, arch_fs varchar, arch_updated boolean, arch_prev text,
        inherit_id integer REFERENCES ir_ui_view(id) ON DELETE RESTRICT, field_parent varchar,
        mode varchar NOT NULL DEFAULT 'primary', active boolean DEFAULT true, customize_show boolean,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_attachment (
        id serial PRIMARY KEY, name varchar NOT NULL, description text, res_model varchar, res_field varchar,
        res_id integer, company_id integer REFERENCES res_company(id), type varchar NOT NULL DEFAULT 'binary',
        url varchar(1024), public boolean, access_token varchar, db_datas bytea, store_fname varchar,
        file_size integer, checksum varchar(40), mimetype varchar, index_content text, original_id integer,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE mail_message (
        id serial PRIMARY KEY, parent_id integer REFERENCES mail_message(id) ON DELETE SET NULL,
        res_id integer, record_name varchar, author_id integer REFERENCES res_partner(id) ON DELETE SET NULL,
        author_guest_id integer, mail_activity_type_id integer, subtype_id integer, mail_server_id integer,
        create_uid integer, write_uid integer, subject varchar, model varchar(128), message_type varchar NOT NULL,
        email_from varchar, message_id varchar, reply_to varchar, email_layout_xmlid varchar, body text,
        is_internal boolean, reply_to_force_new boolean, email_add_signature boolean,
        date timestamp, create_date timestamp, write_date timestamp
    );
    CREATE TABLE mail_mail (
        id serial PRIMARY KEY, mail_message_id integer NOT NULL REFERENCES mail_message(id) ON DELETE CASCADE,
        fetchmail_server_id integer, create_uid integer, write_uid integer, email_to text, email_cc varchar,
        state varchar, failure_type varchar, body_html text, "references" text, headers text,
        failure_reason text, is_notification boolean, auto_delete boolean, scheduled_date timestamp,
        create_date timestamp, write_date timestamp
    );
    CREATE TABLE mail_tracking_value (
        id serial PRIMARY KEY, field_id integer, currency_id integer,
        mail_message_id integer NOT NULL REFERENCES mail_message(id) ON DELETE CASCADE,
        old_value_integer integer, old_value_float double precision, old_value_char varchar, old_value_text text,
        old_value_datetime timestamp, new_value_integer integer, new_value_float double precision,
        new_value_char varchar, new_value_text text, new_value_datetime timestamp,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE mail_template (
        id serial PRIMARY KEY, model_id integer, create_uid integer, write_uid integer, mail_server_id integer REFERENCES ir_mail_server(id) ON DELETE SET NULL,
        model varchar, template_category varchar, email_from varchar, partner_to varchar, email_cc varchar,
        reply_to varchar, scheduled_date varchar, name jsonb, subject jsonb, body_html jsonb, lang varchar,
        email_to text, use_default_to boolean, auto_delete boolean, active boolean,
        create_date timestamp, write_date timestamp
    );
    CREATE TABLE fetchmail_server (
        id serial PRIMARY KEY, name varchar NOT NULL, active boolean, state varchar, server varchar,
        port integer, server_type varchar NOT NULL, is_ssl boolean, attach boolean, original boolean,
        date timestamp, "user" varchar, password varchar, object_id integer, priority integer,
        configuration text, script varchar,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE payment_provider (
        id serial PRIMARY KEY, company_id integer NOT NULL REFERENCES res_company(id), sequence integer,
        module_id integer, redirect_form_view_id integer, inline_form_view_id integer, token_inline_form_view_id integer,
        express_checkout_form_view_id integer, code varchar NOT NULL, state varchar NOT NULL,
        name jsonb NOT NULL, is_published boolean, allow_tokenization boolean, capture_manually boolean,
        allow_express_checkout boolean, maximum_amount numeric, pre_msg jsonb, pending_msg jsonb,
        stripe_publishable_key varchar, stripe_secret_key varchar, stripe_webhook_secret varchar,
        paypal_email_account varchar, paypal_pdt_token varchar,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE auth_oauth_provider (
        id serial PRIMARY KEY, name varchar NOT NULL, client_id varchar, auth_endpoint varchar NOT NULL,
        scope varchar, validation_endpoint varchar NOT NULL, data_endpoint varchar, enabled boolean,
        css_class varchar, body varchar NOT NULL, sequence integer,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    ALTER TABLE res_users ADD FOREIGN KEY (oauth_provider_id) REFERENCES auth_oauth_provider(id);
    CREATE TABLE auth_totp_device (
        id serial PRIMARY KEY, name varchar NOT NULL, user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
        scope varchar, index varchar(8), key varchar NOT NULL, create_date timestamp, expiration_date timestamp
    );
    CREATE TABLE sms_sms (
        id serial PRIMARY KEY, uuid varchar, number varchar, body text, partner_id integer REFERENCES res_partner(id),
        mail_message_id integer REFERENCES mail_message(id) ON DELETE SET NULL, state varchar NOT NULL,
        failure_type varchar, to_delete boolean,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE iap_account (
        id serial PRIMARY KEY, service_name varchar, account_token varchar, company_ids integer[],
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE delivery_carrier (
        id serial PRIMARY KEY, sequence integer, product_id integer, company_id integer REFERENCES res_company(id),
        delivery_type varchar NOT NULL, integration_level varchar, return_label_on_delivery boolean,
        name jsonb NOT NULL, active boolean, prod_environment boolean, debug_logging boolean,
        free_over boolean, amount numeric, fixed_price numeric,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    CREATE TABLE ir_model_fields (
        id serial PRIMARY KEY, model varchar NOT NULL, name varchar NOT NULL, ttype varchar NOT NULL,
        state varchar NOT NULL DEFAULT 'base', required boolean, readonly boolean, index boolean,
        create_uid integer, create_date timestamp, write_uid integer, write_date timestamp
    );
    """#

    /// Odoo describes every field of every model in `ir_model_fields` (model name, field name,
    /// type, and `base` for a module's field or `manual` for one added in the interface). The
    /// demo's rows say the same of its tables: selection keys are `selection`, translated names
    /// `char`, the rest by their column type.
    static let modelFields = #"""
    INSERT INTO ir_model_fields (model, name, ttype, state, create_date, write_date)
    SELECT replace(c.relname, '_', '.'), a.attname,
           CASE WHEN a.attname IN ('state', 'type', 'message_type', 'failure_type', 'interval_type', 'mode', 'code', 'delivery_type',
                                   'integration_level', 'smtp_encryption', 'smtp_authentication', 'server_type', 'notification_type',
                                   'odoobot_state', 'signup_type', 'lang', 'tz', 'usage', 'scope', 'template_category', 'license', 'ttype')
                     THEN 'selection'
                WHEN t.typname = 'jsonb' THEN 'char'
                WHEN t.typname = 'text' THEN 'text'
                WHEN t.typname = 'varchar' THEN 'char'
                WHEN t.typname IN ('int4', 'int8') THEN 'integer'
                WHEN t.typname = 'bool' THEN 'boolean'
                WHEN t.typname IN ('timestamp', 'date') THEN 'datetime'
                WHEN t.typname = 'bytea' THEN 'binary'
                ELSE 'float' END,
           'base', now(), now()
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'id';
    """#

    /// Indexes Odoo 17 declares on these tables (created after the bulk load, as pg_restore does).
    static let indexes = #"""
    CREATE INDEX res_partner_complete_name_index ON res_partner (complete_name);
    CREATE INDEX res_partner_parent_id_index ON res_partner (parent_id);
    CREATE INDEX res_partner_commercial_partner_id_index ON res_partner (commercial_partner_id);
    CREATE INDEX res_partner_company_id_index ON res_partner (company_id);
    CREATE INDEX res_partner_ref_index ON res_partner (ref);
    CREATE INDEX res_partner_vat_index ON res_partner (vat);
    CREATE INDEX res_partner_email_normalized_index ON res_partner (email_normalized);
    CREATE INDEX res_partner_date_index ON res_partner (create_date);
    CREATE UNIQUE INDEX ir_model_data_module_name_uniq_index ON ir_model_data (module, name);
    CREATE INDEX ir_model_data_model_res_id_index ON ir_model_data (model, res_id);
    CREATE INDEX ir_attachment_res_idx ON ir_attachment (res_model, res_id);
    CREATE INDEX ir_attachment_store_fname_index ON ir_attachment (store_fname);
    CREATE INDEX ir_attachment_checksum_index ON ir_attachment (checksum);
    CREATE INDEX mail_message_model_res_id_idx ON mail_message (model, res_id);
    CREATE INDEX mail_message_author_id_index ON mail_message (author_id);
    CREATE INDEX mail_message_message_id_index ON mail_message (message_id);
    CREATE INDEX mail_message_parent_id_index ON mail_message (parent_id);
    CREATE INDEX mail_message_date_index ON mail_message (date);
    CREATE INDEX mail_mail_mail_message_id_index ON mail_mail (mail_message_id);
    CREATE INDEX mail_mail_state_index ON mail_mail (state);
    CREATE INDEX mail_tracking_value_mail_message_id_index ON mail_tracking_value (mail_message_id);
    CREATE INDEX ir_ui_view_model_type_inherit_id ON ir_ui_view (model, inherit_id);
    CREATE INDEX ir_ui_view_key_index ON ir_ui_view (key);
    CREATE INDEX res_users_partner_id_index ON res_users (partner_id);
    """#
}
