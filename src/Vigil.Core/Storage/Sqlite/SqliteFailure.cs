using Microsoft.Data.Sqlite;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>Which SQLite errors mean "try again later" rather than a bug or a corrupt file.</summary>
internal static class SqliteFailure
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int IoError = 10;
    private const int Full = 13;
    private const int CannotOpen = 14;
    private const int Protocol = 15;

    public static bool IsUnavailable(SqliteException exception) =>
        (exception.SqliteErrorCode & 0xFF) is Busy or Locked or NoMemory or IoError or Full or CannotOpen or Protocol;

    public static StoreUnavailableException Unavailable(string path, string operation, Exception exception) =>
        new($"SQLite store {path}: could not {operation}: {exception.Message}", exception);
}
