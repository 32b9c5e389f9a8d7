using System.Globalization;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>The checks every store makes before it writes one revision's events.</summary>
internal static class RevisionAppend
{
    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless <paramref name="revision"/> directly
    /// follows <paramref name="currentRevision"/>, and <see cref="ArgumentException"/> for events
    /// that cannot be stored (none at all, no kv, an empty key, a mod_revision of another revision).
    /// </summary>
    public static void Validate(long currentRevision, long revision, IReadOnlyList<Event> events)
    {
        if (revision != currentRevision + 1)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"Revision {revision} cannot be appended after revision {currentRevision}: revisions must be consecutive."));
        }

        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A revision holds at least one event.", nameof(events));
        }

        for (var i = 0; i < events.Count; i++)
        {
            var kv = events[i].Kv;
            if (kv is null || kv.Key.IsEmpty || kv.ModRevision != revision)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Event {i} of revision {revision} needs a kv with a key and mod_revision {revision}."),
                    nameof(events));
            }
        }
    }
}
