using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Watch;

/// <summary>
/// etcd's Watch service (<c>etcdserverpb.Watch/Watch</c>) bound with
/// <see cref="EncodedWatchResponse.Marshaller"/> in place of the generated WatchResponse
/// marshaller, so responses assembled from parts encoded once are written straight into the
/// transport's buffer. Grpc.AspNetCore finds the method through
/// <see cref="BindServiceMethodAttribute"/>, as it does for generated bases; the gRPC
/// framing, flow control and flushing stay the library's. Requests use the generated parser.
/// </summary>
[BindServiceMethod(typeof(EncodedWatchServiceBase), nameof(BindService))]
public abstract class EncodedWatchServiceBase
{
    private static readonly Marshaller<WatchRequest> RequestMarshaller = new(
        static (request, context) =>
        {
            context.SetPayloadLength(request.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(request, context.GetBufferWriter());
            context.Complete();
        },
        static context => WatchRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>The Watch method with the encoded-response marshaller.</summary>
    public static Method<WatchRequest, EncodedWatchResponse> WatchMethod { get; } = new(
        MethodType.DuplexStreaming, Protocol.Etcdserverpb.Watch.Descriptor.FullName, "Watch", RequestMarshaller, EncodedWatchResponse.Marshaller);

    /// <summary>One Watch call: requests in, responses out, until the client or the server ends it.</summary>
    public abstract Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<EncodedWatchResponse> responseStream, ServerCallContext context);

    /// <summary>Called by Grpc.AspNetCore (through the attribute) to learn the service's methods.</summary>
    public static void BindService(ServiceBinderBase binder, EncodedWatchServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(WatchMethod, service is null ? null : new DuplexStreamingServerMethod<WatchRequest, EncodedWatchResponse>(service.Watch));
    }
}
