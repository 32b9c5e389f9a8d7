namespace Vigil.Grains.Storage;

/// <summary>
/// <c>OrleansQuery (QueryKey, QueryText)</c>: where Orleans' ADO.NET providers read their SQL
/// at start (<c>SELECT QueryKey, QueryText FROM OrleansQuery</c>, a constant in the
/// providers, so neither the table's name nor its columns can be changed). Unquoted, so
/// PostgreSQL folds the names to lower case exactly as it folds the providers' query.
/// </summary>
/// <remarks>
/// <c>vigil_revision</c> is Vigil's own column (the providers select only the two they
/// know): the revision of the statements a row holds. A Vigil replaces a row only when its
/// revision is at least the stored one, so during a rolling upgrade an old silo restarting
/// cannot put old statements back under new tables; a row whose text is already current is
/// left alone.
/// </remarks>
internal static class OrleansQueryTable
{
    public const string PostgresCreate = """
        CREATE TABLE IF NOT EXISTS OrleansQuery (
            QueryKey text PRIMARY KEY,
            QueryText text NOT NULL,
            vigil_revision integer NOT NULL);
        """;

    public const string SqliteCreate = """
        CREATE TABLE IF NOT EXISTS OrleansQuery (
            QueryKey TEXT NOT NULL PRIMARY KEY,
            QueryText TEXT NOT NULL,
            vigil_revision INTEGER NOT NULL);
        """;

    /// <summary>Both dialects accept it as written. Parameters: @QueryKey, @QueryText, @Revision.</summary>
    public const string Upsert = """
        INSERT INTO OrleansQuery (QueryKey, QueryText, vigil_revision)
        VALUES (@QueryKey, @QueryText, @Revision)
        ON CONFLICT (QueryKey) DO UPDATE
        SET QueryText = excluded.QueryText, vigil_revision = excluded.vigil_revision
        WHERE OrleansQuery.vigil_revision <= excluded.vigil_revision
            AND (OrleansQuery.QueryText <> excluded.QueryText
                OR OrleansQuery.vigil_revision <> excluded.vigil_revision)
        """;
}
