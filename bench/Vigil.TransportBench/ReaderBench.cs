using System.Diagnostics;
using System.IO.Pipelines;
using Vigil.Silo.Grpc.Http2;

namespace Vigil.TransportBench;

/// <summary>
/// The middleware's own work, without sockets or Kestrel: request frames written into a pipe
/// and read back by a loop like Kestrel's, directly or through <see cref="Http2AuthorityReader"/>.
/// The difference is what the reader adds per request. Header blocks are ones real clients sent
/// to Vigil, captured on the wire.
/// </summary>
internal static class ReaderBench
{
    private static readonly (string Name, string Hex)[] Blocks =
    [
        // Vigil.Client (Grpc.Net.Client): a Range call, raw literals, no indexing.
        (".NET client, host:port", "8386010f3132372e302e302e313a323337393104162f6574636473657276657270622e4b562f52616e67650002746508747261696c6572730f2b10766967696c2d646f746e65742f312e30000c677270632d74696d656f7574093630303030303030750f10106170706c69636174696f6e2f67727063"),
        // etcdctl 3.4 get, to a server with a table size of 0: size update, Huffman literals.
        ("etcdctl, host:port", "208386059060a924882d9dcb6571af9b8b1b4754c5018b089d5c0b8170dc132ebe1f0f108b1d75d0620d263d4c4d65640f2b8b9acac8b4c7602bb2caecff00027465864d833505b11f00899acac8b24d494f6a7f8669f6df7dc7ad008d25062d495875996ee5b1063d5f03332e34"),
        // etcdctl 3.4 endpoint status with --endpoints=http://...: the block that gets rewritten.
        ("etcdctl, URL", "208386059760a924882d9dcb6571afa066a925a87510ac6e48d36a3f01909d29aee30c044eae05c0b86e09975f0f0f108b1d75d0620d263d4c4d65640f2b8b9acac8b4c7602bb2caecff00027465864d833505b11f00899acac8b24d494f6a7f8669f79f79a7ad008d25062d495875996ee5b1063d5f03332e34"),
    ];

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var rounds = arguments.GetInt("rounds", 20);
        Console.WriteLine($"ns per request added by Http2AuthorityReader (median of {rounds} rounds after 10 of warm-up)");
        Console.WriteLine();
        Console.WriteLine("| requests per read | header block | pipe alone ns | through the reader ns | added ns |");
        Console.WriteLine("|---:|---|---:|---:|---:|");
        foreach (var perRead in new[] { 1, 16 })
        {
            foreach (var (name, hex) in Blocks)
            {
                var block = Convert.FromHexString(hex);
                var batch = Enumerable.Range(0, perRead).SelectMany(i => Frame(0x1, 0x4, (2 * i) + 1, block).Concat(Frame(0x0, 0x1, (2 * i) + 1, [0, 0, 0, 0, 2, 10, 0]))).ToArray();
                var alone = new List<double>();
                var through = new List<double>();
                for (var round = 0; round < rounds + 10; round++)
                {
                    var a = await MeasureAsync(batch, perRead, throughReader: false);
                    var b = await MeasureAsync(batch, perRead, throughReader: true);
                    if (round >= 10)
                    {
                        alone.Add(a);
                        through.Add(b);
                    }
                }

                var (m1, m2) = (Median(alone), Median(through));
                Console.WriteLine(FormattableString.Invariant($"| {perRead} | {name} | {m1:F0} | {m2:F0} | {m2 - m1:F0} |"));
            }
        }

        return 0;
    }

    private static async Task<double> MeasureAsync(byte[] batch, int perRead, bool throughReader)
    {
        var iterations = 40_000 / perRead;
        // Inline, so that no thread hop is counted: Kestrel's transport has one either way.
        var input = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var reader = throughReader ? new Http2AuthorityReader(input.Reader, 80 * 1024) : input.Reader;
        await input.Writer.WriteAsync(Preface);
        await DrainAsync(reader, Preface.Length);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            // A fresh copy each time: a rewrite changes the bytes in the pipe, not the source.
            await input.Writer.WriteAsync(batch);
            await DrainAsync(reader, batch.Length);
        }

        clock.Stop();
        await reader.CompleteAsync();
        return clock.Elapsed.TotalNanoseconds / (iterations * perRead);
    }

    private static async Task DrainAsync(PipeReader reader, long bytes)
    {
        while (bytes > 0)
        {
            var result = await reader.ReadAsync();
            bytes -= result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
        }
    }

    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload) =>
        [(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags,
         (byte)(streamId >> 24), (byte)(streamId >> 16), (byte)(streamId >> 8), (byte)streamId, .. payload];

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
