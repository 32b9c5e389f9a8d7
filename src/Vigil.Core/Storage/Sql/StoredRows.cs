using System.Data.Common;
using Google.Protobuf;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// Turns <c>kv</c> and <c>history</c> rows back into protobuf messages. Column lists are
/// fixed here so every query that feeds these readers selects them in the same order.
/// </summary>
internal static class StoredRows
{
    /// <summary>The event type column: PUT = 0, DELETE = 1, as in mvccpb.</summary>
    public const int PutType = (int)Event.Types.EventType.Put;

    public const int DeleteType = (int)Event.Types.EventType.Delete;

    /// <summary>Columns of a live version: key, create_revision, mod_revision, version, value, lease.</summary>
    public static KeyValue ReadKeyValue(DbDataReader reader) => new()
    {
        Key = Wrap(reader.GetFieldValue<byte[]>(0)),
        CreateRevision = reader.GetInt64(1),
        ModRevision = reader.GetInt64(2),
        Version = reader.GetInt64(3),
        Value = reader.IsDBNull(4) ? ByteString.Empty : Wrap(reader.GetFieldValue<byte[]>(4)),
        Lease = reader.GetInt64(5),
    };

    /// <summary>The select list of <see cref="ReadHistoryRow"/>.</summary>
    public const string HistoryColumns =
        "revision, sub, key, type, create_revision, version, value, lease, "
        + "has_prev, prev_create_revision, prev_mod_revision, prev_version, prev_value, prev_lease";

    /// <summary>Reads one row selected with <see cref="HistoryColumns"/>.</summary>
    public static HistoryRow ReadHistoryRow(DbDataReader reader)
    {
        var revision = reader.GetInt64(0);
        var key = Wrap(reader.GetFieldValue<byte[]>(2));
        var type = reader.GetInt32(3);
        var evt = new Event();
        if (type == DeleteType)
        {
            evt.Type = Event.Types.EventType.Delete;
            evt.Kv = new KeyValue { Key = key, ModRevision = revision };
        }
        else
        {
            evt.Kv = new KeyValue
            {
                Key = key,
                CreateRevision = reader.GetInt64(4),
                ModRevision = revision,
                Version = reader.GetInt64(5),
                Value = Wrap(reader.GetFieldValue<byte[]>(6)),
                Lease = reader.GetInt64(7),
            };
        }

        if (reader.GetBoolean(8))
        {
            evt.PrevKv = new KeyValue
            {
                Key = key,
                CreateRevision = reader.GetInt64(9),
                ModRevision = reader.GetInt64(10),
                Version = reader.GetInt64(11),
                Value = Wrap(reader.GetFieldValue<byte[]>(12)),
                Lease = reader.GetInt64(13),
            };
        }

        return new HistoryRow(revision, reader.GetInt32(1), evt);
    }

    // The reader hands out a fresh array per value, so wrapping it without a copy is safe.
    private static ByteString Wrap(byte[] bytes) =>
        bytes.Length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(bytes);
}

/// <summary>One history row: its revision, its order within the revision, and the event.</summary>
internal readonly record struct HistoryRow(long Revision, int Sub, Event Event);
