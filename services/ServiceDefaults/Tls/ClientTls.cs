using MassTransit;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Platform.ServiceDefaults.Tls;

/// <summary>
/// TLS from the services to PostgreSQL and RabbitMQ, set apart from the connection strings so that a chart can wire a
/// CA certificate from a Secret without touching the user's connection Secrets:
/// <list type="bullet">
/// <item><c>Database:Tls:Mode</c> (Npgsql's SSL Mode: Disable, Allow, Prefer, Require, VerifyCA, VerifyFull) and
/// <c>Database:Tls:RootCertificate</c> (PEM CA file) override the connection string's settings;</item>
/// <item>RabbitMQ uses TLS with an <c>amqps://</c> URI; <c>Messaging:Tls:RootCertificate</c> (PEM CA file) then replaces
/// the system's trusted roots for the broker's certificate.</item>
/// </list>
/// </summary>
public static class ClientTls
{
    /// <summary>The connection string with <c>Database:Tls</c> applied (unchanged when the section is empty).</summary>
    public static string ApplyToPostgres(string connectionString, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var mode = configuration["Database:Tls:Mode"];
        var root = configuration["Database:Tls:RootCertificate"];
        if (string.IsNullOrWhiteSpace(mode) && string.IsNullOrWhiteSpace(root)) return connectionString;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!string.IsNullOrWhiteSpace(mode))
        {
            builder.SslMode = Enum.TryParse<SslMode>(mode, ignoreCase: true, out var parsed)
                ? parsed
                : throw new InvalidOperationException(
                    $"Database:Tls:Mode: '{mode}' is not one of {string.Join(", ", Enum.GetNames<SslMode>())}.");
        }
        if (!string.IsNullOrWhiteSpace(root))
        {
            if (!File.Exists(root)) throw new InvalidOperationException($"Database:Tls:RootCertificate: '{root}' does not exist.");
            builder.RootCertificate = root;
        }
        return builder.ConnectionString;
    }

    /// <summary>Configures the broker connection's TLS from <c>Messaging:Tls</c>, for the URI <paramref name="broker"/>.</summary>
    public static void ConfigureRabbitMq(IRabbitMqHostConfigurator host, Uri broker, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(host);
        var trusted = BrokerRoot(broker, configuration);
        if (trusted is null) return;
        host.UseSsl(ssl =>
        {
            ssl.ServerName = broker.Host;
            ssl.CertificateValidationCallback = trusted.Validate;
        });
    }

    /// <summary>The private CA the broker's certificate must chain to (<c>Messaging:Tls:RootCertificate</c>), or <c>null</c>.</summary>
    public static TrustedRoot? BrokerRoot(Uri broker, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(configuration);
        var root = configuration["Messaging:Tls:RootCertificate"];
        if (string.IsNullOrWhiteSpace(root)) return null;
        if (broker.Scheme != "amqps")
            throw new InvalidOperationException("Messaging:Tls:RootCertificate is set, but ConnectionStrings:RabbitMq is not an amqps:// URI.");
        return TrustedRoot.FromPemFile(root, "Messaging:Tls:RootCertificate");
    }
}
