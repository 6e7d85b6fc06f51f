using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Platform.ServiceDefaults.Tls;

/// <summary>
/// A private CA that a server's certificate must chain to (e.g. the CA of an in-house RabbitMQ), instead of the
/// system's trusted roots. The host name is checked as always.
/// </summary>
public sealed class TrustedRoot
{
    private readonly X509Certificate2Collection _roots;

    private TrustedRoot(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Reads the CA certificate(s) of a PEM file; <paramref name="setting"/> names the setting in errors.</summary>
    public static TrustedRoot FromPemFile(string path, string setting)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"{setting}: cannot read the CA certificate '{path}': {e.Message}", e);
        }
        if (roots.Count == 0)
            throw new InvalidOperationException($"{setting}: '{path}' holds no PEM certificate.");
        return new TrustedRoot(roots);
    }

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/>: the name matches and the chain ends at this CA.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent.
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
