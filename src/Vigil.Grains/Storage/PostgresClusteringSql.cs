namespace Vigil.Grains.Storage;

/// <summary>
/// The membership tables for Orleans' ADO.NET clustering on PostgreSQL, and the statements
/// its provider (silos) and its gateway list provider (clients) look up by key in
/// <c>OrleansQuery</c>. Written for Vigil; the provider only fixes the keys, the parameter
/// names it binds and the column names it reads back.
/// </summary>
/// <remarks>
/// <para>
/// One row per cluster (the provider's "deployment", Orleans' ClusterId) in
/// <c>orleans_membership_version</c> carries the table version that Orleans' membership
/// protocol uses as an optimistic lock: every insert or update of a silo row must name the
/// version it read and bumps it by one; a write that names an older version changes nothing
/// and answers false, and the silo re-reads the table and tries again.
/// </para>
/// <para>
/// Each conditional write is one statement: data-modifying CTEs under READ COMMITTED. The
/// version row's UPDATE takes its row lock; a concurrent writer that named the same version
/// waits for it, re-checks <c>version = @Version</c> against the committed row and matches
/// nothing. The silo row is written only from the version row the statement bumped, so a
/// version never moves without the silo row it was bumped for, and the other way round.
/// </para>
/// <para>
/// Timestamps are timestamptz: the provider binds UTC <see cref="DateTime"/>s as
/// <c>DbType.DateTime</c>, which Npgsql sends as timestamptz, and reads them back as UTC.
/// Addresses, ports and generations are the silo's identity (Orleans' SiloAddress).
/// </para>
/// </remarks>
internal static class PostgresClusteringSql
{
    /// <summary><c>SiloStatus.Dead</c>: the only status whose rows may be cleaned up.</summary>
    private const int Dead = 6;

    public const string CreateTables = """
        CREATE TABLE IF NOT EXISTS orleans_membership_version (
            deployment_id text PRIMARY KEY,
            version integer NOT NULL,
            changed_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS orleans_membership (
            deployment_id text NOT NULL
                REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
            address text NOT NULL,
            port integer NOT NULL,
            generation integer NOT NULL,
            silo_name text NOT NULL,
            host_name text NOT NULL,
            status integer NOT NULL,
            proxy_port integer NOT NULL,
            suspect_times text,
            start_time timestamptz NOT NULL,
            i_am_alive_time timestamptz NOT NULL,
            PRIMARY KEY (deployment_id, address, port, generation));
        """;

    // The column list the provider's membership reader expects, by name (case-insensitive in
    // Npgsql, but quoted so the names survive PostgreSQL's lower-casing as they are).
    private const string MemberColumns = """
        v.version AS "Version",
        m.address AS "Address",
        m.port AS "Port",
        m.generation AS "Generation",
        m.silo_name AS "SiloName",
        m.host_name AS "HostName",
        m.status AS "Status",
        m.proxy_port AS "ProxyPort",
        m.suspect_times AS "SuspectTimes",
        m.start_time AS "StartTime",
        m.i_am_alive_time AS "IAmAliveTime"
        """;

    private const string SiloIs = """
        deployment_id = @DeploymentId
        AND address = @Address AND port = @Port AND generation = @Generation
        """;

    public static IReadOnlyDictionary<string, string> Queries { get; } = new Dictionary<string, string>
    {
        // Answers whether this call created the cluster's version row (one boolean column).
        ["InsertMembershipVersionKey"] = """
            WITH created AS (
                INSERT INTO orleans_membership_version (deployment_id, version, changed_at)
                VALUES (@DeploymentId, 0, now())
                ON CONFLICT (deployment_id) DO NOTHING
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM created)
            """,

        // A LEFT JOIN from the version row: with no silo rows yet the provider still gets one
        // row carrying the version, with a NULL StartTime meaning "no member".
        ["MembershipReadAllKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
            WHERE v.deployment_id = @DeploymentId
            """,

        ["MembershipReadRowKey"] = $"""
            SELECT {MemberColumns}
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
                AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
            WHERE v.deployment_id = @DeploymentId
            """,

        // The version moves only when the silo row is really new, so a duplicate insert
        // leaves the table as it was and answers false.
        ["InsertMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version
                SET version = version + 1, changed_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version
                    AND NOT EXISTS (SELECT 1 FROM orleans_membership WHERE {SiloIs})
                RETURNING deployment_id),
            inserted AS (
                INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name,
                    host_name, status, proxy_port, suspect_times, start_time, i_am_alive_time)
                SELECT deployment_id, @Address, @Port, @Generation, @SiloName,
                    @HostName, @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
                FROM bumped
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM inserted)
            """,

        ["UpdateMembershipKey"] = $"""
            WITH bumped AS (
                UPDATE orleans_membership_version
                SET version = version + 1, changed_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version
                    AND EXISTS (SELECT 1 FROM orleans_membership WHERE {SiloIs})
                RETURNING deployment_id),
            updated AS (
                UPDATE orleans_membership m
                SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
                FROM bumped
                WHERE m.deployment_id = bumped.deployment_id
                    AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM updated)
            """,

        // The heartbeat is not part of the versioned state: it changes no version.
        ["UpdateIAmAlivetimeKey"] = $"""
            UPDATE orleans_membership
            SET i_am_alive_time = @IAmAliveTime
            WHERE {SiloIs}
            """,

        // Silo rows go with their version row (ON DELETE CASCADE).
        ["DeleteMembershipTableEntriesKey"] = """
            DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
            """,

        // Only dead silos, and only those silent since before the cut-off. Removing a dead
        // row changes no live silo's view, so the version stays.
        ["CleanupDefunctSiloEntriesKey"] = $"""
            DELETE FROM orleans_membership
            WHERE deployment_id = @DeploymentId AND status = {Dead} AND i_am_alive_time < @IAmAliveTime
            """,

        // Preferred by the provider over the bulk cleanup when present: it picks the defunct
        // rows from what it read and removes each one only if the row is still what it saw.
        ["CleanupDefunctSiloEntryKey"] = $"""
            DELETE FROM orleans_membership
            WHERE {SiloIs} AND status = {Dead}
                AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime
                AND suspect_times IS NOT DISTINCT FROM @SuspectTimes
            """,

        // Clients ask for the active silos that accept client connections.
        ["GatewaysQueryKey"] = """
            SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
            FROM orleans_membership
            WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
            """,
    };
}
