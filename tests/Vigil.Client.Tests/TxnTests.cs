using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

public sealed class TxnTests(VigilServerFixture fixture) : IClassFixture<VigilServerFixture>
{
    private readonly VigilClient _client = fixture.Client;
    private readonly string _p = VigilServerFixture.UniquePrefix();

    [Fact]
    public async Task Then_branch_runs_when_every_compare_holds()
    {
        await _client.PutAsync(_p + "leader", "me");

        var result = await _client.TxnAsync(new Txn()
            .If(Compare.Value(_p + "leader") == "me", Compare.Version(_p + "config") == 0)
            .Then(TxnOp.Put(_p + "config", "v1"), TxnOp.Get(_p + "config"))
            .Else(TxnOp.Get(_p + "leader")));

        Assert.True(result.Succeeded);
        Assert.Equal(2, result.Results.Count);
        Assert.Equal(result.Revision, result.Results[0].Put!.Revision);
        Assert.Equal("v1", result.Results[1].Get!.First!.ValueString);
        Assert.Equal("v1", (await _client.GetAsync(_p + "config")).First!.ValueString);
    }

    [Fact]
    public async Task Else_branch_runs_when_a_compare_fails_and_changes_nothing_when_it_only_reads()
    {
        await _client.PutAsync(_p + "leader", "someone else");
        var before = await _client.GetAsync(_p + "leader");

        var result = await _client.TxnAsync(new Txn()
            .If(Compare.Value(_p + "leader").Equal("me"))
            .Then(TxnOp.Put(_p + "config", "v1"))
            .Else(TxnOp.Get(_p + "leader")));

        Assert.False(result.Succeeded);
        Assert.Equal("someone else", Assert.Single(result.Results).Get!.First!.ValueString);
        Assert.Equal(before.Revision, result.Revision);
        Assert.Null((await _client.GetAsync(_p + "config")).First);
    }

    [Fact]
    public async Task Numeric_compares_use_version_create_and_mod_revisions()
    {
        var created = await _client.PutAsync(_p + "k", "1");
        var modified = await _client.PutAsync(_p + "k", "2");

        async Task<bool> Holds(Compare compare) => (await _client.TxnAsync(new Txn().If(compare))).Succeeded;

        Assert.True(await Holds(Compare.Version(_p + "k") == 2));
        Assert.True(await Holds(Compare.Version(_p + "k") > 1));
        Assert.True(await Holds(Compare.Version(_p + "k").Less(3)));
        Assert.True(await Holds(Compare.CreateRevision(_p + "k") == created.Revision));
        Assert.True(await Holds(Compare.ModRevision(_p + "k") == modified.Revision));
        Assert.True(await Holds(Compare.ModRevision(_p + "k") != created.Revision));
        Assert.True(await Holds(Compare.Lease(_p + "k") == 0));
        Assert.True(await Holds(Compare.Version(_p + "absent") == 0));
        Assert.False(await Holds(Compare.Version(_p + "k").Greater(2)));
    }

    [Fact]
    public async Task Value_compares_are_bytewise_and_false_for_a_missing_key()
    {
        await _client.PutAsync(_p + "k", "m");

        async Task<bool> Holds(Compare compare) => (await _client.TxnAsync(new Txn().If(compare))).Succeeded;

        Assert.True(await Holds(Compare.Value(_p + "k") > "a"));
        Assert.True(await Holds(Compare.Value(_p + "k") < "z"));
        Assert.True(await Holds(Compare.Value(_p + "k") != "n"));
        Assert.True(await Holds(Compare.Value(_p + "k") == "m"u8.ToArray()));
        Assert.False(await Holds(Compare.Value(_p + "absent") != "anything"));
    }

    [Fact]
    public async Task A_txn_writes_all_its_keys_in_one_revision()
    {
        var result = await _client.TxnAsync(new Txn().Then(
            TxnOp.Put(_p + "a", "1"),
            TxnOp.Put(_p + "b", "2"),
            TxnOp.Delete(_p + "missing")));

        var all = await _client.GetPrefixAsync(_p);
        Assert.All(all.KeyValues, kv => Assert.Equal(result.Revision, kv.ModRevision));
        Assert.Equal(2, all.KeyValues.Count);
    }

    [Fact]
    public async Task Deletes_and_prefix_ops_inside_a_txn_report_their_results()
    {
        await _client.PutAsync(_p + "x/1", "1");
        await _client.PutAsync(_p + "x/2", "2");
        await _client.PutAsync(_p + "y", "y");

        var result = await _client.TxnAsync(new Txn().Then(
            TxnOp.GetPrefix(_p + "x/", new GetOptions { CountOnly = true }),
            TxnOp.DeletePrefix(_p + "x/", new DeleteOptions { PrevKv = true }),
            TxnOp.GetRange(_p, _p + "z")));

        Assert.Equal(2, result.Results[0].Get!.Count);
        Assert.Equal(2, result.Results[1].Delete!.Deleted);
        Assert.Equal(["1", "2"], result.Results[1].Delete!.PreviousKeyValues.Select(kv => kv.ValueString));
        Assert.Equal(["y"], result.Results[2].Get!.KeyValues.Select(kv => kv.ValueString));
    }

    [Fact]
    public async Task A_nested_txn_runs_inside_the_outer_one()
    {
        await _client.PutAsync(_p + "flag", "on");

        var result = await _client.TxnAsync(new Txn().Then(
            TxnOp.Nested(new Txn()
                .If(Compare.Value(_p + "flag") == "on")
                .Then(TxnOp.Put(_p + "inner", "ran")))));

        var inner = result.Results[0].Txn!;
        Assert.True(inner.Succeeded);
        Assert.NotNull(inner.Results[0].Put);
        Assert.Equal("ran", (await _client.GetAsync(_p + "inner")).First!.ValueString);
    }

    [Fact]
    public async Task A_key_written_twice_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _client.TxnAsync(new Txn().Then(
            TxnOp.Put(_p + "k", "1"),
            TxnOp.Put(_p + "k", "2"))));

        Assert.Equal("etcdserver: duplicate key given in txn request", error.Message);
    }

    [Fact]
    public async Task More_than_128_operations_is_an_invalid_request()
    {
        var ops = Enumerable.Range(0, 129).Select(i => TxnOp.Get(_p + i)).ToArray();

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _client.TxnAsync(new Txn().Then(ops)));

        Assert.Equal("etcdserver: too many operations in txn request", error.Message);
    }

    [Fact]
    public async Task A_txn_reading_a_future_revision_throws_future_revision()
    {
        var now = await _client.GetAsync(_p + "k");

        await Assert.ThrowsAsync<FutureRevisionException>(() => _client.TxnAsync(new Txn().Then(
            TxnOp.Get(_p + "k", new GetOptions { Revision = now.Revision + 1000 }))));
    }
}
