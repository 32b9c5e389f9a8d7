namespace Vigil.Core.Storage.Sql;

/// <summary>The single <c>meta</c> row: store revision, compact revision, purge progress, schema version.</summary>
internal static class StoreMeta
{
    public const string SelectStateSql = "SELECT revision, compact_revision FROM meta WHERE id = 1";

    public const string UpdateStateSql = "UPDATE meta SET revision = @revision, compact_revision = @compact WHERE id = 1";

    public const string SelectPurgedSql = "SELECT purged_revision, compact_revision FROM meta WHERE id = 1";

    public const string UpdatePurgedSql = "UPDATE meta SET purged_revision = @purged WHERE id = 1 AND purged_revision < @purged";

    public const string SelectSchemaVersionSql = "SELECT schema_version FROM meta WHERE id = 1";

    public static async ValueTask<StoreState> ReadAsync(ICommandSource source, CancellationToken cancellationToken) =>
        await ReadAsync(source, SelectStateSql, cancellationToken);

    /// <summary>Runs a query whose first row is (revision, compact_revision).</summary>
    public static async ValueTask<StoreState> ReadAsync(ICommandSource source, string sql, CancellationToken cancellationToken)
    {
        await using var reader = await source.Command(sql).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The meta table has no row; the store was not initialized.");
        }

        return new StoreState(reader.GetInt64(0), reader.GetInt64(1));
    }
}
