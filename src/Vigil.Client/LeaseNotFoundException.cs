using Grpc.Core;

namespace Vigil.Client;

/// <summary>The lease named in a call does not exist: never granted, revoked or expired (<c>etcdserver: requested lease not found</c>).</summary>
public sealed class LeaseNotFoundException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/>.</summary>
    public LeaseNotFoundException(string message, Exception? innerException = null)
        : base(message, StatusCode.NotFound, innerException)
    {
    }
}
