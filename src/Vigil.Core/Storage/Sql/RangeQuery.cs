using Vigil.Core.Mvcc;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// Answers a <see cref="RangeRead"/> with one indexed query (plus a count query when the
/// limit cut the result). At the reader's revision it reads <c>kv</c>; at an older revision R
/// it takes, per key in range, the newest <c>history</c> row with revision ≤ R and keeps the
/// keys whose row is a put. The SQL is plain enough for both SQLite and PostgreSQL (bytes
/// compare bytewise in both: BLOB memcmp, bytea) except where history is found by key:
/// PostgreSQL has an index on history, SQLite the stepped <c>history_key</c> table plus the
/// rows after its indexed revision (<see cref="Sqlite.SqliteKeyIndex"/>).
/// </summary>
internal static class RangeQuery
{
    private const int Shapes = 3; // single key, [key, +inf), [key, end)

    private static readonly RangeReadResult Nothing = new([], 0);

    // Indexed by dialect, then by RowsIndex / CountIndex; built once so the hot path allocates
    // no SQL text and caching sources see the same string instance for the same statement.
    private static readonly string[][] RowsSql = [.. Enum.GetValues<SqlDialect>().Select(BuildRowsSql)];
    private static readonly string[][] CountSql = [.. Enum.GetValues<SqlDialect>().Select(BuildCountSql)];

    public static async ValueTask<RangeReadResult> ReadAsync(
        ICommandSource source, RangeRead read, long readerRevision, CancellationToken cancellationToken)
    {
        var range = read.Range;
        if (range.IsEmpty)
        {
            return Nothing;
        }

        var shape = Shape(range);
        var past = read.Revision > 0 && read.Revision < readerRevision;
        if (read.CountOnly)
        {
            return new RangeReadResult([], await CountAsync(source, shape, range, past, read.Revision, cancellationToken));
        }

        var limited = read.Limit > 0;
        var command = source.Command(RowsSql[(int)source.Dialect][RowsIndex(shape, past, read.Descending, limited, read.KeysOnly)]);
        BindRange(command, range, past, read.Revision);
        if (limited)
        {
            command.Bind("@limit", read.Limit);
        }

        var kvs = new List<KeyValue>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                kvs.Add(StoredRows.ReadKeyValue(reader));
            }
        }

        // Only a result cut by the limit needs the separate count.
        var count = limited && kvs.Count == read.Limit && !range.IsSingleKey
            ? await CountAsync(source, shape, range, past, read.Revision, cancellationToken)
            : kvs.Count;
        return new RangeReadResult(kvs, count);
    }

    private static async ValueTask<long> CountAsync(
        ICommandSource source, int shape, KeyRange range, bool past, long revision, CancellationToken cancellationToken)
    {
        var command = source.Command(CountSql[(int)source.Dialect][CountIndex(shape, past)]);
        BindRange(command, range, past, revision);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void BindRange(System.Data.Common.DbCommand command, KeyRange range, bool past, long revision)
    {
        command.Bind("@key", CommandParameters.Blob(range.Key));
        if (!range.IsSingleKey && !range.IsUnbounded)
        {
            command.Bind("@end", CommandParameters.Blob(range.End));
        }

        if (past)
        {
            command.Bind("@rev", revision);
        }
    }

    private static int Shape(KeyRange range) => range.IsSingleKey ? 0 : range.IsUnbounded ? 1 : 2;

    private static int RowsIndex(int shape, bool past, bool descending, bool limited, bool keysOnly) =>
        (((((shape * 2) + (past ? 1 : 0)) * 2 + (descending ? 1 : 0)) * 2) + (limited ? 1 : 0)) * 2 + (keysOnly ? 1 : 0);

    private static int CountIndex(int shape, bool past) => (shape * 2) + (past ? 1 : 0);

    private static string KeyCondition(int shape, string column) => shape switch
    {
        0 => $"{column} = @key",
        1 => $"{column} >= @key",
        _ => $"{column} >= @key AND {column} < @end",
    };

    // Newest history row per key at or below @rev, as a WITH prefix and a FROM clause; the
    // grouping runs on the key index alone and only the winners' rows are fetched.
    private static (string With, string From) NewestAtRevision(SqlDialect dialect, int shape) => dialect == SqlDialect.Postgres
        ? ("", $"(SELECT key, max(revision) AS top FROM history WHERE {KeyCondition(shape, "key")} AND revision <= @rev GROUP BY key) m "
            + "JOIN history h ON h.key = m.key AND h.revision = m.top WHERE h.type = " + StoredRows.PutType)
        // SQLite: the history after its indexed revision (at most one step, grouped apart), and
        // history_key for the other keys, grouped in its own key order. One grouping over both
        // would sort the whole index range (measured 2-3x slower for wide ranges). With max(),
        // SQLite takes the bare column sub from the row holding the maximum.
        : ("WITH tail AS MATERIALIZED (SELECT key, max(revision) AS top, sub FROM history "
            + $"WHERE revision > (SELECT indexed_revision FROM meta WHERE id = 1) AND revision <= @rev AND {KeyCondition(shape, "key")} GROUP BY key) ",
            "(SELECT key, top, sub FROM tail UNION ALL "
            + $"SELECT key, max(revision) AS top, sub FROM history_key WHERE {KeyCondition(shape, "key")} AND revision <= @rev "
            + "AND key NOT IN (SELECT key FROM tail) GROUP BY key) m "
            + "JOIN history h ON h.revision = m.top AND h.sub = m.sub WHERE h.type = " + StoredRows.PutType);

    private static string[] BuildRowsSql(SqlDialect dialect)
    {
        var sql = new string[Shapes * 2 * 2 * 2 * 2];
        for (var shape = 0; shape < Shapes; shape++)
        {
            foreach (var past in new[] { false, true })
            {
                foreach (var descending in new[] { false, true })
                {
                    foreach (var limited in new[] { false, true })
                    {
                        foreach (var keysOnly in new[] { false, true })
                        {
                            var order = descending ? "DESC" : "ASC";
                            var limit = limited ? " LIMIT @limit" : "";
                            var value = keysOnly ? "NULL" : past ? "h.value" : "value";
                            var (with, from) = NewestAtRevision(dialect, shape);
                            sql[RowsIndex(shape, past, descending, limited, keysOnly)] = past
                                ? $"{with}SELECT h.key, h.create_revision, h.revision, h.version, {value}, h.lease FROM "
                                  + from + $" ORDER BY h.key {order}{limit}"
                                : $"SELECT key, create_revision, mod_revision, version, {value}, lease FROM kv "
                                  + $"WHERE {KeyCondition(shape, "key")} ORDER BY key {order}{limit}";
                        }
                    }
                }
            }
        }

        return sql;
    }

    private static string[] BuildCountSql(SqlDialect dialect)
    {
        var sql = new string[Shapes * 2];
        for (var shape = 0; shape < Shapes; shape++)
        {
            sql[CountIndex(shape, past: false)] = $"SELECT count(*) FROM kv WHERE {KeyCondition(shape, "key")}";
            var (with, from) = NewestAtRevision(dialect, shape);
            sql[CountIndex(shape, past: true)] = $"{with}SELECT count(*) FROM {from}";
        }

        return sql;
    }
}
