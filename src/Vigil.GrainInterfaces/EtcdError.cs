using Grpc.Core;

namespace Vigil.GrainInterfaces;

/// <summary>
/// An etcd error (a gRPC status code and etcd's exact message) on its way back through a
/// grain call. Vigil's grains throw it instead of <see cref="RpcException"/>, which Orleans
/// cannot carry faithfully; callers turn it back with <see cref="ToRpcException"/>.
/// </summary>
[GenerateSerializer]
[Alias("vigil.etcd-error")]
public sealed class EtcdError : Exception
{
    /// <summary>Creates the error of <paramref name="statusCode"/> with etcd's <paramref name="detail"/>.</summary>
    public EtcdError(StatusCode statusCode, string detail)
        : base(detail)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The gRPC status code etcd answers with.</summary>
    [Id(0)]
    public StatusCode StatusCode { get; }

    /// <summary>etcd's message, which etcd clients match on.</summary>
    [Id(1)]
    public string Detail { get; }

    /// <summary>Carries <paramref name="error"/> across a grain call.</summary>
    public static EtcdError From(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new EtcdError(error.StatusCode, error.Status.Detail);
    }

    /// <summary>The status the gRPC services answer with.</summary>
    public RpcException ToRpcException() => new(new Status(StatusCode, Detail));
}
