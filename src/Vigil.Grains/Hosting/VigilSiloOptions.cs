using Vigil.Core.Compaction;
using Vigil.Core.Feed;
using Vigil.Core.Mvcc;
using Vigil.Core.Sequencing;
using Vigil.Grains.Feed;
using WatchOptions = Vigil.Core.Watch.WatchOptions;

namespace Vigil.Grains.Hosting;

/// <summary>What a silo hosting Vigil's grains needs to know; set with <c>AddVigil(o => ...)</c>.</summary>
public sealed class VigilSiloOptions
{
    /// <summary>
    /// The history store: a PostgreSQL connection string (every silo of a cluster the same),
    /// or empty for the embedded SQLite file in <see cref="DataDir"/> (a single silo).
    /// Default empty.
    /// </summary>
    public string? Store { get; set; }

    /// <summary>Directory of the embedded SQLite store (<c>vigil.db</c>). Default <c>data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The embedded SQLite store's file, <c>vigil.db</c> in <see cref="DataDir"/>.</summary>
    internal string SqlitePath => Path.GetFullPath(Path.Combine(DataDir, "vigil.db"));

    /// <summary>How the key space is cut into key-range grains. Default: one range.</summary>
    public KeyRangeSplits KeyRangeSplits { get; set; } = KeyRangeSplits.None;

    /// <summary>The silo's name (etcd's --name), for member lists and logs. Default <c>default</c>.</summary>
    public string Name { get; set; } = "default";

    /// <summary>The client URLs this silo serves etcd clients on, as member lists report them.</summary>
    public IList<Uri> ClientUrls { get; set; } = [];

    /// <summary>
    /// How often a silo re-registers as a member and makes sure the cluster-wide duties
    /// (automatic compaction) run somewhere. Default 2 s.
    /// </summary>
    public TimeSpan DutyInterval { get; set; } = TimeSpan.FromSeconds(2);

    public KeySpaceOptions KeySpace { get; set; } = new();

    public SequencerOptions Sequencer { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public FeedOptions Feed { get; set; } = new();

    public AutoCompactionOptions AutoCompaction { get; set; } = new();
}
