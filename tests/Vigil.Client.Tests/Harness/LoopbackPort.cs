using System.Net;
using System.Net.Sockets;

namespace Vigil.Client.Tests.Harness;

/// <summary>Free TCP ports on 127.0.0.1, for servers that must keep their port across restarts.</summary>
internal static class LoopbackPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A URL where nothing listens: connecting is refused.</summary>
    public static string Closed() => $"http://127.0.0.1:{Next()}";
}
