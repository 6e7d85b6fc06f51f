using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Cli.Tests;

/// <summary>What the fake gateway received.</summary>
public sealed class GatewayLog
{
    public ConcurrentQueue<SubmitJobRequest> Submissions { get; } = new();
    public ConcurrentQueue<RerunJobRequest> Reruns { get; } = new();
    public ConcurrentQueue<string?> Tenants { get; } = new();
    public ConcurrentQueue<string?> Authorizations { get; } = new();
    public ConcurrentQueue<UploadDatasetRequest> Uploads { get; } = new();
    public ConcurrentQueue<GetDatasetProfileRequest> ProfileRequests { get; } = new();
}

/// <summary>A gateway that answers from scripts keyed by id, on a free loopback port.</summary>
public sealed class FakeGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGateway(WebApplication app, GatewayLog log)
    {
        _app = app;
        Log = log;
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        Address = addresses.Addresses.Single();
    }

    public string Address { get; }
    public GatewayLog Log { get; }

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var log = new GatewayLog();
        builder.Services.AddSingleton(log);
        var app = builder.Build();
        app.MapGrpcService<FakeJobs>();
        app.MapGrpcService<FakeModels>();
        app.MapGrpcService<FakeDatasets>();
        await app.StartAsync();
        return new FakeGateway(app, log);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

public sealed class FakeJobs(GatewayLog log) : JobService.JobServiceBase
{
    public const string Succeeding = "succeeding";
    public const string Failing = "failing";

    public override Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        log.Submissions.Enqueue(request);
        log.Tenants.Enqueue(context.RequestHeaders.GetValue("x-tenant-id"));
        log.Authorizations.Enqueue(context.RequestHeaders.GetValue("authorization"));
        return Task.FromResult(new Job { Id = Succeeding, Spec = request.Spec, State = JobState.Queued });
    }

    /// <summary>Re-running any job gives the job that succeeds (so <c>--watch</c> has something to follow).</summary>
    public override Task<Job> RerunJob(RerunJobRequest request, ServerCallContext context)
    {
        log.Reruns.Enqueue(request);
        return Task.FromResult(new Job { Id = Succeeding, RerunOf = request.JobId, State = JobState.Queued });
    }

    /// <summary>A queued job whose spec sets a preparation and a cross-validation.</summary>
    public const string Prepared = "prepared";

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) => request.JobId switch
    {
        Succeeding => Task.FromResult(Ended(request.JobId, JobState.Succeeded)),
        Prepared => Task.FromResult(new Job
        {
            Id = Prepared, State = JobState.Queued,
            Spec = new JobSpec
            {
                DatasetId = "ds-1", Task = TrainingTask.BinaryClassification, LabelColumn = "label", Trainer = "lightgbm",
                Preparation = new Preparation
                {
                    ExcludeColumns = { "group" }, Normalization = Normalization.MinMax, ClassWeighting = ClassWeighting.Custom, ClassWeights = { ["spam"] = 3.5 },
                    Columns = { new ColumnPreparation { Name = "body", Encoding = ColumnEncoding.Text, MissingValues = MissingValuePolicy.Indicator } },
                },
                Evaluation = new EvaluationSpec { Folds = 5, Stratified = false, FeatureImportance = true },
            },
        }),
        Folded => Task.FromResult(new Job
        {
            Id = Folded, State = JobState.Failed, Stage = "failed", FailureReason = "fold 2 (job fold-2) failed: out of memory",
            Spec = new JobSpec
            {
                DatasetId = "ds-1", Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm",
                Evaluation = new EvaluationSpec { Folds = 3, ParallelFolds = true },
            },
            Folds =
            {
                new JobFold { Fold = 1, JobId = "fold-1", State = JobState.Succeeded, Worker = "worker-a" },
                new JobFold { Fold = 2, JobId = "fold-2", State = JobState.Failed, Worker = "worker-b", FailureReason = "out of memory" },
                new JobFold { Fold = 3, JobId = "fold-3", State = JobState.Cancelled },
            },
        }),
        _ => throw new RpcException(new Status(StatusCode.NotFound, $"job '{request.JobId}' was not found")),
    };

    /// <summary>A cross-validation with parallel folds that failed at its second fold.</summary>
    public const string Folded = "folded";

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobUpdate> responseStream, ServerCallContext context)
    {
        var outcome = request.JobId switch
        {
            Succeeding => JobState.Succeeded,
            Failing => JobState.Failed,
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"job '{request.JobId}' was not found")),
        };
        await responseStream.WriteAsync(Update(new Job { Id = request.JobId, State = JobState.Queued }, "queued"));
        await responseStream.WriteAsync(Update(new Job { Id = request.JobId, State = JobState.Running, Stage = "training", Progress = 0.5 }, "Training"));
        await responseStream.WriteAsync(Update(Ended(request.JobId, outcome), "ended"));
    }

    private static Job Ended(string id, JobState state) => state == JobState.Succeeded
        ? new Job
        {
            Id = id,
            State = state,
            Progress = 1,
            Result = new JobResult { ModelName = "penguins", ModelVersion = 3, Metrics = { ["accuracy"] = 0.97, ["macro_f1"] = 0.96 } },
        }
        : new Job { Id = id, State = state, FailureReason = "label column 'Species' has a single class" };

    private static JobUpdate Update(Job job, string message) =>
        new() { Job = job, Message = message, At = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch) };
}

