namespace Vigil.Client.Internal.Watch;

/// <summary>
/// Which servers answer a progress request only once every event owed to the stream has
/// been sent. etcd before 3.4.25 and 3.5.8 answered at once with the current revision,
/// ahead of events a catching-up watcher had not received yet (etcd#15220), so a client
/// that resumed from such a notification would skip those events.
/// </summary>
internal static class ProgressOrdering
{
    public static bool IsOrdered(string? serverVersion)
    {
        if (string.IsNullOrEmpty(serverVersion))
        {
            return false;
        }

        var parts = serverVersion.Split('.', '-', '+');
        if (parts.Length < 3
            || !int.TryParse(parts[0], out var major)
            || !int.TryParse(parts[1], out var minor)
            || !int.TryParse(parts[2], out var patch))
        {
            return false;
        }

        if (major != 3)
        {
            return major > 3;
        }

        return minor switch
        {
            4 => patch >= 25,
            5 => patch >= 8,
            _ => minor > 5,
        };
    }
}
