using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Gateway.Tests;

/// <summary>What the fake backends saw, shared by the per-call service instances.</summary>
public sealed class BackendLog
{
    /// <summary>The <c>x-tenant-id</c> header of every call, in order (null when absent).</summary>
    public ConcurrentQueue<string?> Tenants { get; } = new();

    /// <summary>Byte counts of the upload chunks, in the order they arrived.</summary>
    public ConcurrentQueue<int> UploadChunkSizes { get; } = new();

    /// <summary>The deadline of the last call.</summary>
    public DateTime LastDeadline { get; set; }

    /// <summary>The service credential of every call (null when absent).</summary>
    public ConcurrentQueue<string?> ServiceTokens { get; } = new();

    /// <summary>The <c>authorization</c> header of every call (null when absent): a client's key must never reach a backend.</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>The actor field of every call that has one.</summary>
    public ConcurrentQueue<string> Actors { get; } = new();

    /// <summary>Completes when an endless watch sees its call cancelled.</summary>
    public TaskCompletionSource WatchCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Record(ServerCallContext context)
    {
        Tenants.Enqueue(context.RequestHeaders.GetValue("x-tenant-id"));
        ServiceTokens.Enqueue(context.RequestHeaders.GetValue("x-platform-service-token"));
        Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization"));
        LastDeadline = context.Deadline;
    }
}

/// <summary>A scheduler that answers from scripts keyed by job id.</summary>
public sealed class FakeScheduler(BackendLog log) : JobService.JobServiceBase
{
    public const string MissingJob = "missing";
    public const string EndlessJob = "endless";

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        log.Record(context);
        if (request.JobId == MissingJob)
            throw new RpcException(new Status(StatusCode.NotFound, $"job '{request.JobId}' was not found"));
        return Task.FromResult(new Job { Id = request.JobId, TenantId = context.RequestHeaders.GetValue("x-tenant-id") ?? "" });
    }

    /// <summary>Echoes what it was asked, so a test sees every field of the request arrive.</summary>
    public override Task<Job> RerunJob(RerunJobRequest request, ServerCallContext context)
    {
        log.Record(context);
        if (request.JobId == MissingJob)
            throw new RpcException(new Status(StatusCode.NotFound, $"job '{request.JobId}' was not found"));
        return Task.FromResult(new Job
        {
            Id = "rerun-of-" + request.JobId,
            RerunOf = request.JobId,
            RequestId = request.RequestId,
            TenantId = context.RequestHeaders.GetValue("x-tenant-id") ?? "",
            Spec = new JobSpec { Priority = request.HasPriority ? request.Priority : 0, Queue = request.HasQueue ? request.Queue : "unset" },
        });
    }

    public override Task<ListTrainersResponse> ListTrainers(ListTrainersRequest request, ServerCallContext context)
    {
        log.Record(context);
        return Task.FromResult(new ListTrainersResponse { Trainers = { new Trainer { Name = "lightgbm" } } });
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobUpdate> responseStream, ServerCallContext context)
    {
        log.Record(context);
        if (request.JobId == EndlessJob)
        {
            await responseStream.WriteAsync(Update(JobState.Running, 0.1));
            try { await Task.Delay(Timeout.Infinite, context.CancellationToken); }
            catch (OperationCanceledException) { log.WatchCancelled.TrySetResult(); throw; }
        }
        await responseStream.WriteAsync(Update(JobState.Queued, 0));
        await responseStream.WriteAsync(Update(JobState.Running, 0.5));
        await responseStream.WriteAsync(Update(JobState.Succeeded, 1));

        JobUpdate Update(JobState state, double progress) =>
            new() { Job = new Job { Id = request.JobId, State = state, Progress = progress }, Message = state.ToString() };
    }
}

/// <summary>A model store that hashes uploads and serves a fixed artifact.</summary>
public sealed class FakeDatasets(BackendLog log) : DatasetService.DatasetServiceBase
{
    /// <summary>An upload with this name is rejected as soon as its header arrives.</summary>
    public const string RejectedName = "rejected.bin";

