using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// What Orleans' ADO.NET reminder table must do on the table and statements Vigil creates,
/// run against each database by a subclass: rows written are read back by grain, by name and
/// by hash range (a plain range and one that wraps around the ring), a delete needs the
/// current ETag, and a grain's reminder ticks. A real silo with the provider configured as
/// <c>AddVigil</c> configures it; no mocks.
/// </summary>
public abstract class ReminderTableContract : AdoNetSiloContract
{
    private IReminderTable Table => Silo.Services.GetRequiredService<IReminderTable>();

    protected override void ConfigureProvider(ISiloBuilder silo, string invariant, string connectionString) => silo
        .Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1))
        .UseAdoNetReminderService(options =>
        {
            options.Invariant = invariant;
            options.ConnectionString = connectionString;
        });

    [Fact]
    public async Task Rows_are_read_back_by_grain_by_name_and_by_hash_range_and_deleted_with_their_etag()
    {
        var grains = Enumerable.Range(0, 40).Select(i => GrainId.Create("test", "g" + i)).ToList();
        var start = new DateTime(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        foreach (var grain in grains)
        {
            Assert.NotNull(await Table.UpsertRow(Entry(grain, "a", start, TimeSpan.FromMinutes(1))));
            Assert.NotNull(await Table.UpsertRow(Entry(grain, "b", start, TimeSpan.FromDays(40))));
        }

        // An upsert replaces the row and gives it a new ETag.
        var first = grains[0];
        var before = await Table.ReadRow(first, "a");
        var etag = await Table.UpsertRow(Entry(first, "a", start.AddHours(1), TimeSpan.FromMinutes(2)));
        Assert.NotEqual(before!.ETag, etag);
        var row = await Table.ReadRow(first, "a");
        Assert.Equal((first, "a", start.AddHours(1), TimeSpan.FromMinutes(2), etag), (row!.GrainId, row.ReminderName, row.StartAt, row.Period, row.ETag));
        Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
        Assert.Equal(["a", "b"], (await Table.ReadRows(first)).Reminders.Select(r => r.ReminderName).Order(StringComparer.Ordinal));
        Assert.Equal(TimeSpan.FromDays(40), (await Table.ReadRow(first, "b"))!.Period);

        // A ring split in two at the hashes' median: each half (one of them wrapping around
        // the top of the ring) holds exactly its grains, and together they hold all.
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        var (low, high) = (hashes[5], hashes[30]);
        var inside = await Table.ReadRows(low, high);
        var outside = await Table.ReadRows(high, low);
        Assert.Equal(
            grains.Where(g => g.GetUniformHashCode() > low && g.GetUniformHashCode() <= high).Count() * 2,
            inside.Reminders.Count);
        Assert.Equal(grains.Count * 2, inside.Reminders.Count + outside.Reminders.Count);
        Assert.All(outside.Reminders, r => Assert.True(r.GrainId.GetUniformHashCode() > high || r.GrainId.GetUniformHashCode() <= low));

        // A delete names the ETag it read; a stale one removes nothing.
        Assert.False(await Table.RemoveRow(first, "a", before.ETag!));
        Assert.True(await Table.RemoveRow(first, "a", etag!));
        Assert.Null(await Table.ReadRow(first, "a"));
        Assert.False(await Table.RemoveRow(first, "a", etag!));
        Assert.Single((await Table.ReadRows(first)).Reminders);
    }

    [Fact]
    public async Task A_grains_reminder_ticks()
    {
        var grain = Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<ITickingGrain>("ticking");
        await grain.StartAsync(TimeSpan.FromSeconds(1));
        Assert.Single((await Table.ReadRows(((IAddressable)grain).GetGrainId())).Reminders);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await grain.TicksAsync() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the reminder did not tick twice in 30 s");
            await Task.Delay(200);
        }
    }

    private static ReminderEntry Entry(GrainId grain, string name, DateTime start, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = start, Period = period };
}
