using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Sequencing;

/// <summary>
/// Revisions one group commit made durable, with their events in revision order. Every
/// revision in [FromRevision, ToRevision] has at least one event.
/// </summary>
public sealed record CommittedBatch(long FromRevision, long ToRevision, IReadOnlyList<Event> Events);
