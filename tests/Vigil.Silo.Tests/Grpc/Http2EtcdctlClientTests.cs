using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Vigil.Silo.Grpc.Http2;
using Vigil.Testing;
using static Vigil.Silo.Tests.Grpc.Http2Wire;

namespace Vigil.Silo.Tests.Grpc;

/// <summary>
/// What the :authority rewriter relies on, checked with the real etcdctl 3.4 (grpc-go) against
/// a bare HTTP/2 endpoint that holds its SETTINGS back for a second: etcdctl sends no request
/// before it has the server's SETTINGS, and no block refers to the dynamic table. Told that
/// the table size is 0, it opens its blocks with a size update to 0 and adds nothing to the
/// table; only a connection's first block may still be encoded with the default table,
/// because grpc-go applies the peer's SETTINGS on its writer goroutine while the call that
/// waited for them already queues its HEADERS (seen once, in a full run of the suite). That
/// block may add entries, which the next block's size update drops before anything refers
/// to them, so the stateless rewriter needs no table either way.
/// </summary>
public sealed class Http2EtcdctlClientTests
{
    private static readonly TimeSpan SettingsDelay = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Etcdctl_WaitsForTheServersSettings_ThenKeepsNoDynamicTable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = "http://" + listener.LocalEndpoint;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var blocks = new ConcurrentQueue<(byte[] Block, bool BeforeSettings, bool First)>();
        var connections = new List<Task>();
        var etcdctl = new Etcdctl(endpoint, TimeSpan.FromSeconds(20)).RunAsync(["endpoint", "status"], null, stop.Token);

        // endpoint status opens two connections: the client's, and one for the Status call
        // to the endpoint as given, whose :authority is the URL. Serve both until that call comes.
        var accept = listener.AcceptTcpClientAsync(stop.Token).AsTask();
        while (!blocks.Any(b => HpackAuthority.Rewrite(b.Block) is not null) && !stop.IsCancellationRequested)
        {
            if (await Task.WhenAny(accept, Task.Delay(100, CancellationToken.None)) == accept && accept.IsCompletedSuccessfully)
            {
                connections.Add(ServeAsync(await accept, blocks, stop.Token));
                accept = listener.AcceptTcpClientAsync(stop.Token).AsTask();
            }
        }

        Assert.False(stop.IsCancellationRequested, "etcdctl sent no Status call with the endpoint URL as :authority");
        await stop.CancelAsync();
        await Task.WhenAll(connections.Append(etcdctl).Append(accept).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.NotEmpty(blocks);
        Assert.All(blocks, b => Assert.False(b.BeforeSettings, "a HEADERS frame came before the server's SETTINGS"));
        Assert.All(blocks, b => AssertNoDynamicTableUse(b.Block, b.First));
    }

    /// <summary>Reads one connection's frames, sends SETTINGS (table size 0) after a delay, and collects its header blocks.</summary>
    private static async Task ServeAsync(TcpClient tcp, ConcurrentQueue<(byte[], bool, bool)> blocks, CancellationToken cancellationToken)
    {
        using var _ = tcp;
        var stream = tcp.GetStream();
        var settingsSent = new TaskCompletionSource();
        var sending = Task.Run(
            async () =>
            {
                await Task.Delay(SettingsDelay, cancellationToken);
                settingsSent.SetResult();
                // SETTINGS_HEADER_TABLE_SIZE = 0, then the ACK (flag 0x1) of the client's SETTINGS.
                await stream.WriteAsync(Concat(Frame(Http2FrameType.Settings, 0, 0, [0, 1, 0, 0, 0, 0]), Frame(Http2FrameType.Settings, (Http2FrameFlags)0x1, 0, [])), cancellationToken);
            },
            cancellationToken);
        try
        {
            var preface = new byte[Preface.Length];
            await stream.ReadExactlyAsync(preface, cancellationToken);
            Assert.Equal(Preface, preface);
            var header = new byte[Http2FrameHeader.Length];
            var first = true;
            while (true)
            {
                await stream.ReadExactlyAsync(header, cancellationToken);
                var frame = Http2FrameHeader.Read(header);
                var payload = new byte[frame.PayloadLength];
                await stream.ReadExactlyAsync(payload, cancellationToken);
                if (frame.Type == Http2FrameType.Headers)
                {
                    // etcdctl's blocks are small: one frame, no padding or priority.
                    Assert.True(frame.Has(Http2FrameFlags.EndHeaders));
                    Assert.False(frame.Has(Http2FrameFlags.Padded | Http2FrameFlags.Priority));
                    blocks.Enqueue((payload, !settingsSent.Task.IsCompleted, first));
                    first = false;
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or EndOfStreamException)
        {
            // The test is over, or etcdctl gave up on this connection.
        }

        await sending.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static void AssertNoDynamicTableUse(byte[] block, bool firstOnConnection)
    {
        const int StaticEntries = 61;
        var position = 0;
        var fieldSeen = false;
        if (!firstOnConnection)
        {
            Assert.Equal(0x20, block[0]); // a size update to 0 comes first
        }

        while (position < block.Length)
        {
            var first = block[position];
            Assert.True(firstOnConnection || (first & 0xc0) != 0x40, "a literal with incremental indexing after the connection's first block");
            var prefix = (first & 0x80) != 0 ? 7 : (first & 0xc0) == 0x40 ? 6 : (first & 0xe0) == 0x20 ? 5 : 4;
            Assert.True(HpackInteger.TryDecode(block, ref position, prefix, out var index));
            if (prefix == 5)
            {
                Assert.False(fieldSeen);
                Assert.Equal(0, index);
                continue;
            }

            fieldSeen = true;
            Assert.InRange(index, prefix == 7 ? 1 : 0, StaticEntries);
            if (prefix is 4 or 6)
            {
                for (var strings = index == 0 ? 2 : 1; strings > 0; strings--)
                {
                    Assert.True(HpackInteger.TryDecode(block, ref position, 7, out var length));
                    position += length;
                }
            }
        }

        Assert.Equal(block.Length, position);
    }
}
