using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Datasets.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Datasets.DatasetTestFiles;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Profiles over real gRPC on PostgreSQL (the dataset_profiles table comes from the migrations).</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class DatasetProfileApiTests(PlatformServers servers) : IAsyncLifetime
{
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Penguins_profile_is_stored_in_postgresql_and_served_with_its_label()
    {
        var dataset = await _host.UploadAsync(Requests.Upload("penguins.csv", Requests.Penguins()));

        var profile = await _host.Datasets.GetDatasetProfileAsync(
            new GetDatasetProfileRequest { DatasetId = dataset.Id, Label = "Species" }, ModelStoreHost.Tenant("acme"));

        Assert.Equal(344, profile.RowCount);
        Assert.Equal([0L, 0, 2, 2, 2, 2, 10], profile.Columns.Select(c => c.MissingCount));
        Assert.Equal(["Adelie:152", "Gentoo:124", "Chinstrap:68"], profile.Label.Classes.Select(c => $"{c.Value}:{c.Count}"));
        Assert.Equal(1, await _host.QueryAsync(db => db.DatasetProfiles.CountAsync()));
    }

    [Fact]
    public async Task Parquet_with_overrides_round_trips_and_a_contradicting_override_stores_nothing()
    {
        var bytes = await ParquetAsync(rows: 1500, rowGroupSize: 500);
        var upload = Requests.Upload("sales.parquet", bytes);
        upload[0].Header.Format = DatasetFormat.Parquet;
        upload[0].Header.ColumnTypes["id"] = ColumnType.Categorical;

        var dataset = await _host.UploadAsync(upload);
        var profile = await _host.Datasets.GetDatasetProfileAsync(new GetDatasetProfileRequest { DatasetId = dataset.Id }, ModelStoreHost.Tenant("acme"));

        Assert.Equal(1500, dataset.RowCount);
        Assert.Equal(ColumnType.Categorical, dataset.Columns[0].Type);
        Assert.Contains(profile.Warnings, w => w.StartsWith("column `id` looks like an identifier", StringComparison.Ordinal));
        Assert.Equal(Requests.Sha256(bytes), Requests.Sha256(await _host.DownloadAsync(dataset.Id)));

        var bad = Requests.Upload("bad.csv", "a,b\n1,x\n2,y\n");
        bad[0].Header.ColumnTypes["b"] = ColumnType.Numeric;
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.UploadAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("content: row 1 (line 2), column 'b': 'x' is not a number, but column_types sets the column to NUMERIC", error.Status.Detail);
        Assert.Equal(1, await _host.QueryAsync(db => db.Datasets.CountAsync()));
        Assert.Equal(1, await _host.QueryAsync(db => db.DatasetProfiles.CountAsync()));
        Assert.Equal(0, _host.TempFileCount);
    }
}
