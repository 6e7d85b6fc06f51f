using System.Net.Security;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Platform.ServiceDefaults.Tls;
using Platform.Testing.Tls;

namespace Platform.Scheduler.Tests;

/// <summary>TLS from a service to PostgreSQL and RabbitMQ, configured apart from the connection strings (Database:Tls, Messaging:Tls).</summary>
public sealed class ClientTlsTests : IDisposable
{
    private const string ConnectionString = "Host=pg.example.com;Database=scheduler;Username=platform;Password=secret";
    private readonly TestCertificateAuthority _ca = new();

    [Fact]
    public void Without_settings_the_connection_string_is_used_as_given()
    {
        Assert.Equal(ConnectionString, ClientTls.ApplyToPostgres(ConnectionString, Settings()));
    }

    [Fact]
    public void The_mode_and_CA_override_the_connection_strings_own()
    {
        var applied = new NpgsqlConnectionStringBuilder(ClientTls.ApplyToPostgres(ConnectionString + ";SSL Mode=Disable",
            Settings(("Database:Tls:Mode", "verifyfull"), ("Database:Tls:RootCertificate", _ca.CertificatePath))));

        Assert.Equal(SslMode.VerifyFull, applied.SslMode);
        Assert.Equal(_ca.CertificatePath, applied.RootCertificate);
        Assert.Equal("secret", applied.Password);
    }

    [Fact]
    public void An_unknown_mode_names_the_setting_and_the_choices()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ClientTls.ApplyToPostgres(ConnectionString, Settings(("Database:Tls:Mode", "strict"))));

        Assert.Contains("Database:Tls:Mode", error.Message);
        Assert.Contains("VerifyFull", error.Message);
    }

    [Fact]
    public void A_CA_for_the_broker_requires_an_amqps_URI()
    {
        var settings = Settings(("Messaging:Tls:RootCertificate", _ca.CertificatePath));

        var error = Assert.Throws<InvalidOperationException>(() => ClientTls.BrokerRoot(new Uri("amqp://platform:secret@mq:5672/platform"), settings));

        Assert.Contains("amqps://", error.Message);
        Assert.NotNull(ClientTls.BrokerRoot(new Uri("amqps://platform:secret@mq:5671/platform"), settings));
        Assert.Null(ClientTls.BrokerRoot(new Uri("amqps://platform:secret@mq:5671/platform"), Settings()));
    }

    [Fact]
    public void The_brokers_certificate_must_chain_to_the_configured_CA()
    {
        var trusted = TrustedRoot.FromPemFile(_ca.CertificatePath, "Messaging:Tls:RootCertificate");
        using var other = new TestCertificateAuthority("Another CA");

        Assert.True(trusted.Validate(this, _ca.IssueServer().Certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trusted.Validate(this, other.IssueServer().Certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(trusted.Validate(this, _ca.IssueServer().Certificate, null, SslPolicyErrors.RemoteCertificateNameMismatch));
    }

    public void Dispose() => _ca.Dispose();

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build();
}
