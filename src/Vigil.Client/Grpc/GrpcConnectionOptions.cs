using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Vigil.Client.Grpc;

/// <summary>Settings of a <see cref="GrpcConnection"/>, fixed when it is created.</summary>
public sealed class GrpcConnectionOptions
{
    /// <summary>
    /// Decides whether an <c>https://</c> server's certificate is accepted. Null (the
    /// default) uses the system's trust store and host-name check.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Client certificates offered to an <c>https://</c> server that asks for one. Default none.</summary>
    public X509CertificateCollection? ClientCertificates { get; set; }

    /// <summary>How long opening a TCP (and TLS) connection may take. Default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a connection with open calls may be silent before the client PINGs the
    /// server to detect a dead peer. Default infinite (no pings), like etcd's Go client.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long a PING may go unanswered before the connection is dropped. Default 20 seconds.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
