using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// A statement prepared once on a session's connection and bound through SQLitePCLRaw, the
/// layer under Microsoft.Data.Sqlite. Microsoft.Data.Sqlite allocates a binder per parameter
/// and boxes every value on each execution; the append path binds 20 parameters per event,
/// and those made a fifth of the bytes a put allocated. Positional parameters (?1, ?2, ...).
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public SqliteStatement(sqlite3 db, string sql)
    {
        _db = db;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, sql, out _statement), db);
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds a BLOB; an empty one stays a zero-length BLOB, not NULL.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs a statement that returns no rows, and makes it ready to be bound again.</summary>
    public void Execute()
    {
        var result = raw.sqlite3_step(_statement);
        try
        {
            if (result != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(result, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>
    /// Steps a query: true with a row to read (<see cref="Int64"/>, <see cref="Blob"/>; then
    /// <see cref="Reset"/>), false when there are no more rows (the statement is reset then).
    /// </summary>
    public bool Read()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
        {
            return true;
        }

        try
        {
            if (result != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(result, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }

        return false;
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>A column's bytes, valid until the statement steps or resets.</summary>
    public ReadOnlySpan<byte> Blob(int column) => raw.sqlite3_column_blob(_statement, column);

    public void Reset() => raw.sqlite3_reset(_statement);

    public void Dispose() => _statement.Dispose();

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, _db);
        }
    }
}
