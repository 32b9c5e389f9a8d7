using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Postgres;

/// <summary>A REPEATABLE READ, READ ONLY transaction: every read sees the snapshot its first statement took.</summary>
internal sealed class PostgresSnapshot(PostgresRevisionStore store, PostgresSession session, StoreState state)
    : SqlSnapshot<PostgresSession>(session, state)
{
    protected override bool IsUnavailable(Exception error) => PostgresFailure.IsUnavailable(error);

    protected override Exception Unavailable(string operation, Exception error) => store.Unavailable(operation, error);

    protected override ValueTask EndAsync(PostgresSession session) => session.DisposeAsync();
}
