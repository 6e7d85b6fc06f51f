using Grpc.Core;
using Platform.Datasets.V1;

namespace Platform.Gateway.Tests;

/// <summary>GetDatasetProfile through the real gateway to a backend, over real HTTP/2 sockets.</summary>
public sealed class DatasetProfileForwardingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private readonly DatasetService.DatasetServiceClient _datasets = new(fixture.Channel);

    [Fact]
    public async Task The_request_tenant_and_deadline_reach_the_model_store_and_the_profile_comes_back_whole()
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);

        var profile = await _datasets.GetDatasetProfileAsync(
            new GetDatasetProfileRequest { DatasetId = "ds-7", Label = "Sex" },
            new Metadata { { "x-tenant-id", "acme" } }, deadline);

        Assert.Equal("acme/ds-7", profile.DatasetId);
        Assert.Equal(344, profile.RowCount);
        Assert.Equal("Sex", profile.Label.Column);
        Assert.Equal(10, Assert.Single(profile.Columns).MissingCount);
        Assert.Equal(["column `Sex` has 2.9% missing values"], profile.Warnings);
        Assert.InRange(fixture.ModelStoreLog.LastDeadline, deadline.AddMinutes(-1), deadline.AddMinutes(1));
    }

    [Fact]
    public async Task Without_a_tenant_the_default_tenant_asks()
    {
        var profile = await _datasets.GetDatasetProfileAsync(new GetDatasetProfileRequest { DatasetId = "ds-8" });

        Assert.Equal("default/ds-8", profile.DatasetId);
        Assert.Null(profile.Label);
    }

    [Fact]
    public async Task The_model_stores_rejection_passes_through_unchanged()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _datasets.GetDatasetProfileAsync(
            new GetDatasetProfileRequest { DatasetId = "ds-9", Label = FakeDatasets.UnknownLabel }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"label: '{FakeDatasets.UnknownLabel}' is not a column of data set 'ds-9'", error.Status.Detail);
    }
}
