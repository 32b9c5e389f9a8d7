using System.Data.Common;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// Reads a page of history with one range scan of the (revision, sub) primary key, cut at
/// whole revisions: it fetches one row more than the cap to learn whether the last revision
/// is complete, and reads the rest of the first revision only when that one revision alone
/// is larger than the cap.
/// </summary>
internal static class HistoryQuery
{
    public const string PageSql =
        "SELECT " + StoredRows.HistoryColumns + " FROM history "
        + "WHERE revision >= @from AND revision <= @to ORDER BY revision, sub LIMIT @limit";

    private const string RestOfRevisionSql =
        "SELECT " + StoredRows.HistoryColumns + " FROM history "
        + "WHERE revision = @revision AND sub > @sub ORDER BY sub";

    /// <summary>Reads the state and the page through <paramref name="source"/>, which must be one snapshot.</summary>
    public static async ValueTask<HistoryPage> ReadAsync(
        ICommandSource source, long fromRevision, long toRevision, int maxEvents, CancellationToken cancellationToken)
    {
        var state = await StoreMeta.ReadAsync(source, cancellationToken);
        if (fromRevision < state.CompactRevision)
        {
            return Compacted(fromRevision, state);
        }

        var command = source.Command(PageSql);
        BindPage(command, fromRevision, toRevision, maxEvents);
        List<HistoryRow> rows;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            rows = await ReadRowsAsync(reader, cancellationToken);
        }

        return await CompleteAsync(source, state, rows, fromRevision, toRevision, maxEvents, cancellationToken);
    }

    public static void BindPage(DbCommand command, long fromRevision, long toRevision, int maxEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        command.Bind("@from", fromRevision);
        command.Bind("@to", toRevision);
        command.Bind("@limit", maxEvents + 1L);
    }

    /// <summary>The same for a batched statement (PostgreSQL reads state and page in one round trip).</summary>
    public static void BindPage(DbBatchCommand command, long fromRevision, long toRevision, int maxEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        command.Bind("@from", fromRevision);
        command.Bind("@to", toRevision);
        command.Bind("@limit", maxEvents + 1L);
    }

    public static async ValueTask<List<HistoryRow>> ReadRowsAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<HistoryRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(StoredRows.ReadHistoryRow(reader));
        }

        return rows;
    }

    public static HistoryPage Compacted(long fromRevision, StoreState state) =>
        new([], fromRevision - 1, state.Revision, state.CompactRevision) { Compacted = true };

    /// <summary>
    /// Turns the rows of <see cref="PageSql"/> (at most maxEvents + 1) into a page of whole
    /// revisions, reading the rest of the first revision through the same snapshot if needed.
    /// </summary>
    public static async ValueTask<HistoryPage> CompleteAsync(
        ICommandSource source,
        StoreState state,
        List<HistoryRow> rows,
        long fromRevision,
        long toRevision,
        int maxEvents,
        CancellationToken cancellationToken)
    {
        long through;
        if (rows.Count <= maxEvents)
        {
            through = Math.Min(toRevision, state.Revision);
        }
        else
        {
            var last = rows[^1];
            if (rows[0].Revision == last.Revision)
            {
                // One revision larger than the cap: it comes whole all the same.
                var command = source.Command(RestOfRevisionSql);
                command.Bind("@revision", last.Revision);
                command.Bind("@sub", last.Sub);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                rows.AddRange(await ReadRowsAsync(reader, cancellationToken));
            }
            else
            {
                // The extra row proves its revision incomplete in the page: drop that revision.
                var keep = rows.Count - 1;
                while (rows[keep - 1].Revision == last.Revision)
                {
                    keep--;
                }

                rows.RemoveRange(keep, rows.Count - keep);
            }

            through = rows[^1].Revision;
        }

        var events = new Event[rows.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = rows[i].Event;
        }

        return new HistoryPage(events, through, state.Revision, state.CompactRevision);
    }
}
