using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Admin.V1;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.Serving.V1;
using Platform.Sweeps.V1;
using Platform.Transfers;

namespace Platform.Authentication;

/// <summary>What one public call needs: a scope, and whether it changes state (then it is audited).</summary>
public sealed record AccessRule(string Scope, bool ChangesState);

/// <summary>
/// Every public gRPC method and byte-stream route, and the scope it needs: the one table of who may do what, whichever
/// host serves the call (the gateway, or the serving service that clients call directly for predictions). The access
/// check (<see cref="AccessHandler"/>) reads it for every call; a call that is not in it is refused
/// (fail closed), so a method added to a proto stays closed until it is added here. A test derives the methods from
/// the proto descriptors and checks that each is here.
/// </summary>
public static class AccessTable
{
    private static readonly string Datasets = DatasetService.Descriptor.FullName;
    private static readonly string Jobs = JobService.Descriptor.FullName;
    private static readonly string Sweeps = SweepService.Descriptor.FullName;
    private static readonly string Models = ModelService.Descriptor.FullName;
    private static readonly string Admin = AdminService.Descriptor.FullName;
    private static readonly string Predictions = PredictionService.Descriptor.FullName;

    /// <summary>By action: <c>/package.Service/Method</c> for gRPC, <c>VERB /route/template</c> for the byte stream.</summary>
    public static IReadOnlyDictionary<string, AccessRule> Rules { get; } = new Dictionary<string, AccessRule>(StringComparer.Ordinal)
    {
        [Grpc(Datasets, "UploadDataset")] = Changes(Scopes.DatasetsWrite),
        [Grpc(Datasets, "GetDataset")] = Reads(Scopes.DatasetsRead),
        [Grpc(Datasets, "ListDatasets")] = Reads(Scopes.DatasetsRead),
        [Grpc(Datasets, "DownloadDataset")] = Reads(Scopes.DatasetsRead),
        [Grpc(Datasets, "GetDatasetProfile")] = Reads(Scopes.DatasetsRead),
        [Grpc(Datasets, "UpdateSensitiveColumns")] = Changes(Scopes.DatasetsWrite),

        [Grpc(Jobs, "SubmitJob")] = Changes(Scopes.JobsSubmit),
        [Grpc(Jobs, "RerunJob")] = Changes(Scopes.JobsSubmit),
        [Grpc(Jobs, "CancelJob")] = Changes(Scopes.JobsSubmit),
        [Grpc(Jobs, "GetJob")] = Reads(Scopes.JobsRead),
        [Grpc(Jobs, "ListJobs")] = Reads(Scopes.JobsRead),
        [Grpc(Jobs, "WatchJob")] = Reads(Scopes.JobsRead),
        [Grpc(Jobs, "ListTrainers")] = Reads(Scopes.JobsRead),

        // A sweep is a set of jobs: the job scopes apply.
        [Grpc(Sweeps, "SubmitSweep")] = Changes(Scopes.JobsSubmit),
        [Grpc(Sweeps, "CancelSweep")] = Changes(Scopes.JobsSubmit),
        [Grpc(Sweeps, "GetSweep")] = Reads(Scopes.JobsRead),
        [Grpc(Sweeps, "ListSweeps")] = Reads(Scopes.JobsRead),
        [Grpc(Sweeps, "WatchSweep")] = Reads(Scopes.JobsRead),

        [Grpc(Models, "ListModels")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "ListModelVersions")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "GetModelVersion")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "DownloadModelVersion")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "SearchModelVersions")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "ResolveModel")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "CompareModelVersions")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "ListModelAliases")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "ListVersionsTrainedOn")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "GetModelCard")] = Reads(Scopes.ModelsRead),
        [Grpc(Models, "UploadModelVersion")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "SetModelVersionTags")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "SetModelAlias")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "DeleteModelAlias")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "DeleteModelVersion")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "SetRetentionPolicy")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "UpdateModelCard")] = Changes(Scopes.ModelsWrite),
        [Grpc(Models, "SetModelVersionApproval")] = Changes(Scopes.ModelsApprove),
        [Grpc(Models, "EraseDataset")] = Changes(Scopes.DataErase),
        [Grpc(Models, "ListErasureRecords")] = Reads(Scopes.DataErase),

        [Grpc(Admin, "CreateApiKey")] = Changes(Scopes.Admin),
        [Grpc(Admin, "RevokeApiKey")] = Changes(Scopes.Admin),
        [Grpc(Admin, "ListApiKeys")] = Reads(Scopes.Admin),
        [Grpc(Admin, "ListAuditEvents")] = Reads(Scopes.Admin),

        // Served by the serving service. Outcomes are a data feed like the predictions they answer, not a change of the
        // platform's state: not audited (an audit row per outcome would flood the log).
        [Grpc(Predictions, "Predict")] = Reads(Scopes.ModelsPredict),
        [Grpc(Predictions, "PredictStream")] = Reads(Scopes.ModelsPredict),
        [Grpc(Predictions, "ReportOutcome")] = Reads(Scopes.ModelsPredict),
        // Drift and live quality describe a model, like its card: read with models:read, which a predicting client lacks.
        [Grpc(Predictions, "GetModelMonitoring")] = Reads(Scopes.ModelsRead),

        [Http("GET", ByteStream.Routes.Artifact)] = Reads(Scopes.ModelsRead),
        [Http("GET", ByteStream.Routes.Dataset)] = Reads(Scopes.DatasetsRead),
        [Http("POST", ByteStream.Routes.Upload)] = Changes(Scopes.ModelsWrite),
        [Http("DELETE", ByteStream.Routes.StagedUpload)] = Changes(Scopes.ModelsWrite),
    };

    /// <summary>The action of a gRPC method: its full name, <c>/platform.models.v1.ModelService/SetModelAlias</c>.</summary>
    public static string Grpc(string service, string method) => $"/{service}/{method}";

    /// <summary>The action of a byte-stream route: <c>POST /v1/uploads</c>.</summary>
    public static string Http(string verb, string route) => $"{verb} {route}";

    /// <summary>The action an endpoint serves, or null for one that is neither a gRPC method nor a byte-stream route.</summary>
    public static string? ActionOf(Endpoint? endpoint)
    {
        if (endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc) return grpc.Method.FullName;
        if (endpoint is RouteEndpoint route && endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is { HttpMethods: [var verb] })
            return Http(verb, "/" + route.RoutePattern.RawText?.TrimStart('/'));
        return null;
    }

    private static AccessRule Reads(string scope) => new(scope, ChangesState: false);

    private static AccessRule Changes(string scope) => new(scope, ChangesState: true);
}

