namespace Vigil.Core.Compaction;

/// <summary>etcd's automatic compaction modes (--auto-compaction-mode).</summary>
public enum AutoCompactionMode
{
    /// <summary>Keep history for a time span (--auto-compaction-retention 1h, 30m, or hours as a number).</summary>
    Periodic,

    /// <summary>Keep the last N revisions (--auto-compaction-retention 1000).</summary>
    Revision,
}

/// <summary>Automatic compaction, with etcd's meaning; disabled unless a retention is set.</summary>
public sealed class AutoCompactionOptions
{
    public AutoCompactionMode Mode { get; set; } = AutoCompactionMode.Periodic;

    /// <summary>Periodic mode: how long history is kept. Zero disables automatic compaction.</summary>
    public TimeSpan Period { get; set; }

    /// <summary>Revision mode: how many revisions are kept. Zero disables automatic compaction.</summary>
    public long Revisions { get; set; }

    /// <summary>Revision mode: how often the revision is checked. etcd checks every 5 minutes.</summary>
    public TimeSpan RevisionCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => Mode == AutoCompactionMode.Periodic ? Period > TimeSpan.Zero : Revisions > 0;
}
