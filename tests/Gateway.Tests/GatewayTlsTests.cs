using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults;
using Microsoft.Extensions.Time.Testing;
using Platform.Jobs.V1;
using Platform.ServiceDefaults.Tls;
using Platform.Testing.Tls;

namespace Platform.Gateway.Tests;

/// <summary>The gateway serving its API over TLS with a key pair from files, as the chart mounts a kubernetes.io/tls Secret.</summary>
public sealed class GatewayTlsTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = new();
    private WebApplication? _scheduler;
    private WebApplication? _gateway;
    private Uri _address = null!;
    private readonly List<IHost> _hosts = [];

    public async Task InitializeAsync()
    {
        var (certificate, key, _) = _ca.IssueServer();
        _scheduler = await GrpcTestHost.StartBackendAsync(services => services.AddSingleton(new BackendLog()), app => app.MapGrpcService<FakeScheduler>());
        var backend = GrpcTestHost.AddressOf(_scheduler);
        _gateway = await GrpcTestHost.StartGatewayAsync(backend, backend, new Dictionary<string, string?>
        {
            ["Platform:Tls:CertificatePath"] = certificate,
            ["Platform:Tls:KeyPath"] = key,
        });
        _address = GrpcTestHost.AddressOf(_gateway);
    }

    [Fact]
    public async Task A_client_that_trusts_the_CA_calls_the_API_over_TLS()
    {
        Assert.Equal("https", _address.Scheme);
        using var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { HttpHandler = Trusting(_ca) });

        var job = await new JobService.JobServiceClient(channel).GetJobAsync(new GetJobRequest { JobId = "job-1" });

        Assert.Equal("job-1", job.Id);
    }

    [Fact]
    public async Task A_client_that_trusts_another_CA_is_refused_the_connection()
    {
        using var other = new TestCertificateAuthority("Another CA");
        using var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { HttpHandler = Trusting(other) });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new JobService.JobServiceClient(channel).GetJobAsync(new GetJobRequest { JobId = "job-1" }));

        // The handshake fails on the client's side: the server's certificate does not chain to the CA it trusts.
        Assert.Contains(Causes(error.Status.DebugException), e => e is System.Security.Authentication.AuthenticationException);
    }

    [Fact]
    public async Task A_service_client_checks_the_gateways_certificate_against_Services_RootCertificate()
    {
        // As the serving service calls the gateway's ApiKeyDirectory when the gateway serves TLS (the chart mounts the CA).
        async Task<JobService.JobServiceClient> ClientAsync(string? rootCertificate)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Services:Gateway"] = _address.ToString(),
                ["Services:RootCertificate"] = rootCertificate,
                ["Authentication:ServiceToken"] = new string('s', 40),
            });
            builder.AddPlatformGrpcClient<JobService.JobServiceClient>("Gateway");
            var host = builder.Build();
            _hosts.Add(host);
            await Task.CompletedTask;
            return host.Services.GetRequiredService<JobService.JobServiceClient>();
        }
        using var other = new TestCertificateAuthority("Another CA");

        var trusted = await ClientAsync(_ca.CertificatePath);
        var refused = await ClientAsync(other.CertificatePath);

        // The handshake succeeds: the call reaches the gateway (which then wants a caller's credential, not the service's).
        var answered = await Record.ExceptionAsync(async () => await trusted.GetJobAsync(new GetJobRequest { JobId = "job-1" }));
        Assert.DoesNotContain(Causes(answered), e => e is System.Security.Authentication.AuthenticationException);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await refused.GetJobAsync(new GetJobRequest { JobId = "job-1" }));
        Assert.Contains(Causes(error.Status.DebugException), e => e is System.Security.Authentication.AuthenticationException);
    }

    [Fact]
    public async Task Plain_HTTP2_to_the_TLS_port_gets_no_answer()
    {
        using var channel = GrpcChannel.ForAddress(new UriBuilder(_address) { Scheme = "http" }.Uri);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new JobService.JobServiceClient(channel).GetJobAsync(new GetJobRequest { JobId = "job-1" }));

        // The TLS listener takes the client's HTTP/2 preface for a bad handshake and ends the connection: depending on
        // timing the client sees the connection fail (Unavailable) or a response it cannot read (Internal); never a status
        // of the gateway's own (Unauthenticated, NotFound), which would mean it served plain text.
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }

    [Fact]
    public void A_renewed_key_pair_is_served_once_the_files_change_without_a_restart()
    {
        var (certificate, key, first) = _ca.IssueServer("renewed");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:Tls:CertificatePath"] = certificate,
            ["Platform:Tls:KeyPath"] = key,
        }).Build();
        var tls = ServerTls.From(settings, time)!;
        Assert.Equal(first.Thumbprint, tls.Certificate.Thumbprint);

        var (_, _, renewed) = _ca.IssueServer("renewed");
        // The kubelet swaps the files; a file system's timestamps may be coarse, so make the change visible.
        File.SetLastWriteTimeUtc(certificate, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(first.Thumbprint, tls.Certificate.Thumbprint); // not looked at again yet

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(renewed.Thumbprint, tls.Certificate.Thumbprint);
    }

    [Fact]
    public void A_missing_key_pair_stops_the_host_at_start_naming_the_setting()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:Tls:CertificatePath"] = "/nonexistent/tls.crt",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => ServerTls.From(settings));

        Assert.Contains("Platform:Tls", error.Message);
        Assert.Contains("/nonexistent/tls.crt", error.Message);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts) host.Dispose();
        foreach (var app in new[] { _gateway, _scheduler })
            if (app is not null) await app.DisposeAsync();
        _ca.Dispose();
    }

    private static IEnumerable<Exception> Causes(Exception? error)
    {
        for (; error is not null; error = error.InnerException) yield return error;
    }

    private static SocketsHttpHandler Trusting(TestCertificateAuthority ca) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => ca.Trusts(certificate as System.Security.Cryptography.X509Certificates.X509Certificate2, errors) },
    };
}
