using System.Net;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Platform.Admin.V1;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Testing;
using Platform.Transfers;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The hostile-input catalogue on the real services: two tenants side by side through every API and the byte stream,
/// credentials that must not work, internal calls from a client, and names and strings meant to break something.
/// Each: the right status, nothing stored, nothing leaked, the platform still serving.
/// </summary>
public sealed partial class TrainingPipelineTests
{
    private static readonly string[] TenantScopes =
        ["datasets:read", "datasets:write", "jobs:submit", "jobs:read", "models:read", "models:write", "models:approve", "data:erase"];

    private async Task<string> KeyAsync(string tenant, params string[] scopes)
    {
        var created = await new AdminService.AdminServiceClient(platform.Gateway).CreateApiKeyAsync(new CreateApiKeyRequest
        {
            Name = $"e2e-{tenant}", TenantId = tenant, Scopes = { scopes.Length == 0 ? TenantScopes : scopes },
        });
        platform.RememberSecret(created.Secret);
        return created.Secret;
    }

    private sealed record TenantClient(DatasetService.DatasetServiceClient Datasets, JobService.JobServiceClient Jobs,
        ModelService.ModelServiceClient Models, ByteStreamClient Bytes);

    private TenantClient Client(string key)
    {
        var channel = PublicCaller.Channel(platform.GatewayAddress, key);
        return new TenantClient(new(channel), new(channel), new(channel), new ByteStreamClient(PublicCaller.HttpClient(platform.GatewayTransfers, key), null));
    }

