using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// No endpoint could serve the request: connections refused or broken, or servers answering
/// UNAVAILABLE (stopping, no leader, store down), after the retries the
/// <see cref="VigilClientOptions.Retry"/> policy allows. A write that fails this way may
/// have been applied unless the connection was refused.
/// </summary>
public sealed class UnavailableException : VigilException
{
    /// <summary>Creates the exception with the last failure's <paramref name="message"/>.</summary>
    public UnavailableException(string message, Exception? innerException = null)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}
