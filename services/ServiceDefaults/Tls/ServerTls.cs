using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults.Tls;

/// <summary>
/// TLS of the listeners clients use (<c>Platform:Tls</c>): with <c>CertificatePath</c> (PEM certificate) and
/// <c>KeyPath</c> (PEM private key; empty: the key is in the certificate file) set, the gRPC port and the byte stream
/// serve HTTPS; the health port stays plain HTTP for the kubelet's probes. Unset: plain HTTP (h2c), as inside a cluster.
/// </summary>
/// <remarks>
/// The files are those of a <c>kubernetes.io/tls</c> Secret mounted as a folder (<c>tls.crt</c>, <c>tls.key</c>). When
/// they change (cert-manager renews the Secret and the kubelet swaps the files) new connections get the new
/// certificate, looked for at most every 30 seconds, without a restart.
/// </remarks>
public sealed class ServerTls
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Platform:Tls";

    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(30);

    private readonly string _certificatePath;
    private readonly string? _keyPath;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private X509Certificate2 _certificate;
    private (DateTime Certificate, DateTime Key) _written;
    private DateTimeOffset _checkedAt;

    private ServerTls(string certificatePath, string? keyPath, TimeProvider time)
    {
        _certificatePath = certificatePath;
        _keyPath = string.IsNullOrWhiteSpace(keyPath) ? null : keyPath;
        _time = time;
        // Loaded now, so that a missing or unreadable key pair stops the host at start-up, naming the files.
        _written = LastWritten();
        _certificate = Load();
        _checkedAt = time.GetUtcNow();
    }

    /// <summary>The settings of <paramref name="configuration"/>, or <c>null</c> when TLS is not configured.</summary>
    public static ServerTls? From(IConfiguration configuration, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var certificate = section["CertificatePath"];
        return string.IsNullOrWhiteSpace(certificate) ? null : new ServerTls(certificate, section["KeyPath"], time ?? TimeProvider.System);
    }

    /// <summary>The certificate to present now: the one on disk, reloaded when its files have changed.</summary>
    public X509Certificate2 Certificate
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetUtcNow();
                if (now - _checkedAt < RecheckInterval) return _certificate;
                _checkedAt = now;
                var written = LastWritten();
                if (written == _written) return _certificate;
                try
                {
                    _certificate = Load();
                    _written = written;
                }
                catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
                {
                    // Half-written files during a swap: keep serving the previous certificate and look again later.
                }
                return _certificate;
            }
        }
    }

    /// <summary>Makes <paramref name="listen"/> serve HTTPS with this certificate.</summary>
    public void Apply(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => Certificate });
    }

    private (DateTime, DateTime) LastWritten() =>
        (File.GetLastWriteTimeUtc(_certificatePath), _keyPath is null ? default : File.GetLastWriteTimeUtc(_keyPath));

    private X509Certificate2 Load()
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(_certificatePath, _keyPath);
            // A PEM key is ephemeral; a PKCS#12 round trip gives a key every platform's TLS stack accepts.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException(
                $"{Section}: cannot load the key pair from CertificatePath '{_certificatePath}' and KeyPath '{_keyPath}': {e.Message}", e);
        }
    }
}
