namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// The PostgreSQL tables. Keys and values are bytea, which compares bytewise, so key order is
/// etcd's. Creation is idempotent and runs under a transaction-scoped advisory lock, so nodes
/// starting together against one database do not race on CREATE TABLE.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Schema of the tables this code reads and writes; stored in meta.schema_version.</summary>
    public const int Version = 1;

    /// <summary>Advisory lock key for schema creation and migrations ("VIGIL_SC").</summary>
    public const long LockKey = 0x5649_4749_4C5F_5343;

    public const string CreateSql = """
        CREATE TABLE IF NOT EXISTS meta (
            id smallint PRIMARY KEY CHECK (id = 1),
            revision bigint NOT NULL,
            compact_revision bigint NOT NULL,
            purged_revision bigint NOT NULL,
            schema_version integer NOT NULL);
        INSERT INTO meta (id, revision, compact_revision, purged_revision, schema_version)
            VALUES (1, 1, 0, 0, 1) ON CONFLICT (id) DO NOTHING;
        CREATE TABLE IF NOT EXISTS kv (
            key bytea PRIMARY KEY,
            create_revision bigint NOT NULL,
            mod_revision bigint NOT NULL,
            version bigint NOT NULL,
            value bytea NOT NULL,
            lease bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS history (
            revision bigint NOT NULL,
            sub integer NOT NULL,
            key bytea NOT NULL,
            type integer NOT NULL,
            create_revision bigint NOT NULL,
            version bigint NOT NULL,
            value bytea NOT NULL,
            lease bigint NOT NULL,
            has_prev boolean NOT NULL,
            prev_create_revision bigint NOT NULL,
            prev_mod_revision bigint NOT NULL,
            prev_version bigint NOT NULL,
            prev_value bytea NOT NULL,
            prev_lease bigint NOT NULL,
            PRIMARY KEY (revision, sub));
        CREATE INDEX IF NOT EXISTS history_key_revision ON history (key, revision);
        CREATE TABLE IF NOT EXISTS lease (
            id bigint PRIMARY KEY,
            ttl bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease) WHERE lease <> 0;
        CREATE TABLE IF NOT EXISTS members (
            id bigint PRIMARY KEY,
            name text NOT NULL,
            client_urls text NOT NULL,
            heartbeat timestamptz NOT NULL);
        """;
}
