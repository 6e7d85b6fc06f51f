using Grpc.Core;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Aliases, references and approval over real gRPC on PostgreSQL.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class AliasApiTests(PlatformServers servers) : IAsyncLifetime
{
    private readonly byte[] _predictions = Encoding.UTF8.GetBytes("Species,PredictedLabel\nAdelie,Adelie\n");
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    private Task<ModelVersion> RegisterAsync(string model, int job, string tenant = "acme") =>
        _host.RegisterAsync(Registration(model, $"job-{model}-{job}", RandomBytes(1000, seed: job), _predictions), tenant);

    private Task<ModelAlias> SetAliasAsync(string model, string alias, int version = 0, string versionId = "", string actor = "ci@acme") =>
        _host.Models.SetModelAliasAsync(new SetModelAliasRequest
        {
            ModelName = model, Alias = alias, Version = version, VersionId = versionId, Actor = actor,
        }, Acme).ResponseAsync;

    private Task<ModelVersion> ResolveAsync(string reference, string tenant = "acme") =>
        _host.Models.ResolveModelAsync(new ResolveModelRequest { Reference = reference }, ModelStoreHost.Tenant(tenant)).ResponseAsync;

    [Fact]
    public async Task An_alias_resolves_downloads_and_moves()
    {
        var v1 = await RegisterAsync("penguins", 1);
        var v2 = await RegisterAsync("penguins", 2);

        var created = await SetAliasAsync("penguins", "production", version: 1);
        var resolved = await ResolveAsync("penguins@production");
        var prefixed = await ResolveAsync("models/penguins@production");
        var got = await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Alias = "production" }, Acme);
        var (artifact, bytes) = await _host.DownloadModelAsync(new DownloadModelVersionRequest { ModelName = "penguins", Alias = "production" });
        var moved = await SetAliasAsync("penguins", "production", version: 2, actor: "release-bot");
        var afterMove = await ResolveAsync("penguins@production");
        var listed = await _host.Models.ListModelAliasesAsync(new ListModelAliasesRequest { ModelName = "penguins" }, Acme);

        Assert.Equal(("production", 1, 0, "ci@acme"), (created.Alias, created.Version, created.PreviousVersion, created.SetBy));
        Assert.Equal(1, resolved.Version);
        Assert.Equal(["production"], resolved.Aliases);
        Assert.Equal(resolved, prefixed);
        Assert.Equal(resolved, got);
        Assert.Equal(v1.Artifacts.Single(a => a.Kind == "model"), artifact);
        Assert.Equal(RandomBytes(1000, seed: 1), bytes);
        Assert.Equal((2, 1, "release-bot"), (moved.Version, moved.PreviousVersion, moved.SetBy));
        Assert.Equal(v2.Id, afterMove.Id);
        var alias = Assert.Single(listed.Aliases);
        Assert.Equal(("penguins", "production", 2), (alias.ModelName, alias.Alias, alias.Version));
        Assert.Empty((await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, Acme)).Aliases);
    }

    [Fact]
    public async Task A_reference_names_the_latest_version_a_number_or_an_alias()
    {
        await RegisterAsync("penguins", 1);
        var latest = await RegisterAsync("penguins", 2);
        await SetAliasAsync("penguins", "staging", version: 1);

        Assert.Equal(latest, await ResolveAsync("penguins"));
        Assert.Equal(latest, await ResolveAsync("penguins@latest"));
        Assert.Equal(latest, await ResolveAsync("models/penguins"));
        Assert.Equal(1, (await ResolveAsync("penguins:1")).Version);
        Assert.Equal(1, (await ResolveAsync("models/penguins:1")).Version);
        Assert.Equal(1, (await ResolveAsync("penguins@staging")).Version);
    }

    [Fact]
    public async Task An_alias_can_be_set_by_version_id_but_only_to_a_version_of_its_own_model()
    {
        await RegisterAsync("penguins", 1);
        var iris = await RegisterAsync("iris", 2);
        var penguins2 = await RegisterAsync("penguins", 3);

        var byId = await SetAliasAsync("penguins", "candidate", versionId: penguins2.Id);
        var otherModel = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("penguins", "production", versionId: iris.Id));
        var disagreeing = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("penguins", "production", version: 1, versionId: penguins2.Id));

        Assert.Equal(2, byId.Version);
        Assert.Equal(StatusCode.InvalidArgument, otherModel.StatusCode);
        Assert.StartsWith($"version_id: '{iris.Id}' is version iris:1, not a version of model 'penguins'", otherModel.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, disagreeing.StatusCode);
        var aliases = await _host.Models.ListModelAliasesAsync(new ListModelAliasesRequest { ModelName = "penguins" }, Acme);
        Assert.Equal(["candidate"], aliases.Aliases.Select(a => a.Alias));
    }

    [Fact]
    public async Task Unknown_models_versions_and_aliases_are_not_found()
    {
        await RegisterAsync("penguins", 1);
        var globex = await RegisterAsync("penguins", 2, tenant: "globex");

        var version = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("penguins", "production", version: 9));
        var model = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("iris", "production", version: 1));
        var alias = await Assert.ThrowsAsync<RpcException>(() => ResolveAsync("penguins@staging"));
        var download = await Assert.ThrowsAsync<RpcException>(() =>
            _host.DownloadModelAsync(new DownloadModelVersionRequest { ModelName = "penguins", Alias = "staging" }));
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("penguins", "production", versionId: globex.Id));
        var removeUnknown = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.DeleteModelAliasAsync(new DeleteModelAliasRequest { ModelName = "penguins", Alias = "staging", Actor = "me" }, Acme).ResponseAsync);

        Assert.All(new[] { version, model, alias, download, otherTenant, removeUnknown }, e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
        Assert.Equal("model version 'penguins:9' was not found", version.Status.Detail);
        Assert.Equal("model 'iris' was not found", model.Status.Detail);
        Assert.Equal("alias 'penguins@staging' was not found", alias.Status.Detail);
        Assert.Equal($"model version '{globex.Id}' was not found", otherTenant.Status.Detail);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("1st")]
    [InlineData("latest")]
    [InlineData("../prod")]
    [InlineData("prod/blue")]
    [InlineData("prod blue")]
    [InlineData("")]
    public async Task Invalid_alias_names_are_named(string alias)
    {
        await RegisterAsync("penguins", 1);

        var error = await Assert.ThrowsAsync<RpcException>(() => SetAliasAsync("penguins", alias, version: 1));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("alias: ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("penguins@")]
    [InlineData("penguins:")]
    [InlineData("penguins:0")]
    [InlineData("penguins:-1")]
    [InlineData("penguins:v2")]
    [InlineData("penguins@prod@blue")]
    [InlineData("penguins:1@prod")]
    [InlineData("../penguins")]
    [InlineData("models/../penguins")]
    [InlineData("models/")]
    [InlineData("pen/guins")]
    public async Task Invalid_references_are_named(string reference)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => ResolveAsync(reference));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("reference: ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_moves_of_one_alias_queue_up_and_each_reports_the_version_it_replaced()
    {
        const int versions = 8;
        for (var i = 1; i <= versions; i++) await RegisterAsync("penguins", i);

        var moves = await Task.WhenAll(Enumerable.Range(1, versions).Select(v =>
            Task.Run(() => SetAliasAsync("penguins", "production", version: v, actor: $"deployer-{v}"))));

        // Serialised moves form one chain: the first replaced nothing, each later one replaced its predecessor's
        // version, and the alias ends where the last move put it.
        var byPrevious = moves.ToDictionary(m => m.PreviousVersion);
        var chain = new List<int>();
        for (var previous = 0; byPrevious.TryGetValue(previous, out var move); previous = move.Version)
            chain.Add(move.Version);
        Assert.Equal(Enumerable.Range(1, versions), chain.Order());
        Assert.Equal(chain[^1], (await ResolveAsync("penguins@production")).Version);
    }

    [Fact]
    public async Task A_removed_alias_no_longer_resolves()
    {
        await RegisterAsync("penguins", 1);
        await SetAliasAsync("penguins", "production", version: 1);

        var removed = await _host.Models.DeleteModelAliasAsync(
            new DeleteModelAliasRequest { ModelName = "penguins", Alias = "production", Actor = "ci@acme" }, Acme);
        var error = await Assert.ThrowsAsync<RpcException>(() => ResolveAsync("penguins@production"));

        Assert.Equal(1, removed.PreviousVersion);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Approval_records_the_status_who_decided_when_and_why()
    {
        var registered = await RegisterAsync("penguins", 1);

        var approved = await _host.Models.SetModelVersionApprovalAsync(new SetModelVersionApprovalRequest
        {
            ModelName = "penguins", Version = 1, Status = ApprovalStatus.Approved, Actor = "alice@acme", Comment = "AUC above the bar",
        }, Acme);
        var got = await _host.Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins", Version = 1 }, Acme);
        var found = await _host.Models.SearchModelVersionsAsync(new SearchModelVersionsRequest { ApprovalStatus = ApprovalStatus.Approved }, Acme);
        var pending = await _host.Models.SearchModelVersionsAsync(new SearchModelVersionsRequest { ApprovalStatus = ApprovalStatus.Pending }, Acme);

        Assert.Equal(ApprovalStatus.Pending, registered.Approval.Status);
        Assert.Null(registered.Approval.DecidedAt);
        Assert.Equal((ApprovalStatus.Approved, "alice@acme", "AUC above the bar"), (approved.Approval.Status, approved.Approval.Actor, approved.Approval.Comment));
        Assert.InRange(approved.Approval.DecidedAt.ToDateTimeOffset(), registered.CreatedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(approved, got);
        Assert.Equal([1], found.Versions.Select(v => v.Version));
        Assert.Empty(pending.Versions);
    }

    public static TheoryData<string, SetModelVersionApprovalRequest> InvalidApprovals => new()
    {
        { "status", new SetModelVersionApprovalRequest { ModelName = "penguins", Version = 1, Actor = "alice" } },
        { "actor", new SetModelVersionApprovalRequest { ModelName = "penguins", Version = 1, Status = ApprovalStatus.Rejected } },
        { "version", new SetModelVersionApprovalRequest { ModelName = "penguins", Status = ApprovalStatus.Rejected, Actor = "alice" } },
        { "model_name", new SetModelVersionApprovalRequest { ModelName = "../penguins", Version = 1, Status = ApprovalStatus.Rejected, Actor = "alice" } },
    };

    [Theory]
    [MemberData(nameof(InvalidApprovals))]
    public async Task Invalid_approvals_are_named_and_change_nothing(string field, SetModelVersionApprovalRequest request)
    {
        await RegisterAsync("penguins", 1);

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Models.SetModelVersionApprovalAsync(request, Acme).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"{field}: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ApprovalStatus.Pending, (await ResolveAsync("penguins:1")).Approval.Status);
    }
}
