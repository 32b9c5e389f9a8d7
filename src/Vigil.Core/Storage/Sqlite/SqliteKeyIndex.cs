namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// Keeps <c>history_key</c> (key, revision → sub) up to date in steps: once history has
/// grown by <see cref="SqliteStoreOptions.KeyIndexRevisions"/> revisions past
/// <c>meta.indexed_revision</c>, the next commit copies the new rows' keys in key order. A
/// step writes each touched index page once, where an SQL index would write one per write.
/// </summary>
internal static class SqliteKeyIndex
{
    private const string SelectIndexedSql = "SELECT indexed_revision FROM meta WHERE id = 1";

    // OR REPLACE: a key appears once per revision, so nothing is replaced in practice; a
    // duplicate must not fail every later commit.
    private const string InsertSql =
        "INSERT OR REPLACE INTO history_key (key, revision, sub) SELECT key, revision, sub FROM history "
        + "WHERE revision > ?1 AND revision <= ?2 ORDER BY key, revision, sub";

    private const string UpdateIndexedSql = "UPDATE meta SET indexed_revision = ?1 WHERE id = 1";

    /// <summary>
    /// Indexes history up to <paramref name="revision"/> when it is at least
    /// <paramref name="stepRevisions"/> past the indexed revision (1: always); call inside the
    /// writer's open transaction.
    /// </summary>
    public static void Advance(SqliteSession writer, long revision, int stepRevisions)
    {
        var select = writer.Prepared(SelectIndexedSql);
        long indexed;
        try
        {
            indexed = select.Read() ? select.Int64(0) : revision;
        }
        finally
        {
            select.Reset();
        }

        if (revision - indexed < stepRevisions)
        {
            return;
        }

        var insert = writer.Prepared(InsertSql);
        insert.Bind(1, indexed);
        insert.Bind(2, revision);
        insert.Execute();
        var update = writer.Prepared(UpdateIndexedSql);
        update.Bind(1, revision);
        update.Execute();
    }
}
