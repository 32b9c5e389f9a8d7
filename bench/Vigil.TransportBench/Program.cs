// Server CPU per unary gRPC-shaped call through Kestrel, with and without Vigil's HTTP/2
// connection middleware; see bench/README.md.
//   dotnet Vigil.TransportBench.dll server --rewriter on|off [--port N] [--header-table-size N]
//   dotnet Vigil.TransportBench.dll client --target name=http://127.0.0.1:N ... [--calls N] [--concurrency N] [--rounds N]
//   dotnet Vigil.TransportBench.dll reader [--rounds N]
using Vigil.TransportBench;

const string Usage = """
    usage:
      server --rewriter on|off [--port N] [--header-table-size N]
                                               serve h2c on 127.0.0.1 (port 0: any); prints the address
      client --target NAME=URL [--target ...] [--calls 20000] [--concurrency 16] [--rounds 5]
                                               rounds alternate between the targets; prints a table
      reader [--rounds 20]                     the middleware's reader alone, in process, no sockets
    """;

try
{
    return args switch
    {
        ["server", .. var rest] => await BenchServer.RunAsync(BenchArguments.Parse(rest)),
        ["client", .. var rest] => await BenchClient.RunAsync(BenchArguments.Parse(rest)),
        ["reader", .. var rest] => await ReaderBench.RunAsync(BenchArguments.Parse(rest)),
        _ => Fail(),
    };
}
catch (ArgumentException error)
{
    Console.Error.WriteLine($"vigil-transport-bench: {error.Message}");
    return Fail();
}

static int Fail()
{
    Console.Error.WriteLine(Usage);
    return 2;
}
