namespace Vigil.Client.Grpc;

internal static class GrpcCallLimits
{
    // CancellationTokenSource.CancelAfter takes at most uint.MaxValue - 1 milliseconds
    // (about 49 days); longer timeouts are sent but not armed locally.
    public static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
}
