using Vigil.Testing;

namespace Vigil.Client.Tests.Harness;

/// <summary>Free TCP ports on 127.0.0.1, for servers that must keep their port across restarts.</summary>
internal static class LoopbackPort
{
    /// <summary>A port nobody listens on and that no other fixture of this process was given.</summary>
    public static int Next() => FreePort.Next();

    /// <summary>A URL where nothing listens: connecting is refused.</summary>
    public static string Closed() => $"http://127.0.0.1:{Next()}";
}
