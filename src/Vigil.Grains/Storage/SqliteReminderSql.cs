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

    private const string Columns = """
        SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime,
            period_ms AS Period, version AS Version
        FROM orleans_reminders
        """;

    public static IReadOnlyDictionary<string, string> Queries { get; } = new Dictionary<string, string>
    {
        ["ReadReminderRowsKey"] = $"""
            {Columns}
            WHERE service_id = @ServiceId AND grain_id = @GrainId
            """,

        ["ReadReminderRowKey"] = $"""
            {Columns}
            WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
            """,

        ["ReadRangeRows1Key"] = $"""
            {Columns}
            WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
            """,

        ["ReadRangeRows2Key"] = $"""
            {Columns}
            WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
            """,

        ["UpsertReminderRowKey"] = """
            INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version)
            VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
            ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
            SET start_time = excluded.start_time, period_ms = excluded.period_ms,
                grain_hash = excluded.grain_hash, version = orleans_reminders.version + 1
            RETURNING version AS Version
            """,

        ["DeleteReminderRowKey"] = """
            DELETE FROM orleans_reminders
            WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
                AND version = @Version;
            SELECT changes() > 0;
            """,

        ["DeleteReminderRowsKey"] = """
            DELETE FROM orleans_reminders WHERE service_id = @ServiceId
            """,
    };
}
