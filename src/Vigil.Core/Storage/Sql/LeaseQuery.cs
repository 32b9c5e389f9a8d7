using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// The <c>lease</c> table and the keys attached to a lease, in SQL that runs unchanged on
/// SQLite and PostgreSQL. Attached keys are found through the partial index on
/// <c>kv(lease)</c>, so a revoke reads only its own keys.
/// </summary>
internal static class LeaseQuery
{
    private const string InsertSql = "INSERT INTO lease (id, ttl) VALUES (@id, @ttl) ON CONFLICT (id) DO NOTHING";
    private const string DeleteSql = "DELETE FROM lease WHERE id = @id";
    private const string ReadSql = "SELECT id, ttl FROM lease WHERE id = @id";
    private const string ReadAllSql = "SELECT id, ttl FROM lease ORDER BY id";
    // "lease <> 0" repeats the partial index's condition, which is how SQLite knows it may use it.
    private const string KeysSql =
        "SELECT key, create_revision, mod_revision, version, value, lease FROM kv WHERE lease = @id AND lease <> 0 ORDER BY key";

    /// <summary>Inserts the lease; false when a lease with that ID exists.</summary>
    public static async ValueTask<bool> InsertAsync(ICommandSource source, StoredLease lease, CancellationToken cancellationToken)
    {
        var command = source.Command(InsertSql);
        command.Bind("@id", lease.Id);
        command.Bind("@ttl", lease.Ttl);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Deletes the lease row; false when there was none.</summary>
    public static async ValueTask<bool> DeleteAsync(ICommandSource source, long id, CancellationToken cancellationToken)
    {
        var command = source.Command(DeleteSql);
        command.Bind("@id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async ValueTask<StoredLease?> ReadAsync(ICommandSource source, long id, CancellationToken cancellationToken)
    {
        var command = source.Command(ReadSql);
        command.Bind("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new StoredLease(reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    public static async ValueTask<IReadOnlyList<StoredLease>> ReadAllAsync(ICommandSource source, CancellationToken cancellationToken)
    {
        var leases = new List<StoredLease>();
        await using var reader = await source.Command(ReadAllSql).ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new StoredLease(reader.GetInt64(0), reader.GetInt64(1)));
        }

        return leases;
    }

    /// <summary>The live keys attached to lease <paramref name="id"/>, ascending.</summary>
    public static async ValueTask<IReadOnlyList<KeyValue>> ReadKeysAsync(ICommandSource source, long id, CancellationToken cancellationToken)
    {
        var command = source.Command(KeysSql);
        command.Bind("@id", id);
        var kvs = new List<KeyValue>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            kvs.Add(StoredRows.ReadKeyValue(reader));
        }

        return kvs;
    }
}
