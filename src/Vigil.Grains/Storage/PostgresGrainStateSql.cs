namespace Vigil.Grains.Storage;

/// <summary>
/// The grain state table for Orleans' ADO.NET grain storage on PostgreSQL, and the statements
/// its provider looks up by key in <c>OrleansQuery</c>. Written for Vigil; the provider only
/// fixes the keys, the parameter names it binds and the column names it reads back.
/// </summary>
/// <remarks>
/// <para>
/// A row is one grain's state under one service: identified by the service id, the grain
/// type and the grain key as the provider splits it (two 64-bit halves and a string part:
/// a Guid key, an integer key, or a string key with both halves zero, plus an optional key
/// extension). The provider also binds 32-bit hashes of the key and type; they are a
/// function of the key and of the configured hasher, so they are not stored: a change of
/// hasher cannot orphan rows. An absent key extension is stored as '' so the identity can be
/// a plain primary key with no NULL in it.
/// </para>
/// <para>
/// The ETag is the row's <c>version</c>. A write names the version it read (NULL when it
/// read no row) and succeeds only if the row is still at that version, answering the new
/// one; otherwise it answers no row, which the provider turns into an
/// InconsistentStateException. Clearing keeps the row with a NULL payload and a new version
/// (so a later write still needs the ETag); deleting (DeleteStateOnClear) removes it.
/// </para>
/// </remarks>
internal static class PostgresGrainStateSql
{
    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS orleans_grain_state (
            service_id text NOT NULL,
            grain_type text NOT NULL,
            grain_id_n0 bigint NOT NULL,
            grain_id_n1 bigint NOT NULL,
            grain_id_extension text NOT NULL,
            payload bytea,
            version integer NOT NULL,
            modified_at timestamptz NOT NULL,
            PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension));
        """;

    private const string GrainIs = """
        service_id = @ServiceId AND grain_type = @GrainTypeString
        AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
        AND grain_id_extension = COALESCE(@GrainIdExtensionString, '')
        """;

    public static IReadOnlyDictionary<string, string> Queries { get; } = new Dictionary<string, string>
    {
        ["ReadFromStorageKey"] = $"""
            SELECT payload AS "PayloadBinary", version AS "Version"
            FROM orleans_grain_state
            WHERE {GrainIs}
            """,

        // Exactly one of the two branches can act: the update when the grain holds an ETag,
        // the insert when it holds none. An insert that meets an existing row does nothing,
        // so a first write racing another one fails instead of overwriting it.
        ["WriteToStorageKey"] = $"""
            WITH updated AS (
                UPDATE orleans_grain_state
                SET payload = @PayloadBinary, version = version + 1, modified_at = now()
                WHERE @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion AND {GrainIs}
                RETURNING version),
            inserted AS (
                INSERT INTO orleans_grain_state (service_id, grain_type, grain_id_n0, grain_id_n1,
                    grain_id_extension, payload, version, modified_at)
                SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                    COALESCE(@GrainIdExtensionString, ''), @PayloadBinary, 1, now()
                WHERE @GrainStateVersion IS NULL
                ON CONFLICT DO NOTHING
                RETURNING version)
            SELECT version AS "NewGrainStateVersion" FROM updated
            UNION ALL
            SELECT version FROM inserted
            """,

        ["ClearStorageKey"] = $"""
            UPDATE orleans_grain_state
            SET payload = NULL, version = version + 1, modified_at = now()
            WHERE version = @GrainStateVersion AND {GrainIs}
            RETURNING version
            """,

        // The provider wants a value that differs from the ETag it sent to call it a
        // success; the version the row would have had next is that value.
        ["DeleteStorageKey"] = $"""
            DELETE FROM orleans_grain_state
            WHERE version = @GrainStateVersion AND {GrainIs}
            RETURNING version + 1
            """,
    };
}
