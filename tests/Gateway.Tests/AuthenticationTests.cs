using System.Security.Cryptography;
using Grpc.Core;
using Platform.Admin.V1;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Gateway.Tests;

/// <summary>
/// Who gets in at the public edge, and as whom: API keys, tokens, and every way to present a bad one. Each refusal
/// names what was wrong, reaches no backend and leaves the gateway serving the next caller.
/// </summary>
public sealed class AuthenticationTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    private int SchedulerCalls => gateway.SchedulerLog.Tenants.Count;

    private async Task<RpcException> RefusedAsync(string? credential, Metadata? headers = null)
    {
        var calls = SchedulerCalls;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new JobService.JobServiceClient(gateway.Channel(credential)).GetJobAsync(new GetJobRequest { JobId = "j" }, headers).ResponseAsync);
        Assert.Equal(calls, SchedulerCalls);
        return error;
    }

    private async Task ServesOthersAsync()
    {
        var key = await gateway.CreateKeyAsync("bystander", "jobs:read");
        var job = await new JobService.JobServiceClient(gateway.Channel(key)).GetJobAsync(new GetJobRequest { JobId = "still-serving" });
        Assert.Equal("bystander", job.TenantId);
    }

    [Fact]
    public async Task A_call_without_a_credential_is_unauthenticated()
    {
        var error = await RefusedAsync(null);

        Assert.Equal((StatusCode.Unauthenticated, "no credential: send `authorization: Bearer <API key or token>`"), (error.StatusCode, error.Status.Detail));
        await ServesOthersAsync();
    }

    [Fact]
    public async Task A_key_acts_for_its_own_tenant_and_its_credential_never_reaches_a_backend()
    {
        var key = await gateway.CreateKeyAsync("acme", "jobs:read");

        var job = await new JobService.JobServiceClient(gateway.Channel(key)).GetJobAsync(new GetJobRequest { JobId = "j1" });

        Assert.Equal("acme", job.TenantId);
        Assert.Equal(Platform.Gateway.Tests.GrpcTestHost.ServiceToken, gateway.SchedulerLog.ServiceTokens.Last());
        Assert.Null(gateway.SchedulerLog.Authorizations.Last());
    }

    [Fact]
    public async Task Naming_another_tenant_without_admin_is_permission_denied_and_naming_its_own_is_fine()
    {
        var key = await gateway.CreateKeyAsync("acme", "jobs:read");

        var error = await RefusedAsync(key, SecuredGateway.Tenant("globex"));
        var own = await new JobService.JobServiceClient(gateway.Channel(key)).GetJobAsync(new GetJobRequest { JobId = "j" }, SecuredGateway.Tenant("acme"));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("x-tenant-id: the caller belongs to tenant 'acme'; acting for another tenant needs the scope 'admin'", error.Status.Detail);
        Assert.Equal("acme", own.TenantId);
    }

    [Fact]
    public async Task An_admin_acts_for_another_tenant_when_it_names_one()
    {
        var key = await gateway.CreateKeyAsync("ops", "admin", "jobs:read");

        var job = await new JobService.JobServiceClient(gateway.Channel(key)).GetJobAsync(new GetJobRequest { JobId = "j" }, SecuredGateway.Tenant("globex"));

        Assert.Equal("globex", job.TenantId);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_from_the_moment_it_is_revoked()
    {
        var admin = await gateway.CreateKeyAsync("ops", "admin");
        var created = await new AdminService.AdminServiceClient(gateway.Channel(admin))
            .CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ci", TenantId = "acme", Scopes = { "jobs:read" } });
        var jobs = new JobService.JobServiceClient(gateway.Channel(created.Secret));
        await jobs.GetJobAsync(new GetJobRequest { JobId = "before" });

        await new AdminService.AdminServiceClient(gateway.Channel(admin)).RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = created.Key.Id });
        var error = await RefusedAsync(created.Secret);

        Assert.Equal((StatusCode.Unauthenticated, $"the API key {created.Key.Id} was revoked"), (error.StatusCode, error.Status.Detail));
        await ServesOthersAsync();
    }

    [Fact]
    public async Task An_expired_key_is_refused()
    {
        var key = await gateway.CreateExpiredKeyAsync("acme", "jobs:read");

        var error = await RefusedAsync(key);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.EndsWith("has expired", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("unknown id")]
    [InlineData("malformed")]
    public async Task A_key_that_is_not_one_of_ours_is_refused_without_telling_which_part_is_wrong(string how)
    {
        var real = await gateway.CreateKeyAsync("acme", "jobs:read");
        var forged = how switch
        {
            "wrong secret" => real[..^4] + "AAAA",
            "unknown id" => "plk_0123456789abcdef_" + real[^43..],
            _ => "plk_not-a-key'; DROP TABLE api_keys; --",
        };

        var error = await RefusedAsync(forged);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal(how == "malformed" ? "the API key is malformed" : "the API key is not valid", error.Status.Detail);
        Assert.DoesNotContain(real[^43..], error.Status.Detail, StringComparison.Ordinal);
        await ServesOthersAsync();
    }

    [Fact]
    public async Task A_read_only_key_cannot_write_approve_or_erase_and_the_refusal_names_the_scope()
    {
        var key = await gateway.CreateKeyAsync("acme", "datasets:read", "jobs:read", "models:read");
        var channel = gateway.Channel(key);
        var storeCalls = gateway.ModelStoreLog.Tenants.Count;
        var schedulerCalls = SchedulerCalls;

        var submit = await Assert.ThrowsAsync<RpcException>(() => new JobService.JobServiceClient(channel)
            .SubmitJobAsync(new SubmitJobRequest { Spec = new JobSpec { DatasetId = "d" } }).ResponseAsync);
        var approve = await Assert.ThrowsAsync<RpcException>(() => new ModelService.ModelServiceClient(channel)
            .SetModelVersionApprovalAsync(new SetModelVersionApprovalRequest { ModelName = "m", Version = 1, Status = ApprovalStatus.Approved }).ResponseAsync);
        var erase = await Assert.ThrowsAsync<RpcException>(() => new ModelService.ModelServiceClient(channel)
            .EraseDatasetAsync(new EraseDatasetRequest { DatasetId = "d" }).ResponseAsync);
        var keys = await Assert.ThrowsAsync<RpcException>(() => new AdminService.AdminServiceClient(channel)
            .CreateApiKeyAsync(new CreateApiKeyRequest { Name = "mine", Scopes = { "admin" } }).ResponseAsync);
        using var upload = new DatasetService.DatasetServiceClient(channel).UploadDataset();
        var write = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await upload.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = "x.csv" } });
            await upload.ResponseAsync;
        });

        Assert.All([submit, approve, erase, keys, write], e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
        Assert.StartsWith("this call needs the scope 'jobs:submit'; the caller has datasets:read, jobs:read, models:read", submit.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("this call needs the scope 'models:approve'", approve.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("this call needs the scope 'data:erase'", erase.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("this call needs the scope 'admin'", keys.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("this call needs the scope 'datasets:write'", write.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((storeCalls, schedulerCalls), (gateway.ModelStoreLog.Tenants.Count, SchedulerCalls));
    }

    [Fact]
    public async Task The_actor_of_an_approval_is_the_authenticated_caller_not_what_the_client_wrote()
    {
        var key = await gateway.CreateKeyAsync("acme", "models:approve");

        var version = await new ModelService.ModelServiceClient(gateway.Channel(key)).SetModelVersionApprovalAsync(new SetModelVersionApprovalRequest
        {
            ModelName = "m", Version = 1, Status = ApprovalStatus.Approved, Actor = "the-ceo@acme.example",
        });

        Assert.Matches("^test-[0-9a-f]{15} \\(key [0-9a-f]{16}\\)$", version.Approval.Actor);
        Assert.Equal(version.Approval.Actor, gateway.ModelStoreLog.Actors.Last());
    }

    [Fact]
    public async Task A_token_of_the_identity_provider_acts_for_its_tenant_claim_with_its_scopes()
    {
        var token = gateway.Token("initech", "jobs:read models:approve not-a-scope");
        var channel = gateway.Channel(token);

        var job = await new JobService.JobServiceClient(channel).GetJobAsync(new GetJobRequest { JobId = "j" });
        var approval = await new ModelService.ModelServiceClient(channel).SetModelVersionApprovalAsync(
            new SetModelVersionApprovalRequest { ModelName = "m", Version = 1, Status = ApprovalStatus.Rejected });
        var submit = await Assert.ThrowsAsync<RpcException>(() => new JobService.JobServiceClient(channel)
            .SubmitJobAsync(new SubmitJobRequest()).ResponseAsync);

        Assert.Equal("initech", job.TenantId);
        Assert.Equal(("initech", "ana@example.com"), (approval.TenantId, approval.Approval.Actor));
        Assert.Equal(StatusCode.PermissionDenied, submit.StatusCode);
    }

    [Fact]
    public async Task Expired_wrongly_signed_and_wrong_audience_tokens_are_refused_naming_why()
    {
        using var impostor = RSA.Create(2048);

        var expired = await RefusedAsync(gateway.Token("initech", "jobs:read", expiresIn: TimeSpan.FromHours(-1)));
        var forged = await RefusedAsync(gateway.Token("initech", "jobs:read", signedBy: impostor));
        var elsewhere = await RefusedAsync(gateway.Token("initech", "jobs:read", audience: "another-app"));
        var noTenant = await RefusedAsync(gateway.Token("Not A Tenant", "jobs:read"));
        var unsigned = await RefusedAsync("eyJhbGciOiJub25lIn0.eyJvcmciOiJhY21lIn0.");

        Assert.Equal(
            [(StatusCode.Unauthenticated, "the token has expired"), (StatusCode.Unauthenticated, "the token's signature is not valid"),
             (StatusCode.Unauthenticated, "the token is not for this platform (audience)"), (StatusCode.Unauthenticated, "the token has no valid 'org' claim"),
             (StatusCode.Unauthenticated, "the token's signature is not valid")],
            new[] { expired, forged, elsewhere, noTenant, unsigned }.Select(e => (e.StatusCode, e.Status.Detail)));
        await ServesOthersAsync();
    }

    [Fact]
    public async Task A_new_key_is_shown_once_listed_without_its_secret_and_stored_only_as_a_hash()
    {
        var admin = new AdminService.AdminServiceClient(gateway.Channel(await gateway.CreateKeyAsync("ops", "admin")));

        var created = await admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "nightly", TenantId = "acme", Scopes = { "jobs:submit", "jobs:read" } });
        var listed = await admin.ListApiKeysAsync(new ListApiKeysRequest { TenantId = "acme" });
        await using var scope = gateway.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<Data.GatewayDbContext>().ApiKeys.FindAsync(created.Key.Id);

        Assert.StartsWith($"plk_{created.Key.Id}_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(["jobs:submit", "jobs:read"], created.Key.Scopes);
        var key = Assert.Single(listed.Keys, k => k.Id == created.Key.Id);
        Assert.DoesNotContain(created.Secret[^43..], listed.ToString(), StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Secret))), stored!.SecretHash);
        Assert.Equal("acme", key.TenantId);
    }

    [Theory]
    [InlineData("", "name")]
    [InlineData("bad\u0000name", "name")]
    public async Task A_key_request_with_a_bad_name_or_scope_is_refused_and_nothing_is_stored(string name, string field)
    {
        var admin = new AdminService.AdminServiceClient(gateway.Channel(await gateway.CreateKeyAsync("ops", "admin")));
        var before = (await admin.ListApiKeysAsync(new ListApiKeysRequest { IncludeRevoked = true, PageSize = 500 })).Keys.Count;

        var badName = await Assert.ThrowsAsync<RpcException>(() => admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = name, Scopes = { "jobs:read" } }).ResponseAsync);
        var badScope = await Assert.ThrowsAsync<RpcException>(() => admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ok", Scopes = { "jobs:read", "root" } }).ResponseAsync);
        var badTenant = await Assert.ThrowsAsync<RpcException>(() => admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ok", TenantId = "../acme", Scopes = { "jobs:read" } }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, field), (badName.StatusCode, badName.Status.Detail.Split(':')[0]));
        Assert.StartsWith("scopes: 'root' is not a scope", badScope.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("tenant_id: '../acme' is not a valid tenant id", badTenant.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, (await admin.ListApiKeysAsync(new ListApiKeysRequest { IncludeRevoked = true, PageSize = 500 })).Keys.Count);
    }
}

/// <summary>Internal services at the gateway, for a caller with a valid key.</summary>
public sealed class InternalClosureTests(SecuredGateway gateway) : IClassFixture<SecuredGateway>
{
    [Fact]
    public async Task The_internal_registry_is_closed_to_a_caller_with_a_valid_key()
    {
        var key = await gateway.CreateKeyAsync("acme", "models:write", "models:read");
        using var call = new Platform.Registry.V1.ModelRegistry.ModelRegistryClient(gateway.Channel(key)).RegisterModelVersion();
        try
        {
            await call.RequestStream.WriteAsync(new Platform.Registry.V1.RegisterModelVersionRequest { Version = new ModelVersion { ModelName = "x" } });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        var maintenance = await Assert.ThrowsAsync<RpcException>(() => new Platform.Registry.V1.RegistryMaintenance.RegistryMaintenanceClient(gateway.Channel(key))
            .RunMaintenanceAsync(new Platform.Registry.V1.RunMaintenanceRequest()).ResponseAsync);

        Assert.Equal((StatusCode.PermissionDenied, "this call is not part of the public API"), (error.StatusCode, error.Status.Detail));
        Assert.Equal((StatusCode.PermissionDenied, "this call is not part of the public API"), (maintenance.StatusCode, maintenance.Status.Detail));
    }
}
