using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Version search, model listing by prefix, tags and lineage over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class SearchApiTests(PlatformServers servers) : IAsyncLifetime
{
    private const string DatasetA = "0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11";
    private const string DatasetB = "0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c22";
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private Task<ModelVersion> RegisterAsync(string model, int job, double accuracy, string dataset, params (string Key, string Value)[] tags)
    {
        var version = Version(model, $"job-{job}");
        version.DatasetId = dataset;
        version.Metrics["accuracy"] = accuracy;
        foreach (var (key, value) in tags) version.Tags[key] = value;
        return _host.RegisterAsync(Registration(version, new ArtifactUpload("model", RandomBytes(500, seed: job)), new ArtifactUpload("predictions", _predictions)));
    }

    private async Task<List<string>> SearchAsync(SearchModelVersionsRequest request)
    {
        var response = await _host.Models.SearchModelVersionsAsync(request, Acme);
        return [.. response.Versions.Select(v => $"{v.ModelName}:{v.Version}")];
    }

    [Fact]
    public async Task Search_filters_by_name_tags_metrics_data_set_approval_and_creation_time_newest_first()
    {
        var p1 = await RegisterAsync("penguins", 1, 0.80, DatasetA, ("team", "vision"));
        var p2 = await RegisterAsync("penguins", 2, 0.93, DatasetA, ("team", "vision"), ("candidate", "yes"));
        var v1 = await RegisterAsync("penguins-v2", 3, 0.95, DatasetB, ("team", "tabular"));
        var i1 = await RegisterAsync("iris", 4, 0.99, DatasetB, ("candidate", ""));
        await _host.RegisterAsync(Registration("penguins", "job-other", RandomBytes(10, seed: 9), _predictions), tenant: "globex");

        Assert.Equal(["iris:1", "penguins-v2:1", "penguins:2", "penguins:1"], await SearchAsync(new SearchModelVersionsRequest()));
        Assert.Equal(["penguins-v2:1", "penguins:2", "penguins:1"], await SearchAsync(new SearchModelVersionsRequest { ModelNamePrefix = "pen" }));
        Assert.Equal(["penguins:2", "penguins:1"], await SearchAsync(new SearchModelVersionsRequest { ModelName = "penguins" }));
        Assert.Equal(["penguins:2", "penguins:1"], await SearchAsync(new SearchModelVersionsRequest { Tags = { ["team"] = "vision" } }));
        Assert.Equal(["iris:1", "penguins:2"], await SearchAsync(new SearchModelVersionsRequest { TagKeys = { "candidate" } }));
        Assert.Equal(["penguins:2"], await SearchAsync(new SearchModelVersionsRequest { Tags = { ["team"] = "vision" }, TagKeys = { "candidate" } }));
        Assert.Equal(["iris:1", "penguins-v2:1", "penguins:2"], await SearchAsync(new SearchModelVersionsRequest
        {
            Metrics = { new MetricFilter { Name = "accuracy", Min = 0.9 } },
        }));
        Assert.Equal(["penguins-v2:1", "penguins:2"], await SearchAsync(new SearchModelVersionsRequest
        {
            Metrics = { new MetricFilter { Name = "accuracy", Min = 0.9, Max = 0.95 } },
        }));
        Assert.Equal(["penguins:1"], await SearchAsync(new SearchModelVersionsRequest { Metrics = { new MetricFilter { Name = "accuracy", Max = 0.8 } } }));
        // log_loss is NaN in every registration: NaN never meets a threshold, not even an open one.
        Assert.Empty(await SearchAsync(new SearchModelVersionsRequest { Metrics = { new MetricFilter { Name = "log_loss", Min = double.MinValue } } }));
        Assert.Empty(await SearchAsync(new SearchModelVersionsRequest { Metrics = { new MetricFilter { Name = "rmse" } } }));
        Assert.Equal(["iris:1", "penguins-v2:1"], await SearchAsync(new SearchModelVersionsRequest { DatasetId = DatasetB }));
        Assert.Equal(["penguins-v2:1", "penguins:2"], await SearchAsync(new SearchModelVersionsRequest
        {
            CreatedAfter = p2.CreatedAt, CreatedBefore = i1.CreatedAt,
        }));
        Assert.Equal(["penguins:1"], await SearchAsync(new SearchModelVersionsRequest { CreatedBefore = p2.CreatedAt }));
        Assert.NotEqual(p1.Id, v1.Id);
    }

    [Fact]
    public async Task Search_pages_through_every_match_once()
    {
        for (var i = 1; i <= 7; i++)
            await RegisterAsync(i % 2 == 0 ? "penguins" : "iris", i, 0.9, DatasetA);

        var all = await SearchAsync(new SearchModelVersionsRequest());
        var paged = new List<string>();
        var request = new SearchModelVersionsRequest { PageSize = 3 };
        do
        {
            var page = await _host.Models.SearchModelVersionsAsync(request, Acme);
            Assert.InRange(page.Versions.Count, 1, 3);
            paged.AddRange(page.Versions.Select(v => $"{v.ModelName}:{v.Version}"));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken != "");

        Assert.Equal(7, all.Count);
        Assert.Equal(all, paged);
    }

    public static TheoryData<string, SearchModelVersionsRequest> InvalidSearches => new()
    {
        { "metrics[0].name", new SearchModelVersionsRequest { Metrics = { new MetricFilter { Min = 1 } } } },
        { "metrics[0].min", new SearchModelVersionsRequest { Metrics = { new MetricFilter { Name = "auc", Min = double.NaN } } } },
        { "metrics[0]", new SearchModelVersionsRequest { Metrics = { new MetricFilter { Name = "auc", Min = 0.9, Max = 0.1 } } } },
        { "dataset_id", new SearchModelVersionsRequest { DatasetId = "penguins.csv" } },
        { "tag_keys", new SearchModelVersionsRequest { TagKeys = { "bad key" } } },
        { "model_name", new SearchModelVersionsRequest { ModelName = "../penguins" } },
        { "page_token", new SearchModelVersionsRequest { PageToken = "not-a-token" } },
        { "page_size", new SearchModelVersionsRequest { PageSize = -1 } },
    };

    [Theory]
    [MemberData(nameof(InvalidSearches))]
    public async Task Invalid_search_filters_are_named(string field, SearchModelVersionsRequest request)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Models.SearchModelVersionsAsync(request, Acme).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_are_listed_by_name_prefix()
    {
        foreach (var (name, job) in new[] { ("penguins", 1), ("penguins-v2", 2), ("iris", 3), ("pen", 4) })
            await RegisterAsync(name, job, 0.9, DatasetA);

        var listed = await _host.Models.ListModelsAsync(new ListModelsRequest { NamePrefix = "pen" }, Acme);
        var paged = await _host.Models.ListModelsAsync(new ListModelsRequest { NamePrefix = "pen", PageSize = 2 }, Acme);
        var rest = await _host.Models.ListModelsAsync(new ListModelsRequest { NamePrefix = "pen", PageSize = 2, PageToken = paged.NextPageToken }, Acme);

        Assert.Equal(["pen", "penguins", "penguins-v2"], listed.Models.Select(m => m.Name));
        Assert.Equal(["pen", "penguins"], paged.Models.Select(m => m.Name));
        Assert.Equal(["penguins-v2"], rest.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task Tags_are_set_overwritten_and_removed()
    {
        await RegisterAsync("penguins", 1, 0.9, DatasetA, ("team", "vision"));

        var set = await _host.Models.SetModelVersionTagsAsync(new SetModelVersionTagsRequest
        {
            ModelName = "penguins", Version = 1, Set = { ["stage"] = "candidate", ["owner"] = "ml-team" },
        }, Acme);
        var changed = await _host.Models.SetModelVersionTagsAsync(new SetModelVersionTagsRequest
        {
            ModelName = "penguins", Version = 1, Set = { ["stage"] = "approved" }, Remove = { "owner", "not-there" },
        }, Acme);

        Assert.Equal(new Dictionary<string, string> { ["team"] = "vision", ["stage"] = "candidate", ["owner"] = "ml-team" }, set.Tags);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "vision", ["stage"] = "approved" }, changed.Tags);
        Assert.Equal(["penguins:1"], await SearchAsync(new SearchModelVersionsRequest { Tags = { ["stage"] = "approved" } }));
    }

    public static TheoryData<string, SetModelVersionTagsRequest> InvalidTagChanges
    {
        get
        {
            var tooMany = new SetModelVersionTagsRequest { ModelName = "penguins", Version = 1 };
            for (var i = 0; i < 50; i++) tooMany.Set[$"k{i}"] = "v";
            return new()
            {
                { "set", new SetModelVersionTagsRequest { ModelName = "penguins", Version = 1, Set = { ["bad key"] = "v" } } },
                { "set[k]", new SetModelVersionTagsRequest { ModelName = "penguins", Version = 1, Set = { ["k"] = new string('v', 257) } } },
                { "remove", new SetModelVersionTagsRequest { ModelName = "penguins", Version = 1, Set = { ["k"] = "v" }, Remove = { "k" } } },
                { "version", new SetModelVersionTagsRequest { ModelName = "penguins", Set = { ["k"] = "v" } } },
                // The registration's "team" tag makes this one too many.
                { "set", tooMany },
            };
        }
    }

    [Theory]
    [MemberData(nameof(InvalidTagChanges))]
    public async Task Invalid_tag_changes_are_named_and_change_nothing(string field, SetModelVersionTagsRequest request)
    {
        await RegisterAsync("penguins", 1, 0.9, DatasetA, ("team", "vision"));

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Models.SetModelVersionTagsAsync(request, Acme).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
        var version = await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, Acme);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "vision" }, version.Tags);
    }

    [Fact]
    public async Task Every_lineage_field_the_worker_sends_is_stored_and_returned()
    {
        var sent = Version("penguins", "job-1");
        sent.Attempt = 2;
        sent.PreparationSteps.Add(new PreparationStep { Kind = "replace_missing", Columns = { "bill_length_mm", "body_mass_g" }, Parameters = { ["mode"] = "mean" } });
        sent.PreparationSteps.Add(new PreparationStep { Kind = "one_hot", Columns = { "island" } });
        sent.PlatformVersion = "0.5.0";
        sent.GitCommit = "3f2c1a9e0b7d";
        sent.TrainingSeconds = 12.5;
        sent.TrainedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 11, 1, 10, 0, 0, TimeSpan.Zero));
        sent.Worker = "worker-7f9c";
        sent.InputSchema.Add(new SchemaColumn { Name = "bill_length_mm", Type = "Single" });
        sent.InputSchema.Add(new SchemaColumn { Name = "island", Type = "String" });
        sent.OutputSchema.Add(new SchemaColumn { Name = "PredictedLabel", Type = "String" });
        sent.OutputSchema.Add(new SchemaColumn { Name = "Score", Type = "Vector<Single, 3>" });
        sent.Tags["team"] = "vision";
        sent.Description = "Nightly retrain.\nSee the card.";

        var registered = await _host.RegisterAsync(Registration(sent, new ArtifactUpload("model", RandomBytes(100, seed: 1))));
        var got = await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, Acme);

        var expected = sent.Clone();
        expected.Version = 1;
        expected.TenantId = "acme";
        expected.Id = registered.Id;
        expected.Source = ModelVersionSource.TrainingJob;
        expected.CreatedAt = registered.CreatedAt;
        expected.Approval = new ModelVersionApproval { Status = ApprovalStatus.Pending };
        expected.Artifacts.Add(registered.Artifacts);
        Assert.Equal(expected, registered);
        Assert.Equal(registered, got);
    }

    public static TheoryData<string, Action<ModelVersion>> InvalidLineage => new()
    {
        { "version.attempt", v => v.Attempt = -1 },
        { "version.training_seconds", v => v.TrainingSeconds = double.NaN },
        { "version.preparation_steps[0].kind", v => v.PreparationSteps.Add(new PreparationStep { Columns = { "a" } }) },
        { "version.input_schema[0].type", v => v.InputSchema.Add(new SchemaColumn { Name = "a" }) },
        { "version.output_schema[0].name", v => v.OutputSchema.Add(new SchemaColumn { Type = "Single" }) },
        { "version.worker", v => v.Worker = "worker\u0000" },
        { "version.tags[bad key]", v => v.Tags["bad key"] = "x" },
        { "version.git_commit", v => v.GitCommit = new string('a', 201) },
    };

    [Theory]
    [MemberData(nameof(InvalidLineage))]
    public async Task Invalid_lineage_is_named_and_registers_nothing(string field, Action<ModelVersion> spoil)
    {
        var version = Version("penguins", "job-1");
        spoil(version);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.RegisterAsync(Registration(version, new ArtifactUpload("model", RandomBytes(100, seed: 1)))));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
    }
}
