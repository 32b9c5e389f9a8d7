namespace Vigil.Grains.Hosting;

/// <summary>
/// Names the store a silo uses ("sqlite:/path" or "postgres:host:port/db"): every silo of one
/// store has the same etcd cluster ID, derived from it.
/// </summary>
public sealed record StoreIdentity(string Value);
