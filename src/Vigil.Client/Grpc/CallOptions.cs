namespace Vigil.Client.Grpc;

/// <summary>Per-call settings.</summary>
public sealed class CallOptions
{
    /// <summary>No metadata, no timeout, no cancellation, unlimited receive size.</summary>
    public static CallOptions Default { get; } = new();

    /// <summary>
    /// Metadata sent as request headers (lower-case names, e.g. <c>hasleader</c> or
    /// <c>token</c>). Names ending in <c>-bin</c> need base64 values, as gRPC prescribes.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>
    /// Time the call may take. Sent as <c>grpc-timeout</c> and enforced locally too: when it
    /// runs out the call is canceled and fails with DEADLINE_EXCEEDED. Null: no deadline.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Cancels the call (RST_STREAM). Operations of a call canceled this way throw
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Largest response message accepted, in bytes; larger ones fail the call with
    /// RESOURCE_EXHAUSTED. Default <see cref="int.MaxValue"/>, like etcd's Go client.
    /// </summary>
    public int MaxReceiveMessageSize { get; init; } = int.MaxValue;
}