    /// <summary>An upload with this name is answered as soon as its header arrives, as a store that already has the bytes might.</summary>
    public const string KnownName = "known.csv";

    /// <summary>A profile request naming this label is rejected as the store rejects an unknown column.</summary>
    public const string UnknownLabel = "no-such-column";

    /// <summary>Answers with a profile that echoes what arrived: the tenant as the id's prefix, the label as the label's column.</summary>
    public override Task<DatasetProfile> GetDatasetProfile(GetDatasetProfileRequest request, ServerCallContext context)
    {
        log.Record(context);
        if (request.Label == UnknownLabel)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"label: '{request.Label}' is not a column of data set '{request.DatasetId}'"));
        var profile = new DatasetProfile
        {
            DatasetId = $"{context.RequestHeaders.GetValue("x-tenant-id")}/{request.DatasetId}",
            RowCount = 344,
            Columns = { new ColumnProfile { Name = "Sex", Type = ColumnType.Categorical, MissingCount = 10, MissingShare = 10 / 344.0 } },
            Warnings = { "column `Sex` has 2.9% missing values" },
        };
        if (request.Label.Length > 0) profile.Label = new LabelProfile { Column = request.Label, MissingCount = 10 };
        return Task.FromResult(profile);
    }

    public override async Task<Dataset> UploadDataset(IAsyncStreamReader<UploadDatasetRequest> requestStream, ServerCallContext context)
    {
        log.Record(context);
        if (!await requestStream.MoveNext() || requestStream.Current.ContentCase != UploadDatasetRequest.ContentOneofCase.Header)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "header: the first message must be the header"));
        var header = requestStream.Current.Header;
        if (header.Name == RejectedName)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "format: not a CSV file"));
        if (header.Name == KnownName)
            return new Dataset { Id = "ds-known", Name = header.Name };

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await foreach (var message in requestStream.ReadAllAsync())
        {
            log.UploadChunkSizes.Enqueue(message.Chunk.Length);
            hash.AppendData(message.Chunk.Span);
            size += message.Chunk.Length;
        }
        return new Dataset
        {
            Id = "ds-1",
            Name = header.Name,
            SizeBytes = size,
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
        };
    }
}

/// <summary>Serves one model artifact in fixed-size chunks.</summary>
public sealed class FakeModels(BackendLog log) : ModelService.ModelServiceBase
{
    public const int ChunkSize = 1000;

    /// <summary>Echoes who the gateway said decided.</summary>
    public override Task<ModelVersion> SetModelVersionApproval(SetModelVersionApprovalRequest request, ServerCallContext context)
    {
        log.Record(context);
        log.Actors.Enqueue(request.Actor);
        return Task.FromResult(new ModelVersion
        {
            ModelName = request.ModelName, Version = request.Version, TenantId = context.RequestHeaders.GetValue("x-tenant-id") ?? "",
            Approval = new ModelVersionApproval { Status = request.Status, Actor = request.Actor },
        });
    }

    public override Task<ErasureRecord> EraseDataset(EraseDatasetRequest request, ServerCallContext context)
    {
        log.Record(context);
        log.Actors.Enqueue(request.Actor);
        return Task.FromResult(new ErasureRecord { DatasetId = request.DatasetId, Actor = request.Actor });
    }
    public static readonly byte[] ModelBytes = Enumerable.Range(0, 3500).Select(i => (byte)i).ToArray();

    public override async Task DownloadModelVersion(DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context)
    {
        log.Record(context);
        var artifact = new Artifact
        {
            Kind = "model",
            FileName = "model.zip",
            SizeBytes = ModelBytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(ModelBytes)),
        };
        for (var offset = 0; offset < ModelBytes.Length; offset += ChunkSize)
        {
            var chunk = new ArtifactChunk { Data = ByteString.CopyFrom(ModelBytes.AsSpan(offset, Math.Min(ChunkSize, ModelBytes.Length - offset))) };
            if (offset == 0) chunk.Artifact = artifact;
            await responseStream.WriteAsync(chunk);
        }
    }
}
