using Google.Protobuf;
using Npgsql;
using Vigil.Core.Storage.Sql;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// Appended revisions not yet sent to the server. They go out as at most three statements
/// in one batch, whatever their number: all history rows through one <c>unnest</c> insert,
/// the final state of every touched key through one upsert, and the keys whose final state
/// is deleted through one <c>DELETE ... = ANY</c>. Only the last change of a key reaches
/// <c>kv</c>, which also keeps one statement from touching a row twice.
/// </summary>
internal sealed class PostgresAppendBuffer
{
    private const string InsertHistorySql =
        "INSERT INTO history (" + StoredRows.HistoryColumns + ") SELECT * FROM unnest("
        + "@revision::bigint[], @sub::integer[], @key::bytea[], @type::integer[], @create::bigint[], @version::bigint[], "
        + "@value::bytea[], @lease::bigint[], @has_prev::boolean[], @prev_create::bigint[], @prev_mod::bigint[], "
        + "@prev_version::bigint[], @prev_value::bytea[], @prev_lease::bigint[])";

    private const string UpsertKvSql =
        "INSERT INTO kv (key, create_revision, mod_revision, version, value, lease) SELECT * FROM unnest("
        + "@key::bytea[], @create::bigint[], @mod::bigint[], @version::bigint[], @value::bytea[], @lease::bigint[]) "
        + "ON CONFLICT (key) DO UPDATE SET create_revision = EXCLUDED.create_revision, mod_revision = EXCLUDED.mod_revision, "
        + "version = EXCLUDED.version, value = EXCLUDED.value, lease = EXCLUDED.lease";

    private const string DeleteKvSql = "DELETE FROM kv WHERE key = ANY(@key::bytea[])";

    private readonly List<HistoryRow> _history = [];

    // Final state per key among the buffered revisions; null = deleted.
    private readonly Dictionary<ByteString, KeyValue?> _latest = [];

    public int Count => _history.Count;

    public void Add(long revision, IReadOnlyList<Event> events)
    {
        for (var sub = 0; sub < events.Count; sub++)
        {
            var evt = events[sub];
            _history.Add(new HistoryRow(revision, sub, evt));
            _latest[evt.Kv.Key] = evt.Type == Event.Types.EventType.Put ? evt.Kv : null;
        }
    }

    /// <summary>Adds the statements that write everything buffered to <paramref name="batch"/>.</summary>
    public void AddTo(NpgsqlBatch batch)
    {
        if (_history.Count == 0)
        {
            return;
        }

        batch.BatchCommands.Add(HistoryCommand());
        var puts = 0;
        foreach (var state in _latest.Values)
        {
            puts += state is null ? 0 : 1;
        }

        if (puts > 0)
        {
            batch.BatchCommands.Add(UpsertCommand(puts));
        }

        if (puts < _latest.Count)
        {
            batch.BatchCommands.Add(DeleteCommand(_latest.Count - puts));
        }
    }

    public void Clear()
    {
        _history.Clear();
        _latest.Clear();
    }

    private NpgsqlBatchCommand HistoryCommand()
    {
        var n = _history.Count;
        var revision = new long[n];
        var sub = new int[n];
        var key = new byte[n][];
        var type = new int[n];
        var create = new long[n];
        var version = new long[n];
        var value = new byte[n][];
        var lease = new long[n];
        var hasPrev = new bool[n];
        var prevCreate = new long[n];
        var prevMod = new long[n];
        var prevVersion = new long[n];
        var prevValue = new byte[n][];
        var prevLease = new long[n];
        for (var i = 0; i < n; i++)
        {
            var (rowRevision, rowSub, evt) = _history[i];
            var kv = evt.Kv;
            revision[i] = rowRevision;
            sub[i] = rowSub;
            key[i] = CommandParameters.Blob(kv.Key);
            type[i] = (int)evt.Type;
            if (evt.Type == Event.Types.EventType.Put)
            {
                create[i] = kv.CreateRevision;
                version[i] = kv.Version;
                value[i] = CommandParameters.Blob(kv.Value);
                lease[i] = kv.Lease;
            }
            else
            {
                value[i] = [];
            }

            if (evt.PrevKv is { } prev)
            {
                hasPrev[i] = true;
                prevCreate[i] = prev.CreateRevision;
                prevMod[i] = prev.ModRevision;
                prevVersion[i] = prev.Version;
                prevValue[i] = CommandParameters.Blob(prev.Value);
                prevLease[i] = prev.Lease;
            }
            else
            {
                prevValue[i] = [];
            }
        }

        return new NpgsqlBatchCommand(InsertHistorySql)
        {
            Parameters =
            {
                new("revision", revision), new("sub", sub), new("key", key), new("type", type),
                new("create", create), new("version", version), new("value", value), new("lease", lease),
                new("has_prev", hasPrev), new("prev_create", prevCreate), new("prev_mod", prevMod),
                new("prev_version", prevVersion), new("prev_value", prevValue), new("prev_lease", prevLease),
            },
        };
    }

    private NpgsqlBatchCommand UpsertCommand(int puts)
    {
        var key = new byte[puts][];
        var create = new long[puts];
        var mod = new long[puts];
        var version = new long[puts];
        var value = new byte[puts][];
        var lease = new long[puts];
        var i = 0;
        foreach (var kv in _latest.Values)
        {
            if (kv is null)
            {
                continue;
            }

            key[i] = CommandParameters.Blob(kv.Key);
            create[i] = kv.CreateRevision;
            mod[i] = kv.ModRevision;
            version[i] = kv.Version;
            value[i] = CommandParameters.Blob(kv.Value);
            lease[i] = kv.Lease;
            i++;
        }

        return new NpgsqlBatchCommand(UpsertKvSql)
        {
            Parameters =
            {
                new("key", key), new("create", create), new("mod", mod),
                new("version", version), new("value", value), new("lease", lease),
            },
        };
    }

    private NpgsqlBatchCommand DeleteCommand(int deletes)
    {
        var key = new byte[deletes][];
        var i = 0;
        foreach (var (bytes, kv) in _latest)
        {
            if (kv is null)
            {
                key[i++] = CommandParameters.Blob(bytes);
            }
        }

        return new NpgsqlBatchCommand(DeleteKvSql) { Parameters = { new("key", key) } };
    }
}
