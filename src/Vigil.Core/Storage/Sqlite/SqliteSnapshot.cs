using Microsoft.Data.Sqlite;
using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// A read transaction on a connection of its own. In WAL mode its first read fixes the
/// snapshot, and the meta row is that first read, so every later read sees the same state.
/// </summary>
internal sealed class SqliteSnapshot(SqliteRevisionStore store, SqliteSession session, StoreState state)
    : SqlSnapshot<SqliteSession>(session, state)
{
    protected override bool IsUnavailable(Exception error) => error is SqliteException sqlite && SqliteFailure.IsUnavailable(sqlite);

    protected override Exception Unavailable(string operation, Exception error) => store.Unavailable(operation, error);

    protected override ValueTask EndAsync(SqliteSession session)
    {
        store.ReturnReader(session, healthy: session.TryRollback());
        return ValueTask.CompletedTask;
    }
}
