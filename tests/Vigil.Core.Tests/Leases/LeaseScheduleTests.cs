using Vigil.Core.Leases;

namespace Vigil.Core.Tests.Leases;

public sealed class LeaseScheduleTests
{
    private readonly LeaseSchedule _schedule = new();

    private List<long> Due(long now, int max = 1000)
    {
        var due = new List<long>();
        _schedule.TakeDue(now, max, due);
        return due;
    }

    [Fact]
    public void LeasesComeDueInDeadlineOrderOnceEach()
    {
        _schedule.Add(1, 5, now: 0);
        _schedule.Add(2, 2, now: 0);
        _schedule.Add(3, 2, now: 500);

        Assert.Empty(Due(1999));
        Assert.Equal([2L], Due(2000));
        Assert.Equal([3L, 1L], Due(10_000));
        Assert.Empty(Due(20_000));
        Assert.Equal(3, _schedule.Count);
    }

    [Fact]
    public void RenewalsMoveTheDeadlineAndAnswerTheGrantedTtl()
    {
        _schedule.Add(1, 3, now: 0);
        Assert.Equal(3, _schedule.Renew(1, now: 2000));
        Assert.Equal(3, _schedule.Renew(1, now: 2500));
        Assert.Empty(Due(3000));
        Assert.True(_schedule.TryGet(1, 3000, out var granted, out var remaining));
        Assert.Equal((3L, 2L), (granted, remaining));
        Assert.Empty(Due(5499));
        Assert.Equal([1L], Due(5500));

        // Expiring: no renewal, nothing left, still listed until its revoke is done.
        Assert.Equal(0, _schedule.Renew(1, 5500));
        Assert.True(_schedule.TryGet(1, 5500, out _, out remaining));
        Assert.Equal(0, remaining);
        Assert.Contains(1L, _schedule.Ids);
        _schedule.Remove(1);
        Assert.False(_schedule.TryGet(1, 5500, out _, out _));
        Assert.Equal(0, _schedule.Renew(7, 0));
    }

    [Fact]
    public void AFailedExpiryComesBackAndARemovedLeaseNever()
    {
        _schedule.Add(1, 2, now: 0);
        _schedule.Add(2, 2, now: 0);
        Assert.Equal([1L, 2L], Due(2000).Order());
        _schedule.Retry(1, at: 3000);
        _schedule.Remove(2);
        Assert.Empty(Due(2999));
        Assert.Equal([1L], Due(3000));

        // Granted again under the same ID: only the new lease's deadline counts.
        _schedule.Remove(1);
        _schedule.Add(1, 10, now: 3000);
        Assert.Empty(Due(12_999));
        Assert.Equal([1L], Due(13_000));
    }

    [Fact]
    public void DueLeasesComeInBoundedBatches()
    {
        for (var id = 1; id <= 2500; id++)
        {
            _schedule.Add(id, 2, now: id);
        }

        var first = Due(10_000);
        var second = Due(10_000);
        var third = Due(10_000);
        Assert.Equal((1000, 1000, 500), (first.Count, second.Count, third.Count));
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => (long)i), first.Concat(second).Concat(third));
    }
}
