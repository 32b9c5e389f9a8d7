using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// The revision asked for has been compacted away (<c>etcdserver: mvcc: required revision has
/// been compacted</c>): a read at an old revision, a compaction below the last one, or a
/// watch whose next revision fell below the compacted revision. A watcher relists (reads the
/// current state) and watches again from that read's revision + 1.
/// </summary>
public sealed class CompactedException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/>.</summary>
    public CompactedException(string message, long? compactRevision = null, Exception? innerException = null)
        : base(message, StatusCode.OutOfRange, innerException)
    {
        CompactRevision = compactRevision;
    }

    /// <summary>
    /// The store's compacted revision when the server told it (always for a watch); null when
    /// unknown (reads and compactions do not report it).
    /// </summary>
    public long? CompactRevision { get; }
}
