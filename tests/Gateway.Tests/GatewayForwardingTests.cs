using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Registry.V1;

namespace Platform.Gateway.Tests;

public sealed class GatewayForwardingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private readonly JobService.JobServiceClient _jobs = new(fixture.Channel);
    private readonly DatasetService.DatasetServiceClient _datasets = new(fixture.Channel);
    private readonly ModelService.ModelServiceClient _models = new(fixture.Channel);

    private static Metadata TenantHeader(string tenant) => new() { { "x-tenant-id", tenant } };

    [Fact]
    public async Task The_callers_tenant_reaches_the_backend()
    {
        var job = await _jobs.GetJobAsync(new GetJobRequest { JobId = "j1" }, TenantHeader("acme"));

        Assert.Equal("j1", job.Id);
        Assert.Equal("acme", job.TenantId);
    }

    [Fact]
    public async Task A_call_without_a_tenant_acts_for_the_default_tenant()
    {
        var job = await _jobs.GetJobAsync(new GetJobRequest { JobId = "j2" });

        Assert.Equal("default", job.TenantId);
    }

    [Fact]
    public async Task A_malformed_tenant_is_refused_at_the_edge_without_calling_the_backend()
    {
        var calls = fixture.SchedulerLog.Tenants.Count;

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _jobs.GetJobAsync(new GetJobRequest { JobId = "j3" }, TenantHeader("Not A Tenant!")).ResponseAsync);

        // The access check refuses it (even for the administrator that open mode makes every caller).
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.StartsWith("x-tenant-id: 'Not A Tenant!' is not a valid tenant id", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(calls, fixture.SchedulerLog.Tenants.Count);
    }

    [Fact]
    public async Task A_backend_status_and_message_pass_through_unchanged()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _jobs.GetJobAsync(new GetJobRequest { JobId = FakeScheduler.MissingJob }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal($"job '{FakeScheduler.MissingJob}' was not found", error.Status.Detail);
    }

    [Fact]
    public async Task The_callers_deadline_reaches_the_backend()
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);

        await _jobs.ListTrainersAsync(new ListTrainersRequest(), deadline: deadline);

        // gRPC sends a deadline as a rounded timeout, so the backend sees about the same instant, not the same tick;
        // without forwarding it would see none (DateTime.MaxValue).
        Assert.InRange(fixture.SchedulerLog.LastDeadline, deadline.AddMinutes(-1), deadline.AddMinutes(1));
    }

    [Fact]
    public async Task An_upload_streams_through_chunk_by_chunk()
    {
        var chunks = Enumerable.Range(0, 5).Select(i => Enumerable.Repeat((byte)i, 64 * 1024 - i).ToArray()).ToList();
        var before = fixture.ModelStoreLog.UploadChunkSizes.Count;

        using var call = _datasets.UploadDataset(TenantHeader("acme"));
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = "data.csv" } });
        foreach (var chunk in chunks)
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(chunk) });
        await call.RequestStream.CompleteAsync();
        var dataset = await call;

        Assert.Equal("data.csv", dataset.Name);
        Assert.Equal(chunks.Sum(c => c.Length), dataset.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(chunks.SelectMany(c => c).ToArray())), dataset.Sha256);
        Assert.Equal(chunks.Select(c => c.Length), fixture.ModelStoreLog.UploadChunkSizes.Skip(before));
        Assert.Equal("acme", fixture.ModelStoreLog.Tenants.Last());
    }

    [Fact]
    public async Task An_upload_the_backend_rejects_at_the_header_returns_the_backends_status_at_once()
    {
        using var call = await StartUploadAsync(FakeDatasets.RejectedName);

        // The caller has not finished its stream; the backend's answer must still come back (bounded, not hang).
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("format: not a CSV file", error.Status.Detail);
    }

    [Fact]
    public async Task An_upload_the_backend_answers_at_the_header_returns_the_backends_reply_at_once()
    {
        using var call = await StartUploadAsync(FakeDatasets.KnownName);

        var dataset = await call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ds-known", dataset.Id);
    }

    private async Task<AsyncClientStreamingCall<UploadDatasetRequest, Dataset>> StartUploadAsync(string name)
    {
        var call = _datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = name } });
        return call;
    }

    [Fact]
    public async Task A_model_download_streams_through_with_its_artifact_header()
    {
        using var call = _models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = "penguins" });
        var chunks = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal("model", chunks[0].Artifact.Kind);
        Assert.All(chunks.Skip(1), chunk => Assert.Null(chunk.Artifact));
        Assert.Equal(FakeModels.ModelBytes, chunks.SelectMany(c => c.Data.ToByteArray()).ToArray());
        Assert.Equal((FakeModels.ModelBytes.Length + FakeModels.ChunkSize - 1) / FakeModels.ChunkSize, chunks.Count);
    }

    [Fact]
    public async Task A_job_watch_streams_every_update_until_the_job_ends()
    {
        using var call = _jobs.WatchJob(new WatchJobRequest { JobId = "j4" });
        var updates = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal([JobState.Queued, JobState.Running, JobState.Succeeded], updates.Select(u => u.Job.State));
    }

    [Fact]
    public async Task Cancelling_a_watch_cancels_the_backend_call()
    {
        using var cancel = new CancellationTokenSource();
        using var call = _jobs.WatchJob(new WatchJobRequest { JobId = FakeScheduler.EndlessJob }, cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        await cancel.CancelAsync();

        // Bounded wait so that a regression fails instead of hanging the run.
        await fixture.SchedulerLog.WatchCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_internal_model_registry_is_not_exposed()
    {
        var registry = new ModelRegistry.ModelRegistryClient(fixture.Channel);
        using var call = registry.RegisterModelVersion();

        try
        {
            await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Version = new ModelVersion { ModelName = "x" } });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
            // Refused before the request was read: the call's status says why.
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        // Not in the access table, so closed, whoever asks (here the open mode's administrator).
        Assert.Equal((StatusCode.PermissionDenied, "this call is not part of the public API"), (error.StatusCode, error.Status.Detail));
    }
}
