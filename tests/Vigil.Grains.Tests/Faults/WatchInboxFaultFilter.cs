using Orleans.Serialization.Invocation;
using Vigil.GrainInterfaces.Watch;

namespace Vigil.Grains.Tests.Faults;

/// <summary>
/// Counts, and on demand breaks, the silos' calls to watch inboxes: a share of them answered
/// as taken without being delivered, failed, or delivered twice; counts those that time out.
/// </summary>
internal sealed class WatchInboxFaultFilter : IOutgoingGrainCallFilter
{
    private static int _dropPercent;
    private static int _failPercent;
    private static int _duplicatePercent;
    private static int _calls;
    private static int _deliveries;
    private static int _dropped;
    private static int _failed;
    private static int _duplicated;
    private static int _timedOut;

    public static int Calls => Volatile.Read(ref _calls);

    public static int Deliveries => Volatile.Read(ref _deliveries);

    public static (int Dropped, int Failed, int Duplicated) Faults =>
        (Volatile.Read(ref _dropped), Volatile.Read(ref _failed), Volatile.Read(ref _duplicated));

    /// <summary>Calls that ended by their response timeout: the inbox never answered them.</summary>
    public static int TimedOut => Volatile.Read(ref _timedOut);

    public static void Set(int dropPercent, int failPercent, int duplicatePercent)
    {
        Volatile.Write(ref _dropPercent, dropPercent);
        Volatile.Write(ref _failPercent, failPercent);
        Volatile.Write(ref _duplicatePercent, duplicatePercent);
    }

    public static void Reset()
    {
        Set(0, 0, 0);
        Volatile.Write(ref _calls, 0);
        Volatile.Write(ref _deliveries, 0);
        Volatile.Write(ref _dropped, 0);
        Volatile.Write(ref _failed, 0);
        Volatile.Write(ref _duplicated, 0);
        Volatile.Write(ref _timedOut, 0);
    }

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType != typeof(IWatchInbox))
        {
            await context.Invoke();
            return;
        }

        var deliveries = (WatchDelivery[])context.Request.GetArgument(0)!;
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _deliveries, deliveries.Length);
        var roll = Random.Shared.Next(100);
        var drop = Volatile.Read(ref _dropPercent);
        var fail = drop + Volatile.Read(ref _failPercent);
        var duplicate = fail + Volatile.Read(ref _duplicatePercent);
        if (roll < drop)
        {
            // Answered as if every batch was taken: the silo moves on, the subscribers never saw them.
            Interlocked.Increment(ref _dropped);
            context.Response = Response.FromResult(Enumerable.Repeat(true, deliveries.Length).ToArray());
            return;
        }

        if (roll < fail)
        {
            Interlocked.Increment(ref _failed);
            throw new InvalidOperationException("injected: the call to the watch inbox failed");
        }

        try
        {
            await context.Invoke();
        }
        catch (TimeoutException)
        {
            Interlocked.Increment(ref _timedOut);
            throw;
        }

        if (roll < duplicate)
        {
            Interlocked.Increment(ref _duplicated);
            await context.Invoke();
        }
    }
}
