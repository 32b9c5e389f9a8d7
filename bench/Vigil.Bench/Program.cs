// Load generator for any etcd v3 endpoint, Vigil or etcd itself; see bench/README.md.
//   dotnet run -c Release --project bench/Vigil.Bench -- --endpoints http://127.0.0.1:2379
using Vigil.Bench;
using Vigil.Bench.Scenarios;

BenchOptions? options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine($"vigil-bench: {error.Message}\n\n{BenchOptions.Usage}");
    return 2;
}

if (options is null)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

var clients = Enumerable.Range(0, options.Connections).Select(_ => options.CreateClient()).ToList();
try
{
    var status = await clients[0].StatusAsync();
    var target = options.Label ?? $"{status.Version} at {status.Endpoint}";
    Console.WriteLine($"target: {target}, {Environment.ProcessorCount} cores");
    var rows = new List<ResultRow>();
    async Task Run(string scenario, Func<Task<ResultRow>> run)
    {
        if (!options.Scenarios.Contains(scenario))
        {
            return;
        }

        Console.Error.Write($"running {scenario}... ");
        var row = await run();
        rows.Add(row);
        Console.Error.WriteLine($"{row.Scenario}: {row.Rate:N0} {row.RateUnit}");
    }

    await Run("put", () => PutScenario.RunAsync(options, clients));
    await Run("range", () => RangeScenario.RunAsync(options, clients));
    await Run("watch", () => WatchFanOutScenario.RunAsync(options, oneStream: true));
    await Run("watch", () => WatchFanOutScenario.RunAsync(options, oneStream: false));
    await Run("catchup", () => CatchUpScenario.RunAsync(options, clients));
    await Run("lease-grant", () => LeaseScenario.GrantAsync(options, clients));
    await Run("keepalive", () => LeaseScenario.KeepAliveAsync(options, clients));
    await Run("lease-expiry", () => LeaseScenario.ExpiryAsync(options, clients));

    Console.WriteLine();
    Console.WriteLine(ResultTable.Format(target, rows));
    return 0;
}
catch (VigilException error)
{
    Console.Error.WriteLine($"vigil-bench: {error.GetType().Name}: {error.Message}");
    return 1;
}
finally
{
    foreach (var client in clients)
    {
        await client.DisposeAsync();
    }
}
