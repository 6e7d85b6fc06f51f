namespace Platform.Authentication;

/// <summary>
/// What a caller may do. An API key or token carries a set of these; every public call needs one
/// (<see cref="AccessTable"/>). <see cref="Admin"/> is the platform operator's: keys, the audit log, and acting for
/// another tenant (with the <c>x-tenant-id</c> header), which the audit log records.
/// </summary>
public static class Scopes
{
    public const string DatasetsRead = "datasets:read";
    public const string DatasetsWrite = "datasets:write";
    public const string JobsSubmit = "jobs:submit";
    public const string JobsRead = "jobs:read";
    public const string ModelsRead = "models:read";
    public const string ModelsWrite = "models:write";
    public const string ModelsApprove = "models:approve";
    /// <summary>Predictions from served models and their outcomes (the serving service).</summary>
    public const string ModelsPredict = "models:predict";
    public const string DataErase = "data:erase";
    public const string Admin = "admin";

    /// <summary>Every scope, in the order the docs list them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [DatasetsRead, DatasetsWrite, JobsSubmit, JobsRead, ModelsRead, ModelsWrite, ModelsApprove, ModelsPredict, DataErase, Admin];

    /// <summary>Whether <paramref name="scope"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
