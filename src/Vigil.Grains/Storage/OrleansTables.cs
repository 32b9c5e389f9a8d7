using Microsoft.Data.Sqlite;
using Npgsql;

namespace Vigil.Grains.Storage;

/// <summary>
/// Creates what Orleans' ADO.NET providers need in a database before a silo or client starts:
/// the tables they write and the <c>OrleansQuery</c> rows that hold their statements. The
/// provider packages ship no scripts; every table and statement here was written for Vigil
/// (see <see cref="PostgresClusteringSql"/>, <see cref="PostgresGrainStateSql"/>,
/// <see cref="SqliteGrainStateSql"/>, <see cref="PostgresReminderSql"/>,
/// <see cref="SqliteReminderSql"/>).
/// </summary>
/// <remarks>
/// <para>
/// Every method is idempotent and safe to run from every silo at every start, several at once
/// against one fresh database. On PostgreSQL the work is one transaction that first takes a
/// transaction-scoped advisory lock, so concurrent starters queue instead of racing on
/// CREATE TABLE (which is not concurrency-safe even with IF NOT EXISTS); on SQLite it is one
/// <c>BEGIN IMMEDIATE</c> transaction, which takes the file's write lock up front. Tables are
/// created IF NOT EXISTS and never altered; statements are upserted (see
/// <see cref="OrleansQueryTable"/>), so a newer Vigil replaces the statements of an older one.
/// </para>
/// <para>
/// Orleans' own tables are prefixed <c>orleans_</c> so they cannot meet Vigil's (<c>meta</c>,
/// <c>kv</c>, <c>history</c>, <c>members</c>) in the shared database; <c>OrleansQuery</c>
/// keeps its name because the providers read it by that name.
/// </para>
/// <para>
/// The single-node silo keeps grain state in a SQLite file of its own beside the revision
/// store's (<see cref="GrainStateFileBeside"/>), not in the store's file: SQLite has one
/// writer per file, and the revision store holds that lock for every commit on the write
/// path. Grain state written through Orleans' own pooled connections would queue behind
/// revision commits and make them wait in turn; nothing needs the two in one transaction.
/// </para>
/// </remarks>
public static class OrleansTables
{
    /// <summary>The ADO.NET invariant name Orleans' providers accept for PostgreSQL (Npgsql).</summary>
    public const string PostgresInvariant = "Npgsql";

    /// <summary>
    /// The ADO.NET invariant name Orleans' providers (10.4.2) accept for SQLite. They map it to
    /// Microsoft.Data.Sqlite's factory; the name "Microsoft.Data.Sqlite" itself is not in their
    /// table of invariants and fails the silo's start (KeyNotFoundException).
    /// </summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>
    /// The revision of the statements in this build. Raise it whenever a statement or table
    /// changes, so that this build's statements replace older ones and never the other way.
    /// </summary>
    internal const int QueryRevision = 1;

    /// <summary>Advisory lock key for creating Orleans' tables ("VIGIL_OR").</summary>
    internal const long PostgresLockKey = 0x5649_4749_4C5F_4F52;

    static OrleansTables() => SQLitePCL.Batteries_V2.Init();

    /// <summary>
    /// The membership tables and statements for <c>UseAdoNetClustering</c> with
    /// <see cref="PostgresInvariant"/>, for silos and for clients (gateway list).
    /// </summary>
    public static Task EnsureClusteringAsync(string postgresConnectionString, CancellationToken cancellationToken) =>
        EnsurePostgresAsync(postgresConnectionString, PostgresClusteringSql.CreateTables, PostgresClusteringSql.Queries, cancellationToken);

    /// <summary>
    /// The grain state table and statements for <c>AddAdoNetGrainStorage</c> with
    /// <see cref="PostgresInvariant"/> (read, write and clear with the version as ETag;
    /// delete for <c>DeleteStateOnClear</c>).
    /// </summary>
    public static Task EnsureGrainStorageAsync(string postgresConnectionString, CancellationToken cancellationToken) =>
        EnsurePostgresAsync(postgresConnectionString, PostgresGrainStateSql.CreateTables, PostgresGrainStateSql.Queries, cancellationToken);

