using Microsoft.EntityFrameworkCore;
using Platform.Datasets.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Testing.Grpc;

namespace Platform.ModelStore.Tests.Grpc;

public sealed class DatasetGrpcServiceTests : IDisposable
{
    private readonly SqliteModelStore _store = new();

    public void Dispose() => _store.Dispose();

    private Task<Dataset> UploadAsync(IEnumerable<UploadDatasetRequest> messages, string tenant = "acme") =>
        _store.Datasets().UploadDataset(new TestAsyncStreamReader<UploadDatasetRequest>(messages), TestServerCallContext.ForTenant(tenant));

    private async Task<byte[]> DownloadAsync(string datasetId, string tenant = "acme")
    {
        var context = TestServerCallContext.ForTenant(tenant);
        var writer = new TestServerStreamWriter<DataChunk>(context);
        await _store.Datasets().DownloadDataset(new DownloadDatasetRequest { DatasetId = datasetId }, writer, context);
        Assert.All(writer.Messages, m => Assert.InRange(m.Data.Length, 1, Platform.ModelStore.Blobs.BlobStore.ChunkSize));
        return writer.Messages.SelectMany(m => m.Data.ToByteArray()).ToArray();
    }

    private async Task AssertNothingStoredAsync()
    {
        await using var db = _store.NewDbContext();
        Assert.Equal(0, await db.Datasets.CountAsync());
        Assert.Equal(0, _store.BlobFileCount);
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task Upload_profiles_and_stores_the_file_and_download_returns_the_same_bytes()
    {
        var penguins = Requests.Penguins();

        var dataset = await UploadAsync(Requests.Upload("penguins.csv", penguins, chunkSize: 1000));

        Assert.True(Guid.TryParse(dataset.Id, out _));
        Assert.Equal("acme", dataset.TenantId);
        Assert.Equal("penguins.csv", dataset.Name);
        Assert.Equal(DatasetFormat.Csv, dataset.Format);
        Assert.Equal(Requests.Sha256(penguins), dataset.Sha256);
        Assert.Equal(penguins.Length, dataset.SizeBytes);
        Assert.Equal(344, dataset.RowCount);
        Assert.Equal(
            ["Species:Categorical:0", "Island:Categorical:0", "Beak Length (mm):Numeric:2", "Beak Depth (mm):Numeric:2",
             "Flipper Length (mm):Numeric:2", "Body Mass (g):Numeric:2", "Sex:Categorical:10"],
            dataset.Columns.Select(c => $"{c.Name}:{c.Type}:{c.MissingCount}"));
        Assert.Equal(_store.Time.GetUtcNow(), dataset.CreatedAt.ToDateTimeOffset());

        Assert.Equal(dataset, await _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = dataset.Id }, TestServerCallContext.ForTenant("acme")));
        Assert.Equal(penguins, await DownloadAsync(dataset.Id));
        Assert.Equal(0, _store.TempFileCount);
    }

    [Fact]
    public async Task Without_a_tenant_header_the_default_tenant_owns_the_upload()
    {
        var dataset = await _store.Datasets().UploadDataset(
            new TestAsyncStreamReader<UploadDatasetRequest>(Requests.Upload("a.csv", "x\n1\n")), new TestServerCallContext());

        Assert.Equal("default", dataset.TenantId);
    }

    [Fact]
    public async Task The_same_bytes_uploaded_twice_are_two_datasets_sharing_one_blob()
    {
        var first = await UploadAsync(Requests.Upload("a.csv", "x\n1\n"));
        var second = await UploadAsync(Requests.Upload("b.csv", "x\n1\n"));

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(1, _store.BlobFileCount);
    }

    [Fact]
    public async Task A_matching_client_checksum_is_accepted_in_any_case()
    {
        var bytes = Encoding.UTF8.GetBytes("x\n1\n");

        var dataset = await UploadAsync(Requests.Upload("a.csv", bytes, sha256: Requests.Sha256(bytes).ToUpperInvariant()));

        Assert.Equal(Requests.Sha256(bytes), dataset.Sha256);
    }

    [Fact]
    public async Task A_client_checksum_that_does_not_match_is_data_loss_and_nothing_is_stored()
    {
        var bytes = Encoding.UTF8.GetBytes("x\n1\n");

        var error = await Assert.ThrowsAsync<DataLossException>(() =>
            UploadAsync(Requests.Upload("a.csv", bytes, sha256: new string('0', 64))));

        Assert.Contains(Requests.Sha256(bytes), error.Message, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    public static TheoryData<string, byte[], string> InvalidContent => new()
    {
        { "empty", [], "content: dataset is empty" },
        { "header only", Encoding.UTF8.GetBytes("a,b\n"), "content: dataset has a header but no data rows" },
        { "ragged", Encoding.UTF8.GetBytes("a,b\n1,2\n3\n"), "content: row 2 (line 3) has 1 field, the header has 2" },
        { "unterminated quote", Encoding.UTF8.GetBytes("a,b\n1,\"2\n"), "content: row 1 (line 2), column 'b': a quoted field is not closed before the end of the file" },
        { "duplicate column", Encoding.UTF8.GetBytes("a,a\n1,2\n"), "content: the header (line 1): column 2 'a' has the same name as column 1" },
        { "binary", [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00], "content: dataset is not CSV: it contains binary data (a NUL byte at offset 4)" },
        { "latin-1", [(byte)'a', (byte)'\n', 0xE9, (byte)'\n'], "content: dataset is not UTF-8 text: invalid byte sequence at offset 2 (save the file as UTF-8)" },
    };

    [Theory]
    [MemberData(nameof(InvalidContent))]
    public async Task Invalid_content_is_rejected_naming_what_is_wrong_and_nothing_is_stored(string _, byte[] bytes, string message)
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(Requests.Upload("bad.csv", bytes, chunkSize: 3)));

        Assert.Equal("content", error.Field);
        Assert.Equal(message, error.Message);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task The_header_must_come_first()
    {
        var messages = Requests.Upload("a.csv", "x\n1\n").Skip(1);

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(messages));

        Assert.Equal("header", error.Field);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_second_header_is_rejected()
    {
        var messages = Requests.Upload("a.csv", "x\n1\n").Concat(Requests.Upload("b.csv", "x\n2\n"));

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(messages));

        Assert.Equal("header", error.Field);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_empty_stream_is_missing_its_header()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync([]));

        Assert.Equal("header", error.Field);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../etc/passwd")]
    [InlineData("data/penguins.csv")]
    [InlineData("data\\penguins.csv")]
    [InlineData("penguins..csv")]
    [InlineData("bad\nname.csv")]
    public async Task Names_that_could_be_paths_are_rejected(string name)
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(Requests.Upload(name, "x\n1\n")));

        Assert.Equal("header.name", error.Field);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_unknown_format_is_rejected()
    {
        var messages = Requests.Upload("a.csv", "x\n1\n");
        messages[0].Header.Format = (DatasetFormat)7;

        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(messages));

        Assert.Equal("header.format", error.Field);
    }

    [Fact]
    public async Task A_malformed_client_checksum_is_rejected()
    {
        var error = await Assert.ThrowsAsync<InvalidArgumentException>(() => UploadAsync(Requests.Upload("a.csv", Encoding.UTF8.GetBytes("x\n1\n"), sha256: "abc")));

        Assert.Equal("header.sha256", error.Field);
    }

    [Fact]
    public async Task An_upload_cut_short_by_the_client_leaves_nothing()
    {
        var messages = Requests.Upload("penguins.csv", Requests.Penguins(), chunkSize: 1000);
        var context = TestServerCallContext.ForTenant("acme");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _store.Datasets().UploadDataset(new CancelledMidStreamReader<UploadDatasetRequest>(messages, cancelAfter: 5, context), context));

        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Get_names_a_malformed_id_and_an_unknown_one()
    {
        var context = TestServerCallContext.ForTenant("acme");
        var unknown = Guid.NewGuid().ToString();

        var invalid = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = "penguins" }, context));
        var notFound = await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = unknown }, context));

        Assert.Equal("dataset_id", invalid.Field);
        Assert.Equal($"dataset '{unknown}' was not found", notFound.Message);
    }

    [Fact]
    public async Task Another_tenant_cannot_see_get_or_download_a_dataset()
    {
        var dataset = await UploadAsync(Requests.Upload("a.csv", "x\n1\n"), tenant: "acme");
        var other = TestServerCallContext.ForTenant("globex");

        await Assert.ThrowsAsync<NotFoundException>(() =>
            _store.Datasets().GetDataset(new GetDatasetRequest { DatasetId = dataset.Id }, other));
        await Assert.ThrowsAsync<NotFoundException>(() => DownloadAsync(dataset.Id, tenant: "globex"));
        Assert.Empty((await _store.Datasets().ListDatasets(new ListDatasetsRequest(), other)).Datasets);
    }

    [Fact]
    public async Task List_pages_through_a_tenants_datasets_newest_first()
    {
        var uploaded = new List<Dataset>();
        for (var i = 0; i < 5; i++)
        {
            uploaded.Add(await UploadAsync(Requests.Upload($"d{i}.csv", $"x\n{i}\n")));
            if (i != 2) _store.Time.Advance(TimeSpan.FromSeconds(1)); // d2 and d3 share a timestamp
        }
        await UploadAsync(Requests.Upload("other.csv", "x\n1\n"), tenant: "globex");

        var seen = new List<Dataset>();
        var request = new ListDatasetsRequest { PageSize = 2 };
        var pages = 0;
        do
        {
            var page = await _store.Datasets().ListDatasets(request, TestServerCallContext.ForTenant("acme"));
            Assert.InRange(page.Datasets.Count, 1, 2);
            seen.AddRange(page.Datasets);
            request.PageToken = page.NextPageToken;
            pages++;
        }
        while (request.PageToken != "");

        Assert.Equal(3, pages);
        // d2 and d3 tie on time; the id breaks the tie, so their order is fixed but not chosen by the test.
        Assert.Equal(["d4.csv", "d2.csv|d3.csv", "d2.csv|d3.csv", "d1.csv", "d0.csv"],
            seen.Select(d => d.Name is "d2.csv" or "d3.csv" ? "d2.csv|d3.csv" : d.Name));
        Assert.Equal(uploaded.Select(d => d.Id).ToHashSet(), seen.Select(d => d.Id).ToHashSet());
        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public async Task List_rejects_a_negative_page_size_and_a_foreign_token()
    {
        var context = TestServerCallContext.ForTenant("acme");

        var size = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            _store.Datasets().ListDatasets(new ListDatasetsRequest { PageSize = -1 }, context));
        var token = await Assert.ThrowsAsync<InvalidArgumentException>(() =>
            _store.Datasets().ListDatasets(new ListDatasetsRequest { PageToken = "bm90LWEtdG9rZW4" }, context));

        Assert.Equal("page_size", size.Field);
        Assert.Equal("page_token", token.Field);
    }
}
