using Vigil.Client.Grpc;

namespace Vigil.Client.Internal;

/// <summary>One server address and the connection to it.</summary>
internal sealed class Endpoint(int index, Uri address, GrpcConnection connection)
{
    public int Index { get; } = index;

    public Uri Address { get; } = address;

    public GrpcConnection Connection { get; } = connection;

    public override string ToString() => Address.ToString();
}
