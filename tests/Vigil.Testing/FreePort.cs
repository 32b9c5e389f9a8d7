using System.Net;
using System.Net.Sockets;

namespace Vigil.Testing;

/// <summary>
/// Free TCP ports on 127.0.0.1 for servers started by tests: the kernel picks one (bind to
/// port 0), the socket is closed and the number handed out. A port is never handed out twice
/// by one test process, so two fixtures starting at the same moment cannot collide.
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> Issued = [];
    private static readonly Lock IssuedLock = new();

    /// <summary>A port that was free on 127.0.0.1 a moment ago and that this process has not handed out before.</summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (IssuedLock)
            {
                if (Issued.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
