using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// One open SQLite connection and the commands prepared on it. A command is kept per SQL text,
/// so its prepared statement is reused for the connection's lifetime. Transactions are driven
/// with plain BEGIN/COMMIT/ROLLBACK statements, which keeps cached commands usable across them.
/// Used by one caller at a time.
/// </summary>
internal sealed class SqliteSession : ICommandSource, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteStatement> _statements = new(StringComparer.Ordinal);
    private readonly int _timeoutSeconds;

    private SqliteSession(SqliteConnection connection, int timeoutSeconds)
    {
        _connection = connection;
        _timeoutSeconds = timeoutSeconds;
    }

    public static SqliteSession Open(string connectionString, TimeSpan busyTimeout)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var session = new SqliteSession(connection, (int)Math.Ceiling(busyTimeout.TotalSeconds));
            // synchronous=FULL: every commit fsyncs the WAL, so an acknowledged write survives
            // a crash or kill -9. busy_timeout: wait for other connections' locks, don't fail.
            session.ExecuteOnce(string.Create(
                CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL;"));
            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public SqlDialect Dialect => SqlDialect.Sqlite;

    public DbCommand Command(string sql) => Statement(sql);

    public SqliteCommand Statement(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = _timeoutSeconds;
            _commands.Add(sql, command);
        }

        return command;
    }

    /// <summary>A cached command whose parameters exist in <paramref name="parameterNames"/> order, to be set by index.</summary>
    public SqliteCommand Statement(string sql, string[] parameterNames)
    {
        var command = Statement(sql);
        if (command.Parameters.Count == 0)
        {
            foreach (var name in parameterNames)
            {
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }
        }

        return command;
    }

    /// <summary>A statement bound through SQLitePCLRaw (see <see cref="SqliteStatement"/>), prepared on first use.</summary>
    public SqliteStatement Prepared(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new SqliteStatement(_connection.Handle!, sql);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>Runs a cached statement (BEGIN, COMMIT, ...).</summary>
    public void Execute(string sql) => Statement(sql).ExecuteNonQuery();

    /// <summary>Runs SQL that is not worth caching (schema, pragmas).</summary>
    public object? ExecuteOnce(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = _timeoutSeconds;
        return command.ExecuteScalar();
    }

    /// <summary>Ends the open transaction, if any, without letting a failure escape; false if the connection is suspect.</summary>
    public bool TryRollback()
    {
        try
        {
            // sqlite3_get_autocommit is 0 exactly while a transaction is open (SQLite may
            // already have rolled back by itself after an I/O error).
            if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0)
            {
                Execute("ROLLBACK");
            }

            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();

        // Finalized before the connection closes: SQLite refuses to close one with live statements.
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        _connection.Dispose();
    }
}
