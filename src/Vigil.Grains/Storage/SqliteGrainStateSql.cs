namespace Vigil.Grains.Storage;

/// <summary>
/// The grain state table for Orleans' ADO.NET grain storage on SQLite (the single-node
/// silo), and the statements its provider looks up by key in <c>OrleansQuery</c>. The same
/// table and the same rules as <see cref="PostgresGrainStateSql"/>, in SQLite's dialect.
/// </summary>
/// <remarks>
/// SQLite has no data-modifying CTEs, so a write is two statements in one command, each
/// with RETURNING: the update acts only when the grain holds an ETag, the insert only when
/// it holds none, so at most one of them returns a row. Each statement is atomic on its own
/// and SQLite runs one writer at a time, which is all the conditional write needs.
/// </remarks>
internal static class SqliteGrainStateSql
{
    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS orleans_grain_state (
            service_id TEXT NOT NULL,
            grain_type TEXT NOT NULL,
            grain_id_n0 INTEGER NOT NULL,
            grain_id_n1 INTEGER NOT NULL,
            grain_id_extension TEXT NOT NULL,
            payload BLOB,
            version INTEGER NOT NULL,
            modified_at TEXT NOT NULL,
            PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension));
        """;

    private const string GrainIs = """
        service_id = @ServiceId AND grain_type = @GrainTypeString
        AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
        AND grain_id_extension = COALESCE(@GrainIdExtensionString, '')
        """;

    private const string Now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public static IReadOnlyDictionary<string, string> Queries { get; } = new Dictionary<string, string>
    {
        ["ReadFromStorageKey"] = $"""
            SELECT payload AS PayloadBinary, version AS Version
            FROM orleans_grain_state
            WHERE {GrainIs}
            """,

        ["WriteToStorageKey"] = $"""
            UPDATE orleans_grain_state
            SET payload = @PayloadBinary, version = version + 1, modified_at = {Now}
            WHERE @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion AND {GrainIs}
            RETURNING version AS NewGrainStateVersion;
            INSERT INTO orleans_grain_state (service_id, grain_type, grain_id_n0, grain_id_n1,
                grain_id_extension, payload, version, modified_at)
            SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                COALESCE(@GrainIdExtensionString, ''), @PayloadBinary, 1, {Now}
            WHERE @GrainStateVersion IS NULL
            ON CONFLICT DO NOTHING
            RETURNING version AS NewGrainStateVersion;
            """,

        ["ClearStorageKey"] = $"""
            UPDATE orleans_grain_state
            SET payload = NULL, version = version + 1, modified_at = {Now}
            WHERE version = @GrainStateVersion AND {GrainIs}
            RETURNING version
            """,

        // See PostgresGrainStateSql: success must answer a value other than the ETag sent.
        ["DeleteStorageKey"] = $"""
            DELETE FROM orleans_grain_state
            WHERE version = @GrainStateVersion AND {GrainIs}
            RETURNING version + 1
            """,
    };
}
