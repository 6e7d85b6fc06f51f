using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Testing.Tls;

/// <summary>
/// A throw-away certificate authority for TLS tests: its CA certificate and server key pairs it signs, written as PEM
/// files into a temporary folder (as a <c>kubernetes.io/tls</c> Secret and a CA Secret would be mounted).
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly string _folder = Directory.CreateTempSubdirectory("platform-tls-").FullName;

    /// <param name="name">The CA's common name.</param>
    public TestCertificateAuthority(string name = "Platform test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        _ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        CertificatePath = Path.Combine(_folder, "ca.crt");
        File.WriteAllText(CertificatePath, _ca.ExportCertificatePem());
    }

    /// <summary>The folder holding the CA's files and the key pairs it issued.</summary>
    public string Folder => _folder;

    /// <summary>The CA certificate's PEM file (<c>ca.crt</c>).</summary>
    public string CertificatePath { get; }

    /// <summary>The CA certificate, for a client that trusts it.</summary>
    public X509Certificate2 Certificate => _ca;

    /// <summary>
    /// Issues a server certificate for <c>localhost</c> and <c>127.0.0.1</c> (plus <paramref name="names"/>, host names or
    /// IP addresses) and writes <c>tls.crt</c> and <c>tls.key</c> into <paramref name="folder"/> (a subfolder of this
    /// CA's, made when missing). Issuing again into the same folder replaces the pair, as a certificate renewal does.
    /// </summary>
    public (string CertificatePath, string KeyPath, X509Certificate2 Certificate) IssueServer(string folder = "server", params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var target = Directory.CreateDirectory(Path.Combine(_folder, folder)).FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        alternativeNames.AddDnsName("localhost");
        alternativeNames.AddIpAddress(System.Net.IPAddress.Loopback);
        foreach (var name in names)
        {
            if (System.Net.IPAddress.TryParse(name, out var address)) alternativeNames.AddIpAddress(address);
            else alternativeNames.AddDnsName(name);
        }
        request.CertificateExtensions.Add(alternativeNames.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        using var issued = request.Create(_ca, now.AddMinutes(-5), now.AddHours(12), serial);
        var certificatePath = Path.Combine(target, "tls.crt");
        var keyPath = Path.Combine(target, "tls.key");
        File.WriteAllText(certificatePath, issued.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath, X509CertificateLoader.LoadCertificate(issued.RawData));
    }

    /// <summary>
    /// A handler callback that trusts this CA only (and checks the host name), for an <c>HttpClientHandler</c> or a
    /// <c>SocketsHttpHandler</c>'s <c>SslOptions</c>.
    /// </summary>
    public bool Trusts(X509Certificate2? certificate, System.Net.Security.SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind.
        }
    }
}
