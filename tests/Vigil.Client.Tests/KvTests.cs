using System.Text;
using Grpc.Core;
using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

public sealed class KvTests(VigilServerFixture fixture) : IClassFixture<VigilServerFixture>
{
    private readonly VigilClient _client = fixture.Client;
    private readonly string _p = VigilServerFixture.UniquePrefix();

    [Fact]
    public async Task Put_then_get_returns_the_value_and_its_revisions()
    {
        var put = await _client.PutAsync(_p + "a", "one");
        var get = await _client.GetAsync(_p + "a");

        var kv = Assert.Single(get.KeyValues);
        Assert.Same(kv, get.First);
        Assert.Equal(_p + "a", kv.KeyString);
        Assert.Equal("one", kv.ValueString);
        Assert.Equal(put.Revision, kv.CreateRevision);
        Assert.Equal(put.Revision, kv.ModRevision);
        Assert.Equal(1, kv.Version);
        Assert.Equal(0, kv.Lease);
        Assert.Equal(1, get.Count);
        Assert.False(get.HasMore);
        Assert.True(get.Revision >= put.Revision);
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_empty_and_carries_the_current_revision()
    {
        var put = await _client.PutAsync(_p + "other", "x");
        var get = await _client.GetAsync(_p + "missing");

        Assert.Empty(get.KeyValues);
        Assert.Null(get.First);
        Assert.Equal(0, get.Count);
        Assert.True(get.Revision >= put.Revision);
    }

    [Fact]
    public async Task Byte_keys_and_values_round_trip_unchanged()
    {
        var key = Encoding.UTF8.GetBytes(_p + "bin");
        byte[] value = [0, 1, 2, 0xFF, 0xFE];

        await _client.PutAsync(key, value);
        var kv = (await _client.GetAsync(key)).First!;

        Assert.Equal(key, kv.Key.ToArray());
        Assert.Equal(value, kv.Value.ToArray());
    }

    [Fact]
    public async Task Put_with_prev_kv_returns_the_previous_version()
    {
        var first = await _client.PutAsync(_p + "k", "v1");
        var second = await _client.PutAsync(_p + "k", "v2", new PutOptions { PrevKv = true });
        var fresh = await _client.PutAsync(_p + "new", "v", new PutOptions { PrevKv = true });

        Assert.Equal("v1", second.PreviousKeyValue!.ValueString);
        Assert.Equal(first.Revision, second.PreviousKeyValue.ModRevision);
        Assert.True(second.Revision > first.Revision);
        Assert.Null(fresh.PreviousKeyValue);
        Assert.Equal(2, (await _client.GetAsync(_p + "k")).First!.Version);
    }

    [Fact]
    public async Task Put_with_ignore_value_keeps_the_value_and_bumps_the_version()
    {
        await _client.PutAsync(_p + "k", "kept");
        var put = await _client.PutAsync(_p + "k", string.Empty, new PutOptions { IgnoreValue = true });
        var kv = (await _client.GetAsync(_p + "k")).First!;

        Assert.Equal("kept", kv.ValueString);
        Assert.Equal(put.Revision, kv.ModRevision);
        Assert.Equal(2, kv.Version);
    }

    [Fact]
    public async Task Put_with_ignore_value_on_a_missing_key_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(
            () => _client.PutAsync(_p + "missing", string.Empty, new PutOptions { IgnoreValue = true }));

        Assert.Equal("etcdserver: key not found", error.Message);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Put_with_ignore_value_and_a_value_is_an_invalid_request()
    {
        await _client.PutAsync(_p + "k", "v");
        var error = await Assert.ThrowsAsync<InvalidRequestException>(
            () => _client.PutAsync(_p + "k", "not allowed", new PutOptions { IgnoreValue = true }));

        Assert.Equal("etcdserver: value is provided", error.Message);
    }

    [Fact]
    public async Task Put_with_ignore_lease_and_a_lease_is_an_invalid_request()
    {
        await _client.PutAsync(_p + "k", "v");
        var error = await Assert.ThrowsAsync<InvalidRequestException>(
            () => _client.PutAsync(_p + "k", "v", new PutOptions { IgnoreLease = true, Lease = 7 }));

        Assert.Equal("etcdserver: lease is provided", error.Message);
    }

    [Fact]
    public async Task Put_with_an_unknown_lease_throws_lease_not_found()
    {
        var error = await Assert.ThrowsAsync<LeaseNotFoundException>(
            () => _client.PutAsync(_p + "k", "v", new PutOptions { Lease = 12345 }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("etcdserver: requested lease not found", error.Message);
    }

    [Fact]
    public async Task An_empty_key_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _client.PutAsync(string.Empty, "v"));

        Assert.Equal("etcdserver: key is not provided", error.Message);
    }

    [Fact]
    public async Task A_value_above_max_request_bytes_throws_request_too_large()
    {
        var error = await Assert.ThrowsAsync<RequestTooLargeException>(
            () => _client.PutAsync(Encoding.UTF8.GetBytes(_p + "big"), new byte[1_600_000]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("etcdserver: request is too large", error.Message);
    }

    [Fact]
    public async Task A_message_above_the_grpc_limit_throws_request_too_large()
    {
        var error = await Assert.ThrowsAsync<RequestTooLargeException>(
            () => _client.PutAsync(Encoding.UTF8.GetBytes(_p + "huge"), new byte[2_200_000]));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Get_prefix_returns_only_keys_under_the_prefix_in_key_order()
    {
        await _client.PutAsync(_p + "b", "2");
        await _client.PutAsync(_p + "a", "1");
        await _client.PutAsync(_p + "c/x", "3");
        await _client.PutAsync(_p[..^1] + "0", "outside");

        var result = await _client.GetPrefixAsync(_p);

        Assert.Equal([_p + "a", _p + "b", _p + "c/x"], result.KeyValues.Select(kv => kv.KeyString));
        Assert.Equal(3, result.Count);
    }

    [Fact]
    public async Task Get_range_is_half_open()
    {
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await _client.PutAsync(_p + name, name);
        }

        var result = await _client.GetRangeAsync(_p + "b", _p + "d");

        Assert.Equal(["b", "c"], result.KeyValues.Select(kv => kv.ValueString));
    }

    [Fact]
    public async Task Limit_sort_keys_only_and_count_only_shape_the_result()
    {
        await _client.PutAsync(_p + "a", "3");
        await _client.PutAsync(_p + "b", "1");
        await _client.PutAsync(_p + "c", "2");

        var limited = await _client.GetPrefixAsync(_p, new GetOptions { Limit = 2 });
        var byValueDescending = await _client.GetPrefixAsync(_p, new GetOptions { SortOrder = SortOrder.Descend, SortTarget = SortTarget.Value });
        var byModDescending = await _client.GetPrefixAsync(_p, new GetOptions { SortOrder = SortOrder.Descend, SortTarget = SortTarget.ModRevision });
        var keysOnly = await _client.GetPrefixAsync(_p, new GetOptions { KeysOnly = true });
        var countOnly = await _client.GetPrefixAsync(_p, new GetOptions { CountOnly = true });

        Assert.Equal(["a", "b"], limited.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.True(limited.HasMore);
        Assert.Equal(3, limited.Count);
        Assert.Equal(["3", "2", "1"], byValueDescending.KeyValues.Select(kv => kv.ValueString));
        Assert.Equal(["c", "b", "a"], byModDescending.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.All(keysOnly.KeyValues, kv => Assert.True(kv.Value.IsEmpty));
        Assert.Equal(3, keysOnly.KeyValues.Count);
        Assert.Empty(countOnly.KeyValues);
        Assert.Equal(3, countOnly.Count);
    }

    [Fact]
    public async Task Min_and_max_revision_filters_drop_keys_but_not_the_count()
    {
        var a = await _client.PutAsync(_p + "a", "1");
        var b = await _client.PutAsync(_p + "b", "1");
        await _client.PutAsync(_p + "c", "1");
        await _client.PutAsync(_p + "a", "2");

        var modAtLeastB = await _client.GetPrefixAsync(_p, new GetOptions { MinModRevision = b.Revision });
        var modAtMostB = await _client.GetPrefixAsync(_p, new GetOptions { MaxModRevision = b.Revision });
        var createdAfterA = await _client.GetPrefixAsync(_p, new GetOptions { MinCreateRevision = a.Revision + 1 });
        var createdUpToB = await _client.GetPrefixAsync(_p, new GetOptions { MaxCreateRevision = b.Revision });

        Assert.Equal(["a", "b", "c"], modAtLeastB.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.Equal(["b"], modAtMostB.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.Equal(["b", "c"], createdAfterA.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.Equal(["a", "b"], createdUpToB.KeyValues.Select(kv => kv.KeyString[^1..]));
        Assert.Equal(3, modAtMostB.Count);
    }

    [Fact]
    public async Task Get_at_an_old_revision_reads_the_past()
    {
        var first = await _client.PutAsync(_p + "k", "old");
        await _client.PutAsync(_p + "k", "new");

        var past = await _client.GetAsync(_p + "k", new GetOptions { Revision = first.Revision });

        Assert.Equal("old", past.First!.ValueString);
        Assert.True(past.Revision > first.Revision);
    }

    [Fact]
    public async Task Get_at_a_future_revision_throws_future_revision()
    {
        var now = await _client.GetAsync(_p + "k");

        var error = await Assert.ThrowsAsync<FutureRevisionException>(
            () => _client.GetAsync(_p + "k", new GetOptions { Revision = now.Revision + 1000 }));

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision is a future revision", error.Message);
    }

    [Fact]
    public async Task Delete_removes_one_key_and_returns_it_with_prev_kv()
    {
        await _client.PutAsync(_p + "a", "1");
        await _client.PutAsync(_p + "ab", "2");

        var deleted = await _client.DeleteAsync(_p + "a", new DeleteOptions { PrevKv = true });
        var again = await _client.DeleteAsync(_p + "a");

        Assert.Equal(1, deleted.Deleted);
        Assert.Equal("1", Assert.Single(deleted.PreviousKeyValues).ValueString);
        Assert.Equal(0, again.Deleted);
        Assert.Equal(deleted.Revision, again.Revision);
        Assert.Equal(["ab"], (await _client.GetPrefixAsync(_p)).KeyValues.Select(kv => kv.KeyString[_p.Length..]));
    }

    [Fact]
    public async Task Delete_range_and_delete_prefix_remove_keys_in_one_revision()
    {
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await _client.PutAsync(_p + "r/" + name, name);
            await _client.PutAsync(_p + "s/" + name, name);
        }

        var range = await _client.DeleteRangeAsync(_p + "r/b", _p + "r/d", new DeleteOptions { PrevKv = true });
        var prefix = await _client.DeletePrefixAsync(_p + "s/");

        Assert.Equal(2, range.Deleted);
        Assert.Equal(["b", "c"], range.PreviousKeyValues.Select(kv => kv.ValueString));
        Assert.Equal(4, prefix.Deleted);
        Assert.Empty(prefix.PreviousKeyValues);
        Assert.Equal(range.Revision + 1, prefix.Revision);
        Assert.Equal(["a", "d"], (await _client.GetPrefixAsync(_p)).KeyValues.Select(kv => kv.ValueString));
    }

    [Fact]
    public async Task Status_and_member_list_describe_the_server()
    {
        var put = await _client.PutAsync(_p + "k", "v");
        var status = await _client.StatusAsync();
        var members = await _client.MemberListAsync();

        Assert.False(string.IsNullOrEmpty(status.Version));
        Assert.True(status.Revision >= put.Revision);
        Assert.True(status.IsLeader);
        Assert.Equal(new Uri(fixture.Url), status.Endpoint);
        var member = Assert.Single(members);
        Assert.Equal(status.MemberId, member.Id);
        Assert.Contains(fixture.Url, member.ClientUrls);
    }

    [Fact]
    public async Task Calls_after_dispose_throw_object_disposed()
    {
        var client = new VigilClient(fixture.Url);
        await client.PutAsync(_p + "k", "v");
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAsync(_p + "k"));
    }
}
