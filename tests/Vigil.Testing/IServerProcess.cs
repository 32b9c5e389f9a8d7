namespace Vigil.Testing;

/// <summary>A server etcdctl can talk to, running as a separate process for one test.</summary>
public interface IServerProcess : IAsyncDisposable
{
    /// <summary>host:port of the client listener, as etcdctl's --endpoints takes it.</summary>
    string Endpoint { get; }

    /// <summary>The member name given with --name.</summary>
    string Name { get; }

    /// <summary>What the server printed so far, for failure messages.</summary>
    string Output { get; }
}
