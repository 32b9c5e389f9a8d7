using System.Data;
using System.Data.Common;
using Npgsql;
using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// A pooled connection with one open transaction. Npgsql sends the BEGIN together with the
/// first statement, so opening costs no extra round trip; statements are prepared
/// automatically by the data source (Max Auto Prepare).
/// </summary>
internal sealed class PostgresSession : ICommandSource, IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private PostgresSession(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async ValueTask<PostgresSession> BeginAsync(
        NpgsqlDataSource dataSource, IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(isolationLevel, cancellationToken);
            return new PostgresSession(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public SqlDialect Dialect => SqlDialect.Postgres;

    public DbCommand Command(string sql) => new NpgsqlCommand(sql, _connection, _transaction);

    public NpgsqlBatch Batch() => new(_connection, _transaction);

    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    /// <summary>Rolls back unless committed, and returns the connection to the pool (or drops it if broken).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _transaction.DisposeAsync();
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e) || e is InvalidOperationException)
        {
            // The connection is gone; the server rolls back on its own.
        }

        await _connection.DisposeAsync();
    }
}