    /// <summary>
    /// The reminder table and statements for <c>UseAdoNetReminderService</c> with
    /// <see cref="PostgresInvariant"/> (read by grain, by name and by hash range; upsert; delete
    /// with the version as ETag).
    /// </summary>
    public static Task EnsureRemindersAsync(string postgresConnectionString, CancellationToken cancellationToken) =>
        EnsurePostgresAsync(postgresConnectionString, PostgresReminderSql.CreateTables, PostgresReminderSql.Queries, cancellationToken);

    /// <summary>
    /// The grain state table and statements for <c>AddAdoNetGrainStorage</c> with
    /// <see cref="SqliteInvariant"/>, in the SQLite file of <paramref name="sqliteConnectionString"/>
    /// (created if missing, switched to WAL so grain reads do not wait for grain writes).
    /// </summary>
    public static Task EnsureSqliteGrainStorageAsync(string sqliteConnectionString, CancellationToken cancellationToken) =>
        EnsureSqliteAsync(sqliteConnectionString, SqliteGrainStateSql.CreateTables, SqliteGrainStateSql.Queries, cancellationToken);

    /// <summary>
    /// The reminder table and statements for <c>UseAdoNetReminderService</c> with
    /// <see cref="SqliteInvariant"/>, in the SQLite file of <paramref name="sqliteConnectionString"/>
    /// (the single node keeps them beside its grain state).
    /// </summary>
    public static Task EnsureSqliteRemindersAsync(string sqliteConnectionString, CancellationToken cancellationToken) =>
        EnsureSqliteAsync(sqliteConnectionString, SqliteReminderSql.CreateTables, SqliteReminderSql.Queries, cancellationToken);

    private static async Task EnsureSqliteAsync(
        string sqliteConnectionString,
        string createTables,
        IReadOnlyDictionary<string, string> queries,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sqliteConnectionString);
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);

        // WAL is a property of the file and cannot be changed inside a transaction.
        await using (var journal = connection.CreateCommand())
        {
            journal.CommandText = "PRAGMA journal_mode = WAL";
            await journal.ExecuteScalarAsync(cancellationToken);
        }

        // deferred: false is BEGIN IMMEDIATE: the write lock is taken (or waited for, up to the
        // connection's default timeout) before the schema is read, so concurrent starters
        // cannot both read "no table" and then collide.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = OrleansQueryTable.SqliteCreate + createTables;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (key, text) in queries)
        {
            await using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = OrleansQueryTable.Upsert;
            upsert.Parameters.AddWithValue("@QueryKey", key);
            upsert.Parameters.AddWithValue("@QueryText", text);
            upsert.Parameters.AddWithValue("@Revision", QueryRevision);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Where the single-node silo keeps grain state: a sibling of the revision store's file,
    /// <c>vigil.db</c> → <c>vigil.orleans.db</c>.
    /// </summary>
    public static string GrainStateFileBeside(string revisionStorePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(revisionStorePath);
        var extension = Path.GetExtension(revisionStorePath);
        return Path.ChangeExtension(revisionStorePath, ".orleans" + (extension.Length > 0 ? extension : ".db"));
    }

    private static async Task EnsurePostgresAsync(
        string connectionString,
        string createTables,
        IReadOnlyDictionary<string, string> queries,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", PostgresLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(OrleansQueryTable.PostgresCreate + createTables, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var upserts = new NpgsqlBatch(connection, transaction))
        {
            foreach (var (key, text) in queries)
            {
                var upsert = new NpgsqlBatchCommand(OrleansQueryTable.Upsert);
                upsert.Parameters.AddWithValue("QueryKey", key);
                upsert.Parameters.AddWithValue("QueryText", text);
                upsert.Parameters.AddWithValue("Revision", QueryRevision);
                upserts.BatchCommands.Add(upsert);
            }

            await upserts.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
