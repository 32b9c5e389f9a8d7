namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// The SQLite tables. Keys and values are BLOBs, which SQLite compares with memcmp, so key
/// order is etcd's bytewise order. Ordinary rowid tables (not WITHOUT ROWID) because values
/// can be large. Idempotent: runs inside BEGIN IMMEDIATE at every start.
/// </summary>
internal static class SqliteSchema
{
    public const string CreateSql = """
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            revision INTEGER NOT NULL,
            compact_revision INTEGER NOT NULL,
            purged_revision INTEGER NOT NULL,
            schema_version INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta (id, revision, compact_revision, purged_revision, schema_version)
            VALUES (1, 1, 0, 0, 1);
        CREATE TABLE IF NOT EXISTS kv (
            key BLOB NOT NULL PRIMARY KEY,
            create_revision INTEGER NOT NULL,
            mod_revision INTEGER NOT NULL,
            version INTEGER NOT NULL,
            value BLOB NOT NULL,
            lease INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS history (
            revision INTEGER NOT NULL,
            sub INTEGER NOT NULL,
            key BLOB NOT NULL,
            type INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            version INTEGER NOT NULL,
            value BLOB NOT NULL,
            lease INTEGER NOT NULL,
            has_prev INTEGER NOT NULL,
            prev_create_revision INTEGER NOT NULL,
            prev_mod_revision INTEGER NOT NULL,
            prev_version INTEGER NOT NULL,
            prev_value BLOB NOT NULL,
            prev_lease INTEGER NOT NULL,
            PRIMARY KEY (revision, sub));
        CREATE INDEX IF NOT EXISTS history_key_revision ON history (key, revision);
        CREATE TABLE IF NOT EXISTS lease (
            id INTEGER NOT NULL PRIMARY KEY,
            ttl INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease) WHERE lease <> 0;
        """;
}
