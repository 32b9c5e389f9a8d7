namespace Vigil.Client;

/// <summary>
/// Leadership won in an election: the key that holds it (attached to the candidate's lease)
/// and the revision it was created at. Pass it to <see cref="IVigilClient.ProclaimAsync"/> and
/// <see cref="IVigilClient.ResignAsync"/>; both act only while this key is still the one created then.
/// </summary>
/// <param name="Name">The election.</param>
/// <param name="Key">The leader's key (<c>name/lease-in-hex</c>).</param>
/// <param name="Revision">The revision that created the key.</param>
/// <param name="Lease">The lease the key is attached to.</param>
public sealed record ElectionLeader(string Name, string Key, long Revision, long Lease);
