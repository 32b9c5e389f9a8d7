namespace Vigil.Grains.Storage;

/// <summary>
/// The statements Orleans' ADO.NET reminder provider looks up by key, written once for
/// PostgreSQL and SQLite: the two differ only in how a column alias keeps its case (the
/// provider reads columns by name) and in how a delete tells whether it found the row.
/// </summary>
internal static class ReminderQueries
{
    /// <param name="alias">A column alias as the dialect keeps its case.</param>
    /// <param name="deleteRow">DeleteReminderRowKey: deletes the row at @Version and answers one row, one boolean column.</param>
    public static IReadOnlyDictionary<string, string> Build(Func<string, string> alias, string deleteRow)
    {
        var columns = $"""
            SELECT grain_id AS {alias("GrainId")}, reminder_name AS {alias("ReminderName")}, start_time AS {alias("StartTime")},
                period_ms AS {alias("Period")}, version AS {alias("Version")}
            FROM orleans_reminders
            """;
        return new Dictionary<string, string>
        {
            ["ReadReminderRowsKey"] = $"""
                {columns}
                WHERE service_id = @ServiceId AND grain_id = @GrainId
                """,

            ["ReadReminderRowKey"] = $"""
                {columns}
                WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
                """,

            ["ReadRangeRows1Key"] = $"""
                {columns}
                WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
                """,

            ["ReadRangeRows2Key"] = $"""
                {columns}
                WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
                """,

            ["UpsertReminderRowKey"] = $"""
                INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version)
                VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
                ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
                SET start_time = excluded.start_time, period_ms = excluded.period_ms,
                    grain_hash = excluded.grain_hash, version = orleans_reminders.version + 1
                RETURNING version AS {alias("Version")}
                """,

            ["DeleteReminderRowKey"] = deleteRow,

            ["DeleteReminderRowsKey"] = """
                DELETE FROM orleans_reminders WHERE service_id = @ServiceId
                """,
        };
    }
}
