using System.Net.Sockets;
using Npgsql;

namespace Vigil.Core.Storage.Postgres;

/// <summary>Which failures mean "the database is away, try again" rather than a bug.</summary>
internal static class PostgresFailure
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // Server-reported: shutdown in progress, starting up, too many connections, lock or
        // statement timeouts, connection-class errors (08xxx).
        PostgresException postgres => postgres.IsTransient || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        // Client-side: could not connect, connection lost mid-call, timeouts, exhausted pool.
        NpgsqlException => true,
        TimeoutException or IOException or SocketException => true,
        _ => false,
    };
}
