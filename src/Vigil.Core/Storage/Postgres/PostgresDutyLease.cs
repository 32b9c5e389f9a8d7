using Microsoft.Extensions.Logging;
using Npgsql;
using Vigil.Core.Cluster;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// A cluster-wide duty held as a session advisory lock on a dedicated connection. A ping
/// every two seconds notices a lost session (the server restarted, the network broke): the
/// lock went with it, so <see cref="Lost"/> fires and the holder stops the duty.
/// </summary>
internal sealed partial class PostgresDutyLease : IDutyLease
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(2);

    private readonly NpgsqlConnection _connection;
    private readonly string _duty;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _pinging;

    public PostgresDutyLease(NpgsqlConnection connection, string duty, ILogger logger)
    {
        _connection = connection;
        _duty = duty;
        _logger = logger;
        _pinging = Task.Run(PingAsync);
    }

    public CancellationToken Lost => _lost.Token;

    private async Task PingAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(PingInterval, _disposing.Token).ConfigureAwait(false);
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(_disposing.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            LogLost(_logger, _duty, error.Message);
            await _lost.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _pinging.ConfigureAwait(false);

        // Closing the session releases the lock; no unlock call needed.
        await _connection.DisposeAsync().ConfigureAwait(false);
        _lost.Dispose();
        _disposing.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the {Duty} duty: {Reason}")]
    private static partial void LogLost(ILogger logger, string duty, string reason);
}
