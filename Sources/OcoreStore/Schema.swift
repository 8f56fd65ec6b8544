import GRDB
import OcoreModel

/// Versioned migrations of the state store. Never edit a shipped migration: add the next one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-inventory") { db in
            try db.execute(sql: """
                CREATE TABLE server (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
                    ssh_user TEXT, ssh_host TEXT, ssh_port INTEGER,
                    identity_file TEXT, known_hosts_file TEXT,
                    accept_new_host_key INTEGER NOT NULL DEFAULT 0,
                    pg_host TEXT, pg_port INTEGER, pg_user TEXT,
                    data_dir TEXT,
                    max_concurrent_jobs INTEGER NOT NULL DEFAULT 2,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                CREATE TABLE project (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                CREATE TABLE environment (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    project_id INTEGER NOT NULL REFERENCES project(id),
                    type TEXT NOT NULL CHECK (type IN ('production', 'staging', 'development')),
                    server_id INTEGER NOT NULL REFERENCES server(id),
                    db_name TEXT NOT NULL,
                    pg_host TEXT, pg_port INTEGER, pg_user TEXT, pg_password_env TEXT,
                    filestore TEXT,
                    addons TEXT NOT NULL DEFAULT '[]',
                    url TEXT, branch TEXT,
                    protected INTEGER NOT NULL,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                CREATE INDEX environment_project ON environment(project_id);
                CREATE INDEX environment_server ON environment(server_id);
                CREATE TABLE storage_target (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('dir', 'sftp', 's3')),
                    location TEXT NOT NULL,
                    is_default INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                CREATE UNIQUE INDEX storage_target_one_default ON storage_target(is_default) WHERE is_default = 1;
                """)
        }
        migrator.registerMigration("v2-jobs") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    environment TEXT,
                    server TEXT,
                    locked_environments TEXT NOT NULL DEFAULT '[]',
                    parameters TEXT NOT NULL DEFAULT '{}',
                    state TEXT NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    created_by TEXT NOT NULL,
                    created_from TEXT,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    started_at TEXT, ended_at TEXT, heartbeat_at TEXT,
                    worker_pid INTEGER,
                    progress REAL NOT NULL DEFAULT 0,
                    error_message TEXT, error_step TEXT,
                    retry_of INTEGER REFERENCES job(id),
                    result TEXT
                );
                CREATE INDEX job_status ON job(status);
                CREATE INDEX job_environment ON job(environment, id);
                CREATE TABLE job_step (
                    job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    title TEXT NOT NULL,
                    weight_start REAL NOT NULL,
                    weight_end REAL NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled')),
                    started_at TEXT, ended_at TEXT, message TEXT,
                    progress REAL NOT NULL DEFAULT 0,
                    PRIMARY KEY (job_id, position)
                );
                CREATE TABLE job_log (
                    id INTEGER PRIMARY KEY,
                    job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    level TEXT NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX job_log_job ON job_log(job_id, id);
                CREATE TABLE worker (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    pid INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    heartbeat_at TEXT NOT NULL
                );
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    os_user TEXT NOT NULL,
                    ssh_client TEXT,
                    action TEXT NOT NULL,
                    environment TEXT,
                    job_id INTEGER,
                    result TEXT,
                    detail TEXT
                );
                CREATE TABLE notification_setting (
                    project TEXT PRIMARY KEY,
                    webhook_url TEXT,
                    smtp_url TEXT,
                    smtp_from TEXT,
                    smtp_to TEXT
                );
                """)
        }
        // A counter the inventory's writers bump (by trigger, so every writer does), letting
        // readers skip re-reading servers and environments when only jobs changed.
        migrator.registerMigration("v3-inventory-version") { db in
            try db.execute(sql: "CREATE TABLE inventory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL); INSERT INTO inventory_version VALUES (1, 0);")
            for table in ["server", "project", "environment", "storage_target"] {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(sql: "CREATE TRIGGER \(table)_\(event.lowercased())_bumps_inventory AFTER \(event) ON \(table) BEGIN UPDATE inventory_version SET version = version + 1 WHERE id = 1; END;")
                }
            }
        }
        migrator.registerMigration("v4-backups") { db in
            try db.execute(sql: """
                CREATE TABLE backup (
                    id TEXT PRIMARY KEY,
                    environment TEXT NOT NULL,
                    project TEXT NOT NULL,
                    storage TEXT NOT NULL,
                    key TEXT NOT NULL,
                    format TEXT NOT NULL,
                    type TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed', 'expired', 'deleted')),
                    include_filestore INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    completed_at TEXT,
                    size INTEGER,
                    sha256 TEXT,
                    tier TEXT NOT NULL,
                    expires_at TEXT,
                    pinned INTEGER NOT NULL DEFAULT 0,
                    verified_at TEXT,
                    job_id INTEGER,
                    database_name TEXT NOT NULL,
                    odoo_version TEXT,
                    neutralized INTEGER,
                    restore_test TEXT,
                    error TEXT
                );
                CREATE INDEX backup_environment ON backup(environment, created_at);
                CREATE TABLE backup_policy (
                    environment TEXT PRIMARY KEY,
                    at TEXT NOT NULL,
                    weekday INTEGER NOT NULL DEFAULT 1,
                    daily INTEGER NOT NULL DEFAULT 7,
                    weekly INTEGER NOT NULL DEFAULT 4,
                    monthly INTEGER NOT NULL DEFAULT 12,
                    yearly INTEGER NOT NULL DEFAULT 2,
                    storage TEXT,
                    include_filestore INTEGER NOT NULL DEFAULT 1,
                    restore_test_weekday INTEGER,
                    last_run_at TEXT
                );
                """)
        }
        migrator.registerMigration("v5-restore-points") { db in
            try db.execute(sql: """
                CREATE TABLE restore_point (
                    id INTEGER PRIMARY KEY,
                    job_id INTEGER NOT NULL,
                    backup_id TEXT,
                    source_file TEXT,
                    environment TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
                    requested_by TEXT NOT NULL,
                    started_at TEXT NOT NULL,
                    ended_at TEXT,
                    safety_backup_id TEXT,
                    failed_step TEXT,
                    error TEXT,
                    target_state TEXT
                );
                CREATE INDEX restore_point_environment ON restore_point(environment, id);
                """)
        }
        migrator.registerMigration("v6-storage-encryption") { db in
            try db.execute(sql: "ALTER TABLE storage_target ADD COLUMN encryption TEXT")
        }
        // FTP/FTPS storage. SQLite cannot alter a CHECK constraint: the table is rebuilt (its
        // index and inventory triggers with it), rows kept as they are.
        migrator.registerMigration("v7-ftp-storage") { db in
            try db.execute(sql: """
                CREATE TABLE storage_target_v7 (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('dir', 'sftp', 's3', 'ftp', 'ftps')),
                    location TEXT NOT NULL,
                    is_default INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    encryption TEXT
                );
                INSERT INTO storage_target_v7 (id, name, kind, location, is_default, created_at, encryption)
                    SELECT id, name, kind, location, is_default, created_at, encryption FROM storage_target;
                DROP TABLE storage_target;
                ALTER TABLE storage_target_v7 RENAME TO storage_target;
                CREATE UNIQUE INDEX storage_target_one_default ON storage_target(is_default) WHERE is_default = 1;
                """)
            for event in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(sql: "CREATE TRIGGER storage_target_\(event.lowercased())_bumps_inventory AFTER \(event) ON storage_target BEGIN UPDATE inventory_version SET version = version + 1 WHERE id = 1; END;")
            }
        }
        migrator.registerMigration("v8-service-commands") { db in
            try db.execute(sql: """
                ALTER TABLE environment ADD COLUMN service_stop TEXT;
                ALTER TABLE environment ADD COLUMN service_start TEXT;
                ALTER TABLE environment ADD COLUMN filestore_owner TEXT;
                """)
        }
        migrator.registerMigration("v9-smtp-password-reference") { db in
            // Secrets are references: a password kept in an SMTP URL is dropped (the user part
            // stays); `notify set --password-env` names the variable that holds it from now on.
            try db.execute(sql: "ALTER TABLE notification_setting ADD COLUMN smtp_password_env TEXT")
            for row in try Row.fetchAll(db, sql: "SELECT project, smtp_url FROM notification_setting WHERE smtp_url IS NOT NULL") {
                let url: String = row["smtp_url"]
                if let clean = SMTPAddressRules.withoutPassword(url), clean != url {
                    try db.execute(sql: "UPDATE notification_setting SET smtp_url = ? WHERE project = ?", arguments: [clean, row["project"] as String])
                }
            }
        }
        migrator.registerMigration("v10-refresh-schedule") { db in
            // A weekly refresh of an environment from another (a scheduled replace).
            try db.execute(sql: """
                CREATE TABLE refresh_schedule (
                    target TEXT PRIMARY KEY, source TEXT NOT NULL, weekday INTEGER NOT NULL, at TEXT NOT NULL,
                    preset TEXT NOT NULL, keep_users TEXT NOT NULL DEFAULT '', last_run_at TEXT
                )
                """)
        }
        migrator.registerMigration("v11-odoo-conf") { db in
            try db.execute(sql: "ALTER TABLE environment ADD COLUMN odoo_conf TEXT")
        }
        migrator.registerMigration("v12-job-filed-under") { db in
            // Every environment a job is filed under or locks (a clone: its target and its
            // source), indexed, so an environment's Jobs tab does not scan every job ever run.
            // A trigger fills it, so no way of adding a job can forget it.
            try db.execute(sql: """
                CREATE TABLE job_filed_under (
                    environment TEXT NOT NULL,
                    job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                    PRIMARY KEY (environment, job_id)
                ) WITHOUT ROWID;
                CREATE TRIGGER job_insert_files_environments AFTER INSERT ON job BEGIN
                    INSERT OR IGNORE INTO job_filed_under (environment, job_id)
                        SELECT NEW.environment, NEW.id WHERE NEW.environment IS NOT NULL
                        UNION SELECT CASE WHEN value LIKE 'read:%' THEN substr(value, 6) ELSE value END, NEW.id
                              FROM json_each(NEW.locked_environments);
                END;
                INSERT OR IGNORE INTO job_filed_under (environment, job_id)
                    SELECT environment, id FROM job WHERE environment IS NOT NULL
                    UNION SELECT CASE WHEN value LIKE 'read:%' THEN substr(value, 6) ELSE value END, job.id
                          FROM job, json_each(job.locked_environments);
                """)
        }
        migrator.registerMigration("v13-frequent-schedules") { db in
            // Backups every N hours from the daily time, how long the in-between ones are kept,
            // and a switch that stops a schedule without forgetting it.
            try db.execute(sql: """
                ALTER TABLE backup_policy ADD COLUMN every_hours INTEGER;
                ALTER TABLE backup_policy ADD COLUMN hourly INTEGER;
                ALTER TABLE backup_policy ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
                """)
        }
        migrator.registerMigration("v14-backup-copies") { db in
            // A second copy of each backup on another storage (3-2-1), and where a schedule sends it.
            try db.execute(sql: """
                CREATE TABLE backup_copy (
                    backup_id TEXT NOT NULL REFERENCES backup(id) ON DELETE CASCADE,
                    storage TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('copying', 'completed', 'failed', 'deleted')),
                    created_at TEXT NOT NULL,
                    verified_at TEXT,
                    error TEXT,
                    PRIMARY KEY (backup_id, storage)
                ) WITHOUT ROWID;
                ALTER TABLE backup_policy ADD COLUMN copy_to TEXT;
                """)
        }
        migrator.registerMigration("v15-incremental-backups") { db in
            // What an incremental backup added to its storage (its size is what it stands for).
            // …and the format a schedule's backups take (NULL: an Odoo ZIP, as before).
            try db.execute(sql: "ALTER TABLE backup ADD COLUMN added_bytes INTEGER; ALTER TABLE backup_policy ADD COLUMN format TEXT")
        }
        migrator.registerMigration("v16-strict-sanitization") { db in
            // Clones from or into the environment fail closed (personal data or secrets left as they were refuse them).
            try db.execute(sql: "ALTER TABLE environment ADD COLUMN strict_sanitization INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v17-sanitized-backups") { db in
            // A sanitized backup's verdict (its attestation is in its manifest); NULL: the data as it is.
            try db.execute(sql: "ALTER TABLE backup ADD COLUMN sanitized TEXT")
        }
        migrator.registerMigration("v18-golden-copies") { db in
            // One sanitized template per source and server (the record as a JSON document: it is
            // read whole), and the daily schedules that refresh them.
            try db.execute(sql: """
                CREATE TABLE golden_copy (
                    source TEXT NOT NULL, server TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (source, server)
                );
                CREATE TABLE golden_schedule (
                    source TEXT NOT NULL, server TEXT NOT NULL, at TEXT NOT NULL, preset TEXT NOT NULL, last_run_at TEXT,
                    PRIMARY KEY (source, server)
                );
                """)
        }
        return migrator
    }
}
