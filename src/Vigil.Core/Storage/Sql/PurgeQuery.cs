namespace Vigil.Core.Storage.Sql;

/// <summary>
/// Physical deletion of compacted history, one bounded chunk per call. A chunk takes the
/// next "driver" rows in (revision, sub) order up to the compact revision C; for each key
/// among them it deletes the key's rows older than its newest driver (they are superseded
/// at a revision ≤ C), and it deletes the drivers that are tombstones below C. Rows at or
/// above C are never touched, and a row that is the newest of its key at some revision ≥ C
/// is never deleted, so every read at a revision ≥ C answers as before.
/// </summary>
/// <remarks>
/// Drivers start at the revision the previous purge reached (meta.purged_revision): older
/// rows either were deleted then or are still the newest of their key, and those can only
/// be superseded by a row at or after that revision.
/// </remarks>
internal static class PurgeQuery
{
    private const string ChunkEndSql =
        "SELECT revision, sub FROM history WHERE (revision, sub) > (@revision, @sub) AND revision <= @compact "
        + "ORDER BY revision, sub LIMIT 1 OFFSET @offset";

    private const string Drivers =
        "(revision, sub) > (@revision, @sub) AND (revision, sub) <= (@endRevision, @endSub) AND revision <= @compact";

    private const string DriverTops =
        "(SELECT key, max(revision) AS top FROM history WHERE " + Drivers + " GROUP BY key) d";

    // SQLite finds a driver key's older rows in history_key (indexed up to the compact
    // revision before the first chunk) and deletes them there too; its planner walks that
    // table per driver key on its own. Tops are never deleted, so both statements agree.
    private const string SqliteSupersededRows =
        "SELECT o.key, o.revision, o.sub FROM " + DriverTops + " JOIN history_key o ON o.key = d.key AND o.revision < d.top";

    private const string SqliteDeleteSupersededSql =
        "DELETE FROM history WHERE (revision, sub) IN (SELECT revision, sub FROM (" + SqliteSupersededRows + "))";

    private const string SqliteDeleteSupersededKeysSql =
        "DELETE FROM history_key WHERE (key, revision) IN (SELECT key, revision FROM (" + SqliteSupersededRows + "))";

    // PostgreSQL estimates many superseded rows per key (it cannot know earlier chunks and
    // purges removed them) and would hash-join against a full scan of history. OFFSET 0 keeps
    // the lateral subquery a per-key index range scan; the rows found are deleted by ctid.
    private const string PostgresDeleteSupersededSql =
        "DELETE FROM history WHERE ctid = ANY(ARRAY(SELECT o.ctid FROM " + DriverTops + " CROSS JOIN LATERAL "
        + "(SELECT x.ctid FROM history x WHERE x.key = d.key AND x.revision < d.top OFFSET 0) o))";

    private static readonly string Tombstones = Drivers + " AND revision < @compact AND type = " + StoredRows.DeleteType;

    private static readonly string DeleteTombstonesSql = "DELETE FROM history WHERE " + Tombstones;

    private static readonly string SqliteDeleteTombstoneKeysSql =
        "DELETE FROM history_key WHERE (key, revision) IN (SELECT key, revision FROM history WHERE " + Tombstones + ")";

    // In order; the rows of history they delete are counted, not those of history_key.
    private static readonly (string Sql, bool CountsHistory)[] PostgresStatements =
        [(PostgresDeleteSupersededSql, true), (DeleteTombstonesSql, true)];

    private static readonly (string Sql, bool CountsHistory)[] SqliteStatements =
        [(SqliteDeleteSupersededSql, true), (SqliteDeleteSupersededKeysSql, false), (SqliteDeleteTombstoneKeysSql, false), (DeleteTombstonesSql, true)];

    /// <summary>Where the first chunk starts: every row at or after the last purged revision.</summary>
    public static PurgeCursor Start(long purgedRevision) => new(purgedRevision, -1);

    /// <summary>Deletes one chunk after <paramref name="cursor"/> inside the caller's transaction.</summary>
    public static async ValueTask<PurgeChunk> DeleteChunkAsync(
        ICommandSource source,
        PurgeCursor cursor,
        long compactRevision,
        int chunkRows,
        CancellationToken cancellationToken)
    {
        var endCommand = source.Command(ChunkEndSql);
        endCommand.Bind("@revision", cursor.Revision);
        endCommand.Bind("@sub", cursor.Sub);
        endCommand.Bind("@compact", compactRevision);
        endCommand.Bind("@offset", (long)Math.Max(chunkRows - 1, 0));
        var end = new PurgeCursor(compactRevision, int.MaxValue);
        var done = true;
        await using (var reader = await endCommand.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                end = new PurgeCursor(reader.GetInt64(0), reader.GetInt32(1));
                done = false;
            }
        }

        var deleted = 0;
        foreach (var (sql, countsHistory) in source.Dialect == SqlDialect.Postgres ? PostgresStatements : SqliteStatements)
        {
            var command = source.Command(sql);
            command.Bind("@revision", cursor.Revision);
            command.Bind("@sub", cursor.Sub);
            command.Bind("@endRevision", end.Revision);
            command.Bind("@endSub", end.Sub);
            command.Bind("@compact", compactRevision);
            var rows = await command.ExecuteNonQueryAsync(cancellationToken);
            deleted += countsHistory ? rows : 0;
        }

        return new PurgeChunk(deleted, end, done);
    }
}

/// <summary>A position in history's (revision, sub) order; drivers start strictly after it.</summary>
internal readonly record struct PurgeCursor(long Revision, int Sub);

/// <summary>Outcome of one chunk: rows deleted, where the next chunk starts, whether C was reached.</summary>
internal readonly record struct PurgeChunk(int Deleted, PurgeCursor Next, bool Done);