/// <summary>Where a host records a known caller's refused attempt to change state (the gateway: its audit log).</summary>
public interface IRefusedCallLog
{
    /// <summary>Records that <paramref name="caller"/> was refused <paramref name="action"/>.</summary>
    Task RecordAsync(Caller caller, string action, HttpContext http);
}

/// <summary>The public API's authorization requirement: the call is in <see cref="AccessTable"/> and the caller may make it.</summary>
public sealed class AccessRequirement : IAuthorizationRequirement
{
    /// <summary>The policy every public endpoint (and every unmatched request at the gateway) is checked against.</summary>
    public const string Policy = "public-api";
}

/// <summary>
/// The access check, in one place: the action must be in <see cref="AccessTable"/>, the caller must hold its scope, and
/// a caller that names another tenant in <c>x-tenant-id</c> must hold <c>admin</c>. Refusals say what was missing.
/// </summary>
internal sealed class AccessHandler : AuthorizationHandler<AccessRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http || Caller.Of(http) is not { } caller)
            return; // unauthenticated: the policy's authenticated-user requirement challenges
        var action = AccessTable.ActionOf(http.GetEndpoint());
        if (action is null || !AccessTable.Rules.TryGetValue(action, out var rule))
        {
            context.Fail(new AuthorizationFailureReason(this, "this call is not part of the public API"));
            return;
        }
        if (Refusal(caller, rule) is { } reason)
        {
            context.Fail(new AuthorizationFailureReason(this, reason));
            // A known caller trying to change what it may not is worth an audit row (unauthenticated noise is not).
            if (rule.ChangesState && http.RequestServices.GetService<IRefusedCallLog>() is { } log)
                await log.RecordAsync(caller, action, http);
            return;
        }
        context.Succeed(requirement);
    }

    private static string? Refusal(Caller caller, AccessRule rule)
    {
        if (!caller.Scopes.Contains(rule.Scope))
            return $"this call needs the scope '{rule.Scope}'; the caller has {(caller.Scopes.Count == 0 ? "none" : string.Join(", ", caller.Scopes.Order()))}";
        if (!caller.ActsForAnotherTenant) return null;
        if (!caller.Scopes.Contains(Scopes.Admin))
            return $"{Tenant.Header}: the caller belongs to tenant '{caller.HomeTenant}'; acting for another tenant needs the scope '{Scopes.Admin}'";
        try
        {
            Tenant.Validate(caller.Tenant);
            return null;
        }
        catch (ServiceDefaults.Errors.InvalidArgumentException ex)
        {
            return ex.Message;
        }
    }
}
