using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// The server ended a watch for a reason other than compaction: it refused to create it
/// (e.g. <c>mvcc: watcher range is empty</c>), canceled it, or ended the watch stream with a
/// status that resuming would not cure (e.g. PERMISSION_DENIED, UNIMPLEMENTED).
/// </summary>
public sealed class WatchCanceledException : VigilException
{
    /// <summary>Creates the exception with the server's reason.</summary>
    public WatchCanceledException(string message, StatusCode statusCode = StatusCode.Cancelled, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
    }
}
