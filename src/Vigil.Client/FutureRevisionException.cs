using Grpc.Core;

namespace Vigil.Client;

/// <summary>A read or compaction named a revision the store has not reached yet (<c>etcdserver: mvcc: required revision is a future revision</c>).</summary>
public sealed class FutureRevisionException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/>.</summary>
    public FutureRevisionException(string message, Exception? innerException = null)
        : base(message, StatusCode.OutOfRange, innerException)
    {
    }
}
