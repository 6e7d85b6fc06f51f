using Grpc.Core;
using Platform.Jobs.V1;

namespace Platform.Gateway.Tests;

public sealed class RerunForwardingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private readonly JobService.JobServiceClient _jobs = new(fixture.Channel);

    [Fact]
    public async Task RerunJob_reaches_the_scheduler_with_every_field_and_the_callers_tenant()
    {
        var job = await _jobs.RerunJobAsync(
            new RerunJobRequest { JobId = "j7", RequestId = "again", Priority = 4, Queue = "nightly" },
            new Metadata { { "x-tenant-id", "acme" } });

        Assert.Equal("j7", job.RerunOf);
        Assert.Equal("again", job.RequestId);
        Assert.Equal("acme", job.TenantId);
        Assert.Equal(4, job.Spec.Priority);
        Assert.Equal("nightly", job.Spec.Queue);
    }

    [Fact]
    public async Task Unset_overrides_stay_unset_on_the_way_through()
    {
        var job = await _jobs.RerunJobAsync(new RerunJobRequest { JobId = "j8" });

        Assert.Equal("unset", job.Spec.Queue);
        Assert.Equal("default", job.TenantId);
    }

    [Fact]
    public async Task The_schedulers_not_found_passes_through()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _jobs.RerunJobAsync(new RerunJobRequest { JobId = FakeScheduler.MissingJob }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal($"job '{FakeScheduler.MissingJob}' was not found", error.Status.Detail);
    }
}
