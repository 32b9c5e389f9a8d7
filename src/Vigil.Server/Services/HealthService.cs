using Grpc.Core;
using Vigil.Protocol.Grpc;
using Vigil.Protocol.Health;
using Vigil.Server.Grpc;
using ServerCallContext = Vigil.Server.Grpc.ServerCallContext;

namespace Vigil.Server.Services;

/// <summary>The standard gRPC health service; like etcd, it reports the server ("") as serving.</summary>
internal sealed class HealthService
{
    public void Register(GrpcMethodTable methods) =>
        methods.AddUnary<HealthCheckRequest, HealthCheckResponse>("/grpc.health.v1.Health/Check", HealthCheckRequest.Parser, CheckAsync);

    private static ValueTask<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        if (request.Service.Length != 0)
        {
            throw new RpcException(new Status(StatusCode.NotFound, "unknown service"));
        }

        return ValueTask.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
    }
}
