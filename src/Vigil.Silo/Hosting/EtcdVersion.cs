namespace Vigil.Silo.Hosting;

/// <summary>The etcd version Vigil reports to clients (Status, /version).</summary>
internal static class EtcdVersion
{
    /// <summary>
    /// Vigil speaks the etcd 3.4 API and answers progress requests the way etcd 3.5.13+
    /// does (etcd#15220 fixed). Clients such as the Kubernetes API server only rely on
    /// progress requests from servers reporting a fixed version, so this is the version
    /// reported.
    /// </summary>
    public const string Server = "3.5.13";

    public const string Cluster = "3.5.0";
}
