using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.Transfers;

namespace Platform.Cli.Tests;

/// <summary><c>models download --transfers</c>: the bytes come over the gateway's byte stream (plain HTTP/1.1), checked.</summary>
public sealed class ByteStreamDownloadTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string? Tenant)> _requests = new();
    private FakeGateway _gateway = null!;
    private WebApplication _transfers = null!;
    private string _transfersAddress = "";
    private readonly string _folder = Directory.CreateTempSubdirectory("cli-bytes").FullName;

    public async Task InitializeAsync()
    {
        _gateway = await FakeGateway.StartAsync();
        // A stand-in for the gateway's byte stream: the model's bytes with their digest; a wrong digest for "corrupt"; 404 for "missing".
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        _transfers = builder.Build();
        _transfers.MapGet("/v1/models/{reference}/artifacts/{kind}", (string reference, string kind, HttpContext http) =>
        {
            _requests.Enqueue((http.Request.Path, http.Request.Headers[ByteStream.TenantHeader].FirstOrDefault()));
            if (reference.StartsWith("missing", StringComparison.Ordinal))
                return Results.Problem(detail: $"model 'missing' was not found", statusCode: 404, title: "NotFound");
            var sha256 = reference.StartsWith(FakeModels.Corrupt, StringComparison.Ordinal) ? new string('0', 64) : Convert.ToHexStringLower(SHA256.HashData(FakeModels.Bytes));
            http.Response.Headers[ByteStream.DigestHeader] = ByteStream.FormatDigest(sha256);
            http.Response.Headers[ByteStream.ModelVersionHeader] = "penguins:3";
            return Results.File(FakeModels.Bytes, "application/octet-stream", kind == "model" ? "model.zip" : "predictions.csv");
        });
        await _transfers.StartAsync();
        _transfersAddress = _transfers.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _transfers.DisposeAsync();
        await _gateway.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<CliRun> Run(params string[] args) =>
        CliRun.InvokeAsync(new Dictionary<string, string> { ["PLATFORM_TRANSFERS"] = _transfersAddress }, ["--gateway", _gateway.Address, .. args]);

    [Fact]
    public async Task A_download_comes_over_the_byte_stream_and_is_saved_once_verified()
    {
        var path = Path.Combine(_folder, "penguins.zip");

        var run = await Run("models", "download", "penguins", "--version", "3", "--tenant", "acme", "-o", path);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(FakeModels.Bytes, await File.ReadAllBytesAsync(path));
        Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(FakeModels.Bytes))} (verified)", run.Out);
        Assert.Equal(("/v1/models/penguins:3/artifacts/model", "acme"), Assert.Single(_requests));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task A_download_whose_digest_does_not_match_fails_as_data_loss_and_leaves_no_file()
    {
        var path = Path.Combine(_folder, "corrupt.zip");

        var run = await Run("models", "download", FakeModels.Corrupt, "-o", path);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: DataLoss: the bytes hash to ", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public async Task The_stores_error_is_shown_as_on_grpc()
    {
        var run = await Run("models", "download", "missing", "-o", Path.Combine(_folder, "x.zip"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: NotFound: model 'missing' was not found", run.Error.Trim());
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