    private static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient datasets, string name, byte[] bytes)
    {
        using var call = datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = name, Format = DatasetFormat.Csv } });
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(bytes) });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private static async Task<ModelVersion> UploadModelAsync(ModelService.ModelServiceClient models, string name, byte[] bytes)
    {
        using var call = models.UploadModelVersion();
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Version = new ModelVersion { ModelName = name, Task = "regression", Trainer = "lightgbm", LabelColumn = "y" },
        });
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Artifact = new Artifact { Kind = "model", Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), SizeBytes = bytes.Length, FileName = "model.zip" },
        });
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest { Chunk = ByteString.CopyFrom(bytes) });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    [Fact]
    public async Task Two_tenants_side_by_side_cannot_see_watch_download_alias_approve_or_erase_each_others_resources()
    {
        var a = Client(await KeyAsync("sec-a"));
        var b = Client(await KeyAsync("sec-b"));
        var csv = await File.ReadAllBytesAsync(Penguins);
        var dataset = await UploadAsync(a.Datasets, "penguins.csv", csv);
        var model = await UploadModelAsync(a.Models, "a-model", "a's model bytes"u8.ToArray());
        await a.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "a-model", Alias = "production", Version = model.Version });
        var job = await a.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec { DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", ModelName = "a-trained" },
        });

        // Every way B could name A's things: NotFound (never PermissionDenied, which would say they exist).
        var attempts = new Dictionary<string, Func<Task>>
        {
            ["GetDataset"] = () => b.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = dataset.Id }).ResponseAsync,
            ["GetDatasetProfile"] = () => b.Datasets.GetDatasetProfileAsync(new GetDatasetProfileRequest { DatasetId = dataset.Id }).ResponseAsync,
            ["DownloadDataset"] = async () =>
            {
                using var call = b.Datasets.DownloadDataset(new DownloadDatasetRequest { DatasetId = dataset.Id });
                await call.ResponseStream.MoveNext();
            },
            ["GetJob"] = () => b.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id }).ResponseAsync,
            ["WatchJob"] = async () =>
            {
                using var call = b.Jobs.WatchJob(new WatchJobRequest { JobId = job.Id });
                await call.ResponseStream.MoveNext();
            },
            ["CancelJob"] = () => b.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id }).ResponseAsync,
            ["RerunJob"] = () => b.Jobs.RerunJobAsync(new RerunJobRequest { JobId = job.Id }).ResponseAsync,
            ["SubmitJob on A's data set"] = () => b.Jobs.SubmitJobAsync(new SubmitJobRequest
            {
                Spec = new JobSpec { DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm" },
            }).ResponseAsync,
            ["GetModelVersion"] = () => b.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "a-model" }).ResponseAsync,
            ["ResolveModel"] = () => b.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "a-model@production" }).ResponseAsync,
            ["DownloadModelVersion"] = async () =>
            {
                using var call = b.Models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = "a-model" });
                await call.ResponseStream.MoveNext();
            },
            ["SetModelAlias"] = () => b.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "a-model", Alias = "production", Version = 1 }).ResponseAsync,
            ["DeleteModelAlias"] = () => b.Models.DeleteModelAliasAsync(new DeleteModelAliasRequest { ModelName = "a-model", Alias = "production" }).ResponseAsync,
            ["SetModelVersionApproval"] = () => b.Models.SetModelVersionApprovalAsync(new SetModelVersionApprovalRequest
            {
                ModelName = "a-model", Version = 1, Status = ApprovalStatus.Approved,
            }).ResponseAsync,
            ["DeleteModelVersion"] = () => b.Models.DeleteModelVersionAsync(new DeleteModelVersionRequest { ModelName = "a-model", Version = 1 }).ResponseAsync,
            ["UpdateModelCard"] = () => b.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "a-model:1", Limitations = "x" }).ResponseAsync,
            ["GetModelCard"] = () => b.Models.GetModelCardAsync(new GetModelCardRequest { Reference = "a-model:1" }).ResponseAsync,
            ["EraseDataset"] = () => b.Models.EraseDatasetAsync(new EraseDatasetRequest { DatasetId = dataset.Id, Cascade = true }).ResponseAsync,
        };
        var outcomes = new Dictionary<string, StatusCode>();
        foreach (var (name, attempt) in attempts) outcomes[name] = await StatusOf(attempt);
        var file = Path.Combine(Path.GetTempPath(), $"e2e-sec-{Guid.NewGuid():N}");
        var artifact = await Assert.ThrowsAsync<ByteStreamException>(() => b.Bytes.DownloadAsync(ByteStream.ArtifactPath("a-model@production", "model"), file, CancellationToken.None));
        var content = await Assert.ThrowsAsync<ByteStreamException>(() => b.Bytes.DownloadAsync(ByteStream.DatasetPath(dataset.Id), file, CancellationToken.None));
        var bLists = (await b.Datasets.ListDatasetsAsync(new ListDatasetsRequest())).Datasets.Count
                     + (await b.Jobs.ListJobsAsync(new ListJobsRequest())).Jobs.Count
                     + (await b.Models.ListModelsAsync(new ListModelsRequest())).Models.Count
                     + (await b.Models.SearchModelVersionsAsync(new SearchModelVersionsRequest())).Versions.Count
                     + (await b.Models.ListErasureRecordsAsync(new ListErasureRecordsRequest())).Records.Count;

        Assert.All(outcomes, outcome => Assert.True(outcome.Value == StatusCode.NotFound, $"{outcome.Key}: {outcome.Value}"));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (artifact.Status, content.Status));
        Assert.False(File.Exists(file));
        Assert.Equal(0, bLists);
        // A's resources are as A left them.
        var still = await a.Models.ResolveModelAsync(new ResolveModelRequest { Reference = "a-model@production" });
        Assert.Equal((1, ApprovalStatus.Pending), (still.Version, still.Approval.Status));
        Assert.Equal(dataset.Sha256, (await a.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = dataset.Id })).Sha256);
        Assert.NotEqual(JobState.Cancelled, (await a.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id })).State);
        var downloaded = await a.Bytes.DownloadAsync(ByteStream.DatasetPath(dataset.Id), file, CancellationToken.None);
        File.Delete(file);
        Assert.Equal(dataset.Sha256, downloaded.Sha256);
    }

    [Fact]
    public async Task Internal_services_are_closed_to_clients_at_the_gateway()
    {
        var key = await KeyAsync("sec-internal");
        var channel = PublicCaller.Channel(platform.GatewayAddress, key);

        using var register = new ModelRegistry.ModelRegistryClient(channel).RegisterModelVersion();
        try
        {
            await register.RequestStream.WriteAsync(new RegisterModelVersionRequest
            {
                Version = new ModelVersion { ModelName = "fabricated", JobId = Guid.NewGuid().ToString(), Metrics = { ["accuracy"] = 1.0 } },
            });
            await register.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
        }
        var registration = await Assert.ThrowsAsync<RpcException>(() => register.ResponseAsync);
        var maintenance = await Assert.ThrowsAsync<RpcException>(() =>
            new RegistryMaintenance.RegistryMaintenanceClient(channel).RunMaintenanceAsync(new RunMaintenanceRequest()).ResponseAsync);
        // A client that reaches a backend's port directly has no service credential.
        var store = platform.Processes.Single(p => p.Name == "ModelStore");
        using var direct = PublicCaller.Channel(store.GrpcAddress, key);
        var backend = await Assert.ThrowsAsync<RpcException>(() =>
            new ModelService.ModelServiceClient(direct).ListModelsAsync(new ListModelsRequest()).ResponseAsync);

        Assert.Equal((StatusCode.PermissionDenied, "this call is not part of the public API"), (registration.StatusCode, registration.Status.Detail));
        Assert.Equal(StatusCode.PermissionDenied, maintenance.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, backend.StatusCode);
        Assert.Empty((await new ModelService.ModelServiceClient(channel).ListModelsAsync(new ListModelsRequest())).Models);
    }

    [Fact]
    public async Task Credentials_that_must_not_work_do_not_and_the_platform_keeps_serving()
    {
        var good = await KeyAsync("sec-creds");
        var revoked = await new AdminService.AdminServiceClient(platform.Gateway).CreateApiKeyAsync(
            new CreateApiKeyRequest { Name = "leaked", TenantId = "sec-creds", Scopes = { "datasets:read" } });
        platform.RememberSecret(revoked.Secret);
        await new AdminService.AdminServiceClient(platform.Gateway).RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = revoked.Key.Id });
        var readOnly = Client(await KeyAsync("sec-creds", "datasets:read", "models:read", "jobs:read"));

        var none = await StatusOf(() => new DatasetService.DatasetServiceClient(GrpcChannelFor(null)).ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync);
        var wasRevoked = await StatusOf(() => Client(revoked.Secret).Datasets.ListDatasetsAsync(new ListDatasetsRequest()).ResponseAsync);
        var write = await StatusOf(() => UploadAsync(readOnly.Datasets, "x.csv", "a,b\n1,2\n"u8.ToArray()));
        var approve = await StatusOf(() => readOnly.Models.SetModelVersionApprovalAsync(new SetModelVersionApprovalRequest { ModelName = "m", Version = 1 }).ResponseAsync);
        var erase = await StatusOf(() => readOnly.Models.EraseDatasetAsync(new EraseDatasetRequest { DatasetId = Guid.NewGuid().ToString() }).ResponseAsync);
        var upload = await Assert.ThrowsAsync<ByteStreamException>(async () =>
        {
            var path = Path.GetTempFileName();
            try { await readOnly.Bytes.UploadAsync(path, Convert.ToHexStringLower(SHA256.HashData([])), CancellationToken.None); }
            finally { File.Delete(path); }
        });
        using var anonymous = new HttpClient { BaseAddress = platform.GatewayTransfers };
        using var anonymousDownload = await anonymous.GetAsync(ByteStream.ArtifactPath("anything", "model"));

        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (none, wasRevoked));
        Assert.Equal((StatusCode.PermissionDenied, StatusCode.PermissionDenied, StatusCode.PermissionDenied), (write, approve, erase));
        Assert.Equal((HttpStatusCode.Forbidden, "PermissionDenied"), (upload.Status, upload.Title));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousDownload.StatusCode);
        Assert.Empty((await readOnly.Datasets.ListDatasetsAsync(new ListDatasetsRequest())).Datasets);
        Assert.NotNull(await Client(good).Jobs.ListTrainersAsync(new ListTrainersRequest()));
    }

    private Grpc.Net.Client.GrpcChannel GrpcChannelFor(string? key) =>
        key is null ? Grpc.Net.Client.GrpcChannel.ForAddress(platform.GatewayAddress) : PublicCaller.Channel(platform.GatewayAddress, key);

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("model\0name")]
    [InlineData("pеnguins")] // Cyrillic 'е'
    [InlineData("x'; DROP TABLE models; --")]
    [InlineData("models/../../secret")]
    public async Task Hostile_model_names_and_aliases_are_refused_and_nothing_is_stored(string name)
    {
        var client = Client(await KeyAsync("sec-names"));

        var upload = await StatusOf(() => UploadModelAsync(client.Models, name, "bytes"u8.ToArray()));
        var alias = await StatusOf(() => client.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "nothing", Alias = name, Version = 1 }).ResponseAsync);
        var resolve = await StatusOf(() => client.Models.ResolveModelAsync(new ResolveModelRequest { Reference = name }).ResponseAsync);
        var bytes = await Assert.ThrowsAsync<ByteStreamException>(() =>
            client.Bytes.DownloadAsync(ByteStream.ArtifactPath(name, "model"), Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")), CancellationToken.None));

        Assert.Equal(StatusCode.InvalidArgument, upload);
        Assert.Contains(alias, new[] { StatusCode.InvalidArgument, StatusCode.NotFound });
        Assert.Contains(resolve, new[] { StatusCode.InvalidArgument, StatusCode.NotFound });
        Assert.Contains(bytes.Status, new[] { HttpStatusCode.BadRequest, HttpStatusCode.NotFound });
        Assert.Empty((await client.Models.ListModelsAsync(new ListModelsRequest())).Models);
    }

    [Fact]
    public async Task Sql_significant_characters_are_data_wherever_a_string_goes()
    {
        const string sql = "x'); DELETE FROM datasets; -- \" ` \\ % _ ;";
        const string fileName = "x'); DELETE FROM datasets; -- \" ` % _ ;.csv"; // no '\\': a data set name is a file name
        var client = Client(await KeyAsync("sec-sql"));
        var other = Client(await KeyAsync("sec-sql-bystander"));
        var mine = await UploadAsync(other.Datasets, "bystander.csv", "a,b\n1,2\n"u8.ToArray());

        var dataset = await UploadAsync(client.Datasets, fileName, "a,b\n1,2\n"u8.ToArray());
        var model = await UploadModelAsync(client.Models, "sql-model", "sql model"u8.ToArray());
        var tagged = await client.Models.SetModelVersionTagsAsync(new SetModelVersionTagsRequest { ModelName = "sql-model", Version = model.Version, Set = { ["note"] = sql } });
        var card = await client.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "sql-model:1", Limitations = sql });
        var byPrefix = await client.Models.ListModelsAsync(new ListModelsRequest { NamePrefix = "%" });
        var byTag = await client.Models.SearchModelVersionsAsync(new SearchModelVersionsRequest { Tags = { ["note"] = sql } });
        var submit = await StatusOf(() => client.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec { DatasetId = dataset.Id, Task = TrainingTask.Regression, LabelColumn = sql, Trainer = "lightgbm" },
        }).ResponseAsync);
        var erase = await client.Models.EraseDatasetAsync(new EraseDatasetRequest { DatasetId = dataset.Id, RequestReference = sql });

        Assert.Equal(fileName, dataset.Name);
        Assert.Equal(sql, tagged.Tags["note"]);
        Assert.Equal(sql, card.Limitations);
        Assert.Empty(byPrefix.Models);
        Assert.Equal(model.Id, Assert.Single(byTag.Versions).Id);
        Assert.Equal(StatusCode.InvalidArgument, submit);
        Assert.Equal(sql, erase.RequestReference);
        Assert.Equal(mine.Id, Assert.Single((await other.Datasets.ListDatasetsAsync(new ListDatasetsRequest())).Datasets).Id);
    }

    [Fact]
    public async Task The_audit_log_holds_who_changed_what_and_never_a_key()
    {
        var key = await KeyAsync("sec-audit");
        var client = Client(key);
        await UploadModelAsync(client.Models, "audited", "audited bytes"u8.ToArray());

        var events = (await new AdminService.AdminServiceClient(platform.Gateway).ListAuditEventsAsync(new ListAuditEventsRequest { TenantId = "sec-audit" })).Events;

        var upload = Assert.Single(events, e => e.Action == "/platform.models.v1.ModelService/UploadModelVersion");
        Assert.Equal(("e2e-sec-audit", "sec-audit", "OK", "api-key"), (upload.Actor.Split(' ')[0], upload.TenantId, upload.Outcome, upload.Credential));
        Assert.Contains("model_name=audited", upload.Resource, StringComparison.Ordinal);
        Assert.DoesNotContain(key[^43..], events.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(platform.AdminKey[^43..], events.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_service_has_logged_a_key_token_or_password_so_far()
    {
        // The platform checks every log again when it stops, after every test of the run.
        Assert.Empty(platform.LeakedSecrets());
    }
}
