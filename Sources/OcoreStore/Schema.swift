import GRDB

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
        return migrator
    }
}
