namespace Vigil.TransportBench;

/// <summary>Command-line flags: <c>--name value</c> pairs, a flag may repeat.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, List<string>> _values = [];

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new BenchArguments();
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"expected --flag value, not '{args[i]}'");
            }

            var name = args[i][2..];
            if (!parsed._values.TryGetValue(name, out var list))
            {
                parsed._values[name] = list = [];
            }

            list.Add(args[i + 1]);
        }

        return parsed;
    }

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public string Get(string name, string fallback) => _values.TryGetValue(name, out var list) ? list[^1] : fallback;

    public int GetInt(string name, int fallback) =>
        int.TryParse(Get(name, fallback.ToString(System.Globalization.CultureInfo.InvariantCulture)), out var value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} takes a positive number");
}
