using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Datasets.V1;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Transfers;

namespace Platform.Worker.Tests;

/// <summary>
/// An in-memory model store serving the two gRPC services a worker calls, over real HTTP/2 on a
/// free loopback port. Data sets belong to a tenant and are invisible to others, as in the real store.
/// </summary>
internal sealed class FakeModelStore : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeModelStore(WebApplication app, State state, Uri address, Uri transfers)
    {
        _app = app;
        Data = state;
        Address = address;
        TransfersAddress = transfers;
    }

    public Uri Address { get; }

    /// <summary>The byte stream (HTTP/1.1): data set downloads, staged uploads, reading them back and their deletion, as the real store serves them.</summary>
    public Uri TransfersAddress { get; }

    public State Data { get; }

    public static async Task<FakeModelStore> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? grpc = null, http1 = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => (grpc = listen).Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, 0, listen => (http1 = listen).Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc();
        var state = new State();
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapGrpcService<Datasets>();
        app.MapGrpcService<Registry>();
        MapByteStream(app, state);
        await app.StartAsync();
        return new FakeModelStore(app, state, new Uri($"http://127.0.0.1:{grpc!.IPEndPoint!.Port}"), new Uri($"http://127.0.0.1:{http1!.IPEndPoint!.Port}"));
    }

    private static void MapByteStream(WebApplication app, State state)
    {
        static string Tenant(HttpContext http) => http.Request.Headers[ByteStream.TenantHeader].FirstOrDefault() ?? "default";
        app.MapGet("/v1/datasets/{id}/content", (string id, HttpContext http) =>
        {
            if (!state.Datasets.TryGetValue((Tenant(http), id), out var found))
                return Results.Problem(detail: $"dataset '{id}' was not found", statusCode: 404, title: "NotFound");
            http.Response.Headers[ByteStream.DigestHeader] = ByteStream.FormatDigest(found.Dataset.Sha256);
            return Results.Bytes(found.Bytes, "application/octet-stream");
        });
        app.MapPost("/v1/uploads", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            var staged = new StagedUpload(Guid.NewGuid().ToString("N"), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length);
            state.Staged[(Tenant(http), staged.UploadId)] = bytes;
            return Results.Json(staged, statusCode: 201);
        });
        app.MapGet("/v1/uploads/{id}", (string id, HttpContext http) =>
        {
            if (!state.Staged.TryGetValue((Tenant(http), id), out var bytes))
                return Results.Problem(detail: $"upload '{id}' was not found", statusCode: 404, title: "NotFound");
            http.Response.Headers[ByteStream.DigestHeader] = ByteStream.FormatDigest(Convert.ToHexStringLower(SHA256.HashData(bytes)));
            return Results.Bytes(bytes, "application/octet-stream");
        });
        app.MapDelete("/v1/uploads/{id}", (string id, HttpContext http) =>
        {
            state.DeletedUploads.Enqueue(id);
            return state.Staged.TryRemove((Tenant(http), id), out _)
                ? Results.NoContent()
                : Results.Problem(detail: $"upload '{id}' was not found", statusCode: 404, title: "NotFound");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Registration(string Tenant, ModelVersion Version, IReadOnlyList<(Artifact Header, byte[] Bytes)> Artifacts);

    public sealed class State
    {
        public ConcurrentDictionary<(string Tenant, string Id), (Dataset Dataset, byte[] Bytes)> Datasets { get; } = new();

        public ConcurrentQueue<Registration> Registrations { get; } = new();

        /// <summary>When set, DownloadDataset waits for it before sending a byte: an attempt that takes as long as a test wants.</summary>
        public TaskCompletionSource? DownloadGate { get; set; }

        /// <summary>Stored profiles by data set id; a data set without one answers GetDatasetProfile with Unavailable.</summary>
        public ConcurrentDictionary<string, DatasetProfile> Profiles { get; } = new();

        /// <summary>The GetDatasetProfile requests received, with their tenant.</summary>
        public ConcurrentQueue<(string Tenant, GetDatasetProfileRequest Request)> ProfileRequests { get; } = new();

        /// <summary>When set, RegisterModelVersion fails with this status after reading the whole stream.</summary>
        public StatusCode? FailRegistrationWith { get; set; }

        /// <summary>When set, RegisterModelVersion answers with a version whose model holds this SHA-256 (someone else's bytes).</summary>
        public string? AnswerWithModelSha256 { get; set; }

        /// <summary>Bytes staged over the byte stream and not yet used or deleted.</summary>
        public ConcurrentDictionary<(string Tenant, string UploadId), byte[]> Staged { get; } = new();

        /// <summary>Upload ids a client asked to delete.</summary>
        public ConcurrentQueue<string> DeletedUploads { get; } = new();

        public Dataset Add(string tenant, string name, byte[] bytes, params (string Name, ColumnType Type)[] columns)
        {
            var dataset = new Dataset
            {
                Id = Guid.NewGuid().ToString(),
                TenantId = tenant,
                Name = name,
                Format = DatasetFormat.Csv,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
                SizeBytes = bytes.Length,
            };
            dataset.Columns.AddRange(columns.Select(c => new Column { Name = c.Name, Type = c.Type }));
            Datasets[(tenant, dataset.Id)] = (dataset, bytes);
            return dataset;
        }

        public (Dataset Dataset, byte[] Bytes) Find(ServerCallContext context, string id)
        {
            var tenant = context.RequestHeaders.GetValue("x-tenant-id") ?? "default";
            return Datasets.TryGetValue((tenant, id), out var found)
                ? found
                : throw new RpcException(new Status(StatusCode.NotFound, $"dataset '{id}' was not found"));
        }
    }

    private sealed class Datasets(State state) : DatasetService.DatasetServiceBase
    {
        public override Task<Dataset> GetDataset(GetDatasetRequest request, ServerCallContext context) =>
            Task.FromResult(state.Find(context, request.DatasetId).Dataset);

        public override Task<DatasetProfile> GetDatasetProfile(GetDatasetProfileRequest request, ServerCallContext context)
        {
            var dataset = state.Find(context, request.DatasetId).Dataset;
            state.ProfileRequests.Enqueue((dataset.TenantId, request));
            return state.Profiles.TryGetValue(dataset.Id, out var profile)
                ? Task.FromResult(profile)
                : throw new RpcException(new Status(StatusCode.Unavailable, "profiles are resting"));
        }

        public override async Task DownloadDataset(DownloadDatasetRequest request, IServerStreamWriter<DataChunk> responseStream, ServerCallContext context)
        {
            var bytes = state.Find(context, request.DatasetId).Bytes;
            if (state.DownloadGate is { } gate) await gate.Task.WaitAsync(context.CancellationToken);
            // Small chunks, so the download really is a stream of several messages.
            foreach (var chunk in bytes.Chunk(4096))
                await responseStream.WriteAsync(new DataChunk { Data = ByteString.CopyFrom(chunk) });
        }
    }

    private sealed class Registry(State state) : ModelRegistry.ModelRegistryBase
    {
        public override async Task<ModelVersion> RegisterModelVersion(IAsyncStreamReader<RegisterModelVersionRequest> requestStream, ServerCallContext context)
        {
            ModelVersion? version = null;
            var artifacts = new List<(Artifact, MemoryStream)>();
            await foreach (var message in requestStream.ReadAllAsync())
            {
                switch (message.ContentCase)
                {
                    case RegisterModelVersionRequest.ContentOneofCase.Version:
                        version = message.Version;
                        break;
                    case RegisterModelVersionRequest.ContentOneofCase.Artifact:
                        var received = new MemoryStream();
                        if (message.Artifact.UploadId.Length > 0
                            && state.Staged.TryRemove((context.RequestHeaders.GetValue("x-tenant-id") ?? "default", message.Artifact.UploadId), out var bytes))
                            received.Write(bytes);
                        artifacts.Add((message.Artifact, received));
                        break;
                    default:
                        message.Chunk.WriteTo(artifacts[^1].Item2);
                        break;
                }
            }
            if (state.FailRegistrationWith is { } status)
                throw new RpcException(new Status(status, "the store is having a bad day"));

            var registered = version!.Clone();
            registered.Version = state.Registrations.Count + 1;
            registered.Artifacts.AddRange(artifacts.Select(a => a.Item1));
            if (state.AnswerWithModelSha256 is { } other)
                registered.Artifacts.Single(a => a.Kind == "model").Sha256 = other;
            state.Registrations.Enqueue(new Registration(
                context.RequestHeaders.GetValue("x-tenant-id") ?? "default", registered, [.. artifacts.Select(a => (a.Item1, a.Item2.ToArray()))]));
            return registered;
        }
    }
}
