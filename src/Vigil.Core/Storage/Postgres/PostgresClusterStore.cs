using Microsoft.Extensions.Logging;
using Npgsql;
using Vigil.Core.Cluster;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// Cluster coordination over the shared PostgreSQL database: the <c>members</c> table with
/// heartbeats written by each node and judged by the database's clock (so node clocks may
/// disagree), session advisory locks for cluster-wide duties (a node that dies releases
/// its locks with its session), and LISTEN on the channel every commit notifies.
/// </summary>
public sealed partial class PostgresClusterStore : IClusterStore
{
    private const string UpsertSql = """
        INSERT INTO members (id, name, client_urls, heartbeat) VALUES (@id, @name, @urls, now())
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, client_urls = excluded.client_urls, heartbeat = now()
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenConnectionString;
    private readonly ILogger _logger;

    public PostgresClusterStore(PostgresStoreOptions options, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);
        _logger = logger;
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "vigil-cluster";
        }

        _dataSource = builder.Build();

        // The listener and duty connections sit idle for long stretches; keepalive queries let
        // them notice a server that went away instead of waiting forever.
        var listen = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { KeepAlive = 5, Pooling = false };
        _listenConnectionString = listen.ConnectionString;
    }

    public bool IsShared => true;

    public async ValueTask JoinAsync(MemberRecord self, CancellationToken cancellationToken)
    {
        await ExecuteAsync("join the cluster", async connection =>
        {
            await using var upsert = Upsert(connection, self);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            // Forget nodes gone for a day; their IDs come back if they return.
            await using var forget = new NpgsqlCommand("DELETE FROM members WHERE heartbeat < now() - interval '1 day'", connection);
            await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask HeartbeatAsync(MemberRecord self, CancellationToken cancellationToken)
    {
        await ExecuteAsync("send a heartbeat", async connection =>
        {
            await using var upsert = Upsert(connection, self);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask LeaveAsync(ulong memberId, CancellationToken cancellationToken)
    {
        await ExecuteAsync("leave the cluster", async connection =>
        {
            await using var delete = new NpgsqlCommand("DELETE FROM members WHERE id = @id", connection);
            delete.Parameters.AddWithValue("id", unchecked((long)memberId));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<MemberRecord>> ListMembersAsync(TimeSpan liveWithin, CancellationToken cancellationToken)
    {
        var members = new List<MemberRecord>();
        await ExecuteAsync("list members", async connection =>
        {
            await using var select = new NpgsqlCommand(
                "SELECT id, name, client_urls FROM members WHERE heartbeat > now() - @live ORDER BY id", connection);
            select.Parameters.AddWithValue("live", liveWithin);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var urls = reader.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries);
                members.Add(new MemberRecord(unchecked((ulong)reader.GetInt64(0)), reader.GetString(1), urls));
            }
        }, cancellationToken).ConfigureAwait(false);
        return members;
    }

    public async ValueTask<IDutyLease?> TryAcquireDutyAsync(string duty, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_listenConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            tryLock.Parameters.AddWithValue("key", DutyKey(duty));
            if (await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return new PostgresDutyLease(connection, duty, _logger);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception error) when (PostgresFailure.IsUnavailable(error))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new StoreUnavailableException($"PostgreSQL is unavailable, cannot take the {duty} duty: {error.Message}", error);
        }
    }

    public async Task ListenAsync(Action onCommit, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listenConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, _) => onCommit();
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresRevisionStore.RevisionChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // Commits may have happened while not listening.
                onCommit();
                delay = TimeSpan.FromMilliseconds(100);
                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (PostgresFailure.IsUnavailable(error))
            {
                LogListenFailed(_logger, error.Message, delay);
            }

            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Advisory lock key of a duty: "VIGIL" and a hash of its name, stable across versions.</summary>
    internal static long DutyKey(string duty)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in duty)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)((0x5649_4749_4CUL << 24) | (hash & 0xFF_FFFF)));
    }

    private static NpgsqlCommand Upsert(NpgsqlConnection connection, MemberRecord self)
    {
        var command = new NpgsqlCommand(UpsertSql, connection);
        command.Parameters.AddWithValue("id", unchecked((long)self.Id));
        command.Parameters.AddWithValue("name", self.Name);
        command.Parameters.AddWithValue("urls", string.Join(',', self.ClientUrls));
        return command;
    }

    private async Task ExecuteAsync(string operation, Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await work(connection).ConfigureAwait(false);
        }
        catch (Exception error) when (PostgresFailure.IsUnavailable(error))
        {
            NpgsqlConnection.ClearAllPools();
            throw new StoreUnavailableException($"PostgreSQL is unavailable, cannot {operation}: {error.Message}", error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for commits of other nodes failed ({Reason}); retrying in {Delay}")]
    private static partial void LogListenFailed(ILogger logger, string reason, TimeSpan delay);
}
