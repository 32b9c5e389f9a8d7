namespace Vigil.Grains.Storage;

/// <summary>
/// The reminder table for Orleans' ADO.NET reminder service on SQLite (the single-node silo),
/// and the statements its provider looks up by key in <c>OrleansQuery</c>. The same table and
/// rules as <see cref="PostgresReminderSql"/>, in SQLite's dialect.
/// </summary>
/// <remarks>
/// The start time is stored as the text Microsoft.Data.Sqlite writes for a
/// <see cref="DateTime"/> (UTC, as the provider binds it; it reads it back as UTC). A delete
/// is two statements in one command: the DELETE returns no rows, so the reader's first row
/// is the SELECT's, and <c>changes()</c> counts what the DELETE just removed.
/// </remarks>
internal static class SqliteReminderSql
{
    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS orleans_reminders (
            service_id TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            reminder_name TEXT NOT NULL,
            start_time TEXT NOT NULL,
            period_ms INTEGER NOT NULL,
            grain_hash INTEGER NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name));
        CREATE INDEX IF NOT EXISTS orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);
        """;

    public static IReadOnlyDictionary<string, string> Queries { get; } = ReminderQueries.Build(
        name => name,
        """
        DELETE FROM orleans_reminders
        WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
            AND version = @Version;
        SELECT changes() > 0;
        """);
}
