using Grpc.Core;
using Platform.Admin.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Gateway.Tests;

/// <summary>A gateway with small limits: 1 call per second in bursts of 3, 2 streams at once per caller.</summary>
public sealed class LimitedGateway : SecuredGateway
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RateLimits:RequestsPerSecond"] = "1",
        ["RateLimits:Burst"] = "3",
        ["RateLimits:ConcurrentStreams"] = "2",
    };
}

/// <summary>Per-key rate and stream limits, and the audit log of what callers changed.</summary>
public sealed class LimitsTests(LimitedGateway gateway) : IClassFixture<LimitedGateway>
{
    [Fact]
    public async Task A_flood_past_the_rate_limit_is_resource_exhausted_naming_the_limit_and_other_keys_are_still_served()
    {
        var jobs = new JobService.JobServiceClient(gateway.Channel(await gateway.CreateKeyAsync("acme", "jobs:read")));
        var calls = gateway.SchedulerLog.Tenants.Count;

        var outcomes = new List<RpcException?>();
        for (var i = 0; i < 30; i++)
        {
            try
            {
                await jobs.GetJobAsync(new GetJobRequest { JobId = $"flood-{i}" });
                outcomes.Add(null);
            }
            catch (RpcException ex)
            {
                outcomes.Add(ex);
            }
        }
        var other = await new JobService.JobServiceClient(gateway.Channel(await gateway.CreateKeyAsync("globex", "jobs:read")))
            .GetJobAsync(new GetJobRequest { JobId = "other" });

        var refused = outcomes.OfType<RpcException>().ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, e => Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode));
        Assert.StartsWith("RateLimits:RequestsPerSecond: more than 1 calls per second (bursts of 3) with this credential", refused[0].Status.Detail, StringComparison.Ordinal);
        // Refused calls never reached the scheduler.
        Assert.Equal(calls + outcomes.Count(o => o is null) + 1, gateway.SchedulerLog.Tenants.Count);
        Assert.Equal("globex", other.TenantId);
    }

    [Fact]
    public async Task A_third_stream_at_once_is_resource_exhausted_and_one_ending_frees_its_place()
    {
        // A key of its own with rate to spare for this test's few calls.
        var channel = gateway.Channel(await gateway.CreateKeyAsync("acme", "jobs:read"));
        var jobs = new JobService.JobServiceClient(channel);
        using var first = jobs.WatchJob(new WatchJobRequest { JobId = FakeScheduler.EndlessJob });
        using var second = jobs.WatchJob(new WatchJobRequest { JobId = FakeScheduler.EndlessJob });
        Assert.True(await first.ResponseStream.MoveNext());
        Assert.True(await second.ResponseStream.MoveNext());

        using var third = jobs.WatchJob(new WatchJobRequest { JobId = FakeScheduler.EndlessJob });
        var refused = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext());
        var otherKey = new JobService.JobServiceClient(gateway.Channel(await gateway.CreateKeyAsync("globex", "jobs:read")));
        using var others = otherKey.WatchJob(new WatchJobRequest { JobId = FakeScheduler.EndlessJob });

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("RateLimits:ConcurrentStreams: at most 2 streaming calls (uploads, downloads, watches) at once with this credential", refused.Status.Detail);
        Assert.True(await others.ResponseStream.MoveNext());
    }
}

/// <summary>The audit log: every state-changing call and every refused attempt of a known caller, never a secret.</summary>
public sealed class AuditTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    [Fact]
    public async Task Changes_and_refused_attempts_are_recorded_with_who_what_on_which_resource_and_how_they_ended()
    {
        var adminKey = await gateway.CreateKeyAsync("ops", "admin", "models:approve");
        var admin = new AdminService.AdminServiceClient(gateway.Channel(adminKey));
        var reader = await admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "dashboard", TenantId = "acme", Scopes = { "models:read" } });
        var approver = await admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "release-bot", TenantId = "acme", Scopes = { "models:approve" } });

        await new ModelService.ModelServiceClient(gateway.Channel(approver.Secret)).SetModelVersionApprovalAsync(
            new SetModelVersionApprovalRequest { ModelName = "churn", Version = 3, Status = ApprovalStatus.Approved, Actor = "someone-else" });
        await Assert.ThrowsAsync<RpcException>(() => new ModelService.ModelServiceClient(gateway.Channel(reader.Secret)).SetModelVersionApprovalAsync(
            new SetModelVersionApprovalRequest { ModelName = "churn", Version = 3, Status = ApprovalStatus.Rejected }).ResponseAsync);
        await new ModelService.ModelServiceClient(gateway.Channel(adminKey)).SetModelVersionApprovalAsync(
            new SetModelVersionApprovalRequest { ModelName = "churn", Version = 4, Status = ApprovalStatus.Approved }, SecuredGateway.Tenant("acme"));
        await new ModelService.ModelServiceClient(gateway.Channel(approver.Secret)).GetModelVersionAsync(new GetModelVersionRequest { ModelName = "churn" })
            .ResponseAsync.ContinueWith(_ => { }, TaskScheduler.Default); // a read: never audited (and refused here: no models:read)

        var events = (await admin.ListAuditEventsAsync(new ListAuditEventsRequest())).Events;
        var rows = events.Select(e => (e.Actor.Split(' ')[0], e.ActorTenantId, e.TenantId, e.Credential, e.Action, e.Resource, e.Outcome)).ToList();

        Assert.Equal(
        [
            (rows[0].Item1, "ops", "acme", "api-key", "/platform.models.v1.ModelService/SetModelVersionApproval", "model_name=churn version=4 → tenant_id=acme model_name=churn version=4", "OK"),
            ("dashboard", "acme", "acme", "api-key", "/platform.models.v1.ModelService/SetModelVersionApproval", "", "PermissionDenied"),
            ("release-bot", "acme", "acme", "api-key", "/platform.models.v1.ModelService/SetModelVersionApproval", "model_name=churn version=3 → tenant_id=acme model_name=churn version=3", "OK"),
            (rows[3].Item1, "ops", "ops", "api-key", "/platform.admin.v1.AdminService/CreateApiKey", $"tenant_id=acme name=release-bot → tenant_id=acme id={approver.Key.Id} name=release-bot", "OK"),
            (rows[4].Item1, "ops", "ops", "api-key", "/platform.admin.v1.AdminService/CreateApiKey", $"tenant_id=acme name=dashboard → tenant_id=acme id={reader.Key.Id} name=dashboard", "OK"),
        ], rows);
        Assert.All(events, e => Assert.Equal("127.0.0.1", e.ClientAddress));
        var everything = events.ToString();
        foreach (var secret in new[] { adminKey, reader.Secret, approver.Secret })
            Assert.DoesNotContain(secret[^43..], everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_an_admin_reads_the_audit_log()
    {
        var key = await gateway.CreateKeyAsync("acme", "datasets:read", "jobs:read", "models:read", "models:write", "models:approve", "data:erase");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new AdminService.AdminServiceClient(gateway.Channel(key)).ListAuditEventsAsync(new ListAuditEventsRequest()).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }
}
