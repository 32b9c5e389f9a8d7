using Orleans.Serialization.Invocation;
using Vigil.GrainInterfaces.Watch;

namespace Vigil.Grains.Tests.Faults;

/// <summary>
/// In a client process, holds the calls to its watch inbox unanswered while switched on, as a
/// hung subscriber process does: the silo's call ends only by its response timeout. Held on
/// the receiving side on purpose, since a call held in the silo's own outgoing filter would
/// never reach the runtime that times it out.
/// </summary>
/// <remarks>
/// Orleans hands a client's observer one call at a time, so the calls behind a held one wait
/// in the runtime's queue, and those that expired meanwhile are dropped there, as they are in
/// a process that wakes up.
/// </remarks>
internal sealed class WatchInboxHangFilter : IIncomingGrainCallFilter
{
    private static TaskCompletionSource<bool>? _hold;
    private static int _held;

    /// <summary>Calls held since the last <see cref="Reset"/>.</summary>
    public static int Held => Volatile.Read(ref _held);

    /// <summary>From now on, every call to the inbox waits, unanswered, for <see cref="Answer"/>.</summary>
    public static void Hang() => Volatile.Write(ref _hold, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>
    /// Lets the held calls go: delivered to the inbox late (<paramref name="deliver"/>: the
    /// process woke up), or ended without reaching it (the calls were lost); calls after this
    /// go through.
    /// </summary>
    public static void Answer(bool deliver) => Interlocked.Exchange(ref _hold, null)?.TrySetResult(deliver);

    public static void Reset()
    {
        Answer(deliver: false);
        Volatile.Write(ref _held, 0);
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IWatchInbox) && Volatile.Read(ref _hold) is { } hold)
        {
            Interlocked.Increment(ref _held);
            if (!await hold.Task)
            {
                // Whatever it says, nobody hears it: the caller gave up on this call long ago.
                context.Response = Response.FromResult(new bool[((WatchDelivery[])context.Request.GetArgument(0)!).Length]);
                return;
            }
        }

        await context.Invoke();
    }
}
