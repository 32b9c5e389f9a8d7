namespace Vigil.Grains.Storage;

/// <summary>
/// The reminder table for Orleans' ADO.NET reminder service on PostgreSQL, and the statements
/// its provider looks up by key in <c>OrleansQuery</c>. Written for Vigil; the provider only
/// fixes the keys, the parameter names it binds and the column names it reads back.
/// </summary>
/// <remarks>
/// <para>
/// A row is one reminder of one grain under one service: the grain id as its string form,
/// the reminder's name, when it first ticks and its period (milliseconds), and the grain's
/// 32-bit uniform hash, which the provider passes as a signed integer. Each silo's reminder
/// service owns a range of that hash ring and reads its range: <c>(begin, end]</c>, or, when
/// the range wraps around the ring, everything above <c>begin</c> and everything up to
/// <c>end</c> (the provider picks the statement by comparing the two as signed integers, the
/// way they are stored).
/// </para>
/// <para>
/// The ETag is the row's <c>version</c>: an upsert always wins and answers the new version;
/// a delete names the version it read and answers one row with whether it removed the reminder.
/// </para>
/// </remarks>
internal static class PostgresReminderSql
{
    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS orleans_reminders (
            service_id text NOT NULL,
            grain_id text NOT NULL,
            reminder_name text NOT NULL,
            start_time timestamptz NOT NULL,
            period_ms bigint NOT NULL,
            grain_hash integer NOT NULL,
            version integer NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name));
        CREATE INDEX IF NOT EXISTS orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);
        """;

    public static IReadOnlyDictionary<string, string> Queries { get; } = ReminderQueries.Build(
        name => $"\"{name}\"",
        // Always one row: the provider reads the first row's only column as the answer.
        """
        WITH deleted AS (
            DELETE FROM orleans_reminders
            WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
                AND version = @Version
            RETURNING 1)
        SELECT count(*) > 0 FROM deleted
        """);
}
