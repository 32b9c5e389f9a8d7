namespace Vigil.Core.Storage;

/// <summary>
/// The database could not be reached or failed in a way a retry may cure (connection lost,
/// server restarting). Services turn it into UNAVAILABLE so etcd clients retry.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