public sealed class FakeModels : ModelService.ModelServiceBase
{
    /// <summary>A model whose reported SHA-256 does not match its bytes.</summary>
    public const string Corrupt = "corrupt";

    public static readonly byte[] Bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>Versions of "penguins" were trained by job "job-&lt;version&gt;" (latest: 3); "uploaded" has no job.</summary>
    public override Task<ModelVersion> GetModelVersion(GetModelVersionRequest request, ServerCallContext context)
    {
        var version = request.Version == 0 ? 3 : request.Version;
        return request.ModelName switch
        {
            "penguins" => Task.FromResult(new ModelVersion { ModelName = "penguins", Version = version, JobId = $"job-{version}" }),
            "uploaded" => Task.FromResult(new ModelVersion { ModelName = "uploaded", Version = version }),
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"model '{request.ModelName}' was not found")),
        };
    }

    public override async Task DownloadModelVersion(DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context)
    {
        var sha256 = request.ModelName == Corrupt ? new string('0', 64) : Convert.ToHexStringLower(SHA256.HashData(Bytes));
        var artifact = new Artifact { Kind = request.Artifact, FileName = "model.zip", SizeBytes = Bytes.Length, Sha256 = sha256 };
        for (var offset = 0; offset < Bytes.Length; offset += 32 * 1024)
        {
            var chunk = new ArtifactChunk { Data = ByteString.CopyFrom(Bytes.AsSpan(offset, Math.Min(32 * 1024, Bytes.Length - offset))) };
            if (offset == 0) chunk.Artifact = artifact;
            await responseStream.WriteAsync(chunk);
        }
    }
}

public sealed class FakeDatasets(GatewayLog log) : DatasetService.DatasetServiceBase
{
    public override async Task<Dataset> UploadDataset(IAsyncStreamReader<UploadDatasetRequest> requestStream, ServerCallContext context)
    {
        await foreach (var message in requestStream.ReadAllAsync())
            log.Uploads.Enqueue(message);
        return new Dataset { Id = "ds-1", Name = log.Uploads.First().Header.Name, RowCount = 2 };
    }

    /// <summary>A small penguins-like profile; the label (when asked) is Sex.</summary>
    public override Task<DatasetProfile> GetDatasetProfile(GetDatasetProfileRequest request, ServerCallContext context)
    {
        log.ProfileRequests.Enqueue(request);
        var profile = new DatasetProfile
        {
            DatasetId = request.DatasetId,
            RowCount = 344,
            Columns =
            {
                new ColumnProfile
                {
                    Name = "Body Mass (g)", Type = ColumnType.Numeric, MissingCount = 2, MissingShare = 2 / 344.0, DistinctCount = 94, DistinctExact = true,
                    Numeric = new NumericSummary { Min = 2700, Max = 6300, Mean = 4201.754, Std = 801.95, P5 = 3150, P25 = 3550, P50 = 4050, P75 = 4750, P95 = 5650, QuantilesExact = true, OutlierCount = 0 },
                },
                new ColumnProfile
                {
                    Name = "Sex", Type = ColumnType.Categorical, MissingCount = 10, MissingShare = 10 / 344.0, DistinctCount = 3, DistinctExact = true,
                    TopValues = { new ValueCount { Value = "MALE", Count = 168, Share = 168 / 334.0 }, new ValueCount { Value = "FEMALE", Count = 165, Share = 165 / 334.0 } },
                },
                new ColumnProfile { Name = "observed", Type = ColumnType.Date, DistinctCount = 40, MinDate = "2007-11-09", MaxDate = "2009-12-01" },
            },
            Warnings = { "column `Sex` has 2.9% missing values (10 rows)" },
        };
        if (request.Label.Length > 0)
        {
            profile.Label = new LabelProfile
            {
                Column = request.Label, Type = ColumnType.Categorical, MissingCount = 10, MissingShare = 10 / 344.0, ClassesComplete = true, ImbalanceRatio = 168 / 165.0,
                Classes = { new ValueCount { Value = "MALE", Count = 168, Share = 168 / 334.0 }, new ValueCount { Value = "FEMALE", Count = 165, Share = 165 / 334.0 } },
            };
        }
        return Task.FromResult(profile);
    }
}
