using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// Issue 14's limits and issue 15's defects 4 and 7 as a client meets them on the real store: each refusal names the
/// limit or rule (and its value), echoes at most a cut value, and stores nothing.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class LimitsApiTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers, settings: new Dictionary<string, string?>
    {
        ["Platform:Grpc:MaxMessageBytes"] = (2 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
        ["ModelStore:Datasets:MaxBytes"] = "100000",
        ["ModelStore:Datasets:MaxColumns"] = "50",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_message_over_the_grpc_limit_is_resource_exhausted_naming_the_limit_unary_and_streamed()
    {
        var unary = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = new string('x', 3 * 1024 * 1024) }, ModelStoreHost.Tenant("acme")));
        var streamed = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(
            [new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = "big.csv" } },
             new UploadDatasetRequest { Chunk = ByteString.CopyFrom(new byte[3 * 1024 * 1024]) }]));

        foreach (var error in new[] { unary, streamed })
        {
            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Equal("Platform:Grpc:MaxMessageBytes: a message is larger than this service accepts (2097152 bytes); nothing was stored", error.Status.Detail);
        }
        await _host.AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_data_set_over_the_size_or_column_limit_is_refused_naming_the_limit_and_its_value()
    {
        var large = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(
            Upload("large.csv", "a,b\n" + string.Concat(Enumerable.Repeat("1,2\n", 30_000)))));
        var wide = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(
            Upload("wide.csv", string.Join(",", Enumerable.Range(0, 51).Select(i => $"c{i}")) + "\n" + string.Join(",", Enumerable.Range(0, 51)) + "\n")));

        Assert.Equal(StatusCode.ResourceExhausted, large.StatusCode);
        Assert.Equal("ModelStore:Datasets:MaxBytes: the data set is larger than this store accepts (100000 bytes); nothing was stored", large.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, wide.StatusCode);
        Assert.Contains("more than 50 columns, the most a data set may have (ModelStore:Datasets:MaxColumns = 50)", wide.Status.Detail, StringComparison.Ordinal);
        await _host.AssertNothingStoredAsync();
    }

    /// <summary>Issue 15, defect 4: a name with a trailing space was accepted and then failed every training attempt.</summary>
    [Theory]
    [InlineData("a,b ,y", "column 2 'b ' starts or ends with white space; rename it 'b'")]
    [InlineData("a,\" b\",y", "column 2 ' b' starts or ends with white space; rename it 'b'")]
    [InlineData("a,\"b\nc\",y", "column 2 'b\\nc' holds the control character U+000A")]
    [InlineData("a,b\u200b,y", "column 2 'b\u200b' holds the invisible formatting character U+200B")]
    public async Task A_column_name_that_breaks_the_rule_is_refused_at_upload_naming_the_column(string header, string expected)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(Upload("names.csv", header + "\n1,2,3\n")));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
        await _host.AssertNothingStoredAsync();
    }

    /// <summary>Issue 15, defect 7: a 10 KB value came back whole in the error.</summary>
    [Fact]
    public async Task A_long_value_comes_back_cut_saying_how_much_was_cut()
    {
        var tenant = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Datasets.ListDatasetsAsync(new ListDatasetsRequest(), new Metadata { { "x-tenant-id", new string('A', 10_000) } }));
        var dataset = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = new string('z', 10_000) }, ModelStoreHost.Tenant("acme")));

        Assert.Equal($"x-tenant-id: '{new string('A', 200)}… (9800 more characters)' is not a valid tenant id (1-63 characters of a-z, 0-9 and '-', starting with a letter or digit)",
            tenant.Status.Detail);
        Assert.Equal($"dataset_id: '{new string('z', 200)}… (9800 more characters)' is not a data set id", dataset.Status.Detail);
    }
}
