using System.Security.Cryptography;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Testing;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>DatasetService over real gRPC on PostgreSQL, as the CLI and the gateway use it.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class DatasetApiTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal((0, 0, 0, 0), await _host.CountRowsAsync());
        Assert.Equal(0, _host.BlobFileCount);
        Assert.Equal(0, _host.TempFileCount);
    }

    [Fact]
    public async Task Upload_get_list_and_download_round_trip_keeps_the_bytes_and_their_sha256()
    {
        var penguins = Requests.Penguins();
        var sha256 = Requests.Sha256(penguins);

        var uploaded = await _host.UploadAsync(Requests.Upload("penguins.csv", penguins, sha256: sha256));
        var got = await _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = uploaded.Id }, ModelStoreHost.Tenant("acme"));
        var listed = await _host.Datasets.ListDatasetsAsync(new ListDatasetsRequest(), ModelStoreHost.Tenant("acme"));
        var downloaded = await _host.DownloadAsync(uploaded.Id);

        Assert.Equal(sha256, uploaded.Sha256);
        Assert.Equal(344, uploaded.RowCount);
        Assert.Equal(10, uploaded.Columns.Single(c => c.Name == "Sex").MissingCount);
        Assert.Equal(uploaded, got);
        Assert.Equal(uploaded, Assert.Single(listed.Datasets));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(downloaded)));
        Assert.Equal(penguins, downloaded);
    }

    [Fact]
    public async Task A_file_larger_than_any_message_streams_both_ways()
    {
        // 12 MB: more than the 8 MiB message limit, so it only gets through in chunks.
        var csv = new StringBuilder("id,value,flag,label\n");
        for (var i = 0; csv.Length < 12_000_000; i++)
            csv.Append(i).Append(',').Append(i * 0.5).Append(',').Append(i % 2 == 0 ? "true" : "false").Append(",\"label, ").Append(i % 7).Append("\"\n");
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());

        var dataset = await _host.UploadAsync(Requests.Upload("big.csv", bytes));

        Assert.Equal(bytes.Length, dataset.SizeBytes);
        Assert.Equal(["Numeric", "Numeric", "Boolean", "Categorical"], dataset.Columns.Select(c => c.Type.ToString()));
        Assert.Equal(Requests.Sha256(bytes), Requests.Sha256(await _host.DownloadAsync(dataset.Id)));
    }

    public static TheoryData<string, StatusCode, string> BadUploads => new()
    {
        { "empty", StatusCode.InvalidArgument, "content: dataset is empty" },
        { "not csv", StatusCode.InvalidArgument, "content: dataset is not CSV" },
        { "ragged row", StatusCode.InvalidArgument, "content: row 2 (line 3) has 1 field, the header has 3" },
        { "no header message", StatusCode.InvalidArgument, "header: " },
        { "path as name", StatusCode.InvalidArgument, "header.name: " },
        { "checksum mismatch", StatusCode.DataLoss, "header.sha256: the bytes received hash to " },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_gets_its_status_and_stores_nothing(string upload, StatusCode status, string message)
    {
        var messages = upload switch
        {
            "empty" => Requests.Upload("empty.csv", []),
            "not csv" => Requests.Upload("model.zip", Requests.RandomBytes(200_000, seed: 1)),
            "ragged row" => Requests.Upload("ragged.csv", "a,b,c\n1,2,3\n4\n"),
            "no header message" => Requests.Upload("a.csv", "a\n1\n").Skip(1).ToList(),
            "path as name" => Requests.Upload("../../etc/cron.d/x", "a\n1\n"),
            "checksum mismatch" => Requests.Upload("a.csv", Encoding.UTF8.GetBytes("a\n1\n"), sha256: new string('0', 64)),
            _ => throw new ArgumentOutOfRangeException(nameof(upload)),
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(messages));

        Assert.Equal(status, error.StatusCode);
        Assert.StartsWith(message, error.Status.Detail, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Unknown_and_malformed_ids_are_named()
    {
        var unknown = Guid.NewGuid().ToString();

        var notFound = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = unknown }, ModelStoreHost.Tenant("acme")).ResponseAsync);
        var malformed = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = "penguins.csv" }, ModelStoreHost.Tenant("acme")).ResponseAsync);
        var download = await Assert.ThrowsAsync<RpcException>(() => _host.DownloadAsync(unknown));

        Assert.Equal((StatusCode.NotFound, $"dataset '{unknown}' was not found"), (notFound.StatusCode, notFound.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.StartsWith("dataset_id: ", malformed.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, download.StatusCode);
    }

    [Fact]
    public async Task Tenants_see_only_their_own_datasets()
    {
        var acme = await _host.UploadAsync(Requests.Upload("a.csv", "x\n1\n"), tenant: "acme");
        var globex = await _host.UploadAsync(Requests.Upload("g.csv", "x\n2\n"), tenant: "globex");

        var acmeList = await _host.Datasets.ListDatasetsAsync(new ListDatasetsRequest(), ModelStoreHost.Tenant("acme"));
        var asGlobex = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = acme.Id }, ModelStoreHost.Tenant("globex")).ResponseAsync);
        var downloadAsGlobex = await Assert.ThrowsAsync<RpcException>(() => _host.DownloadAsync(acme.Id, tenant: "globex"));

        Assert.Equal([acme.Id], acmeList.Datasets.Select(d => d.Id));
        Assert.Equal("globex", globex.TenantId);
        Assert.Equal(StatusCode.NotFound, asGlobex.StatusCode);
        Assert.Equal(StatusCode.NotFound, downloadAsGlobex.StatusCode);
    }

    [Fact]
    public async Task An_invalid_tenant_header_is_rejected()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Datasets.ListDatasetsAsync(new ListDatasetsRequest(), ModelStoreHost.Tenant("Not A Tenant!")).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("x-tenant-id: ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_gaps_or_repeats()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add((await _host.UploadAsync(Requests.Upload($"d{i}.csv", $"x\n{i}\n"))).Id);

        var seen = new List<string>();
        var request = new ListDatasetsRequest { PageSize = 2 };
        do
        {
            var page = await _host.Datasets.ListDatasetsAsync(request, ModelStoreHost.Tenant("acme"));
            seen.AddRange(page.Datasets.Select(d => d.Id));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken != "");

        ids.Reverse();
        Assert.Equal(ids, seen);
    }
}
