using Grpc.Core;

namespace Vigil.Client;

/// <summary>The call did not complete within its timeout (<see cref="VigilClientOptions.DefaultTimeout"/>); it may or may not have taken effect.</summary>
public sealed class DeadlineExceededException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/>.</summary>
    public DeadlineExceededException(string message, Exception? innerException = null)
        : base(message, StatusCode.DeadlineExceeded, innerException)
    {
    }
}
