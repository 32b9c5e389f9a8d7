using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Vigil.Client;

/// <summary>Settings of a <see cref="VigilClient"/>, read once when it is created.</summary>
public sealed class VigilClientOptions
{
    /// <summary>
    /// The servers: <c>http://host:port</c> (HTTP/2 cleartext, what etcd serves by default)
    /// or <c>https://host:port</c> (TLS). At least one. The client uses one at a time and
    /// moves to the next when it fails. Default empty.
    /// </summary>
    public IList<string> Endpoints { get; set; } = [];

    /// <summary>
    /// Time a unary call (a read, write, transaction, status...) may take, its retries
    /// included; past it the call fails with <see cref="DeadlineExceededException"/>. Null: no
    /// limit. Watches are long-lived and never time out. Default 10 seconds.
    /// </summary>
    public TimeSpan? DefaultTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long opening a connection may take. Default 3 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Decides whether an <c>https://</c> server's certificate is accepted. Null (the
    /// default) uses the system's trust store and host-name check.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Client certificates offered to an <c>https://</c> server that asks for one. Default none.</summary>
    public X509CertificateCollection? ClientCertificates { get; set; }

    /// <summary>
    /// Retries of unary calls on UNAVAILABLE and connection failures, each on the next
    /// endpoint: reads always, writes only when the request never reached a server
    /// (connection refused, name not resolved, TLS refused, connect timeout, stream refused
    /// with REFUSED_STREAM). Default 10 attempts, 50 ms to 2 s apart.
    /// </summary>
    public RetryPolicy Retry { get; set; } = new();

    /// <summary>
    /// Reconnection of the watch stream after it broke: attempts in a row that fail before
    /// every watch of the client ends with <see cref="UnavailableException"/>; an attempt
    /// that gets a response resets the count. Default unlimited attempts, 50 ms to 2 s apart:
    /// a watch waits for a server to come back, as etcd's own client does.
    /// </summary>
    public RetryPolicy WatchRetry { get; set; } = new() { MaxAttempts = int.MaxValue };

    /// <summary>
    /// How long an open connection may be silent before the client PINGs the server to
    /// detect a dead peer (a server host gone without closing its sockets); at least 1
    /// second. Pings go only while calls (watches among them) are open. Null (the default):
    /// no pings; a killed server process is still noticed at once.
    /// </summary>
    public TimeSpan? KeepAlivePingDelay { get; set; }

    /// <summary>How long a PING may go unanswered before the connection is dropped. Default 10 seconds.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest request message the client sends; a larger one fails at once with
    /// <see cref="RequestTooLargeException"/> (RESOURCE_EXHAUSTED) instead of being streamed
    /// to a server that rejects it. Default 2 MiB, as etcd's own client (a server accepts
    /// <c>--max-request-bytes</c> + 512 KiB, 2 MiB on the defaults). Null: no limit.
    /// </summary>
    public int? MaxSendMessageBytes { get; set; } = 2 * 1024 * 1024;
}
