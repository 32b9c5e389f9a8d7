namespace Vigil.Core.Storage.Postgres;

/// <summary>Settings of the PostgreSQL store (cluster mode).</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>
    /// Npgsql connection string (Host, Port, Database, Username, Password, pool settings, ...).
    /// Required. Unless it says otherwise the store turns on automatic statement preparation
    /// (Max Auto Prepare = 64) and names itself "vigil" as the application.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>History rows examined per purge transaction, so no transaction runs long. Default 5000.</summary>
    public int PurgeChunkRows { get; set; } = 5000;

    /// <summary>
    /// Appended events a write transaction keeps before sending them in one batch; they are
    /// also sent before any read through the transaction and at commit. Default 2048.
    /// </summary>
    public int AppendBufferEvents { get; set; } = 2048;
}
