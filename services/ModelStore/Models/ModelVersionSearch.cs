using Platform.ModelStore.Data;

namespace Platform.ModelStore.Models;

/// <summary>An inclusive range on one metric; a version without the metric, or with a non-finite value, never matches.</summary>
public sealed record MetricRange(string Name, double? Min, double? Max);

/// <summary>
/// The filters of a version search, all optional and combined with AND. Results come newest first
/// (creation time, then id), which is also the keyset the page tokens continue from.
/// </summary>
public sealed record ModelVersionSearch
{
    public string? ModelName { get; init; }
    public string? ModelNamePrefix { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> TagKeys { get; init; } = [];
    public IReadOnlyList<MetricRange> Metrics { get; init; } = [];
    public Guid? DatasetId { get; init; }
    public DateTimeOffset? CreatedAfter { get; init; }
    public DateTimeOffset? CreatedBefore { get; init; }
    public ApprovalStatus? Approval { get; init; }

    /// <summary>Continue after this version (the last of the previous page).</summary>
    public (DateTimeOffset CreatedAt, Guid Id)? After { get; init; }

    /// <summary>Applies the filters to a tenant's versions and orders them newest first.</summary>
    public IQueryable<ModelVersionRecord> Apply(IQueryable<ModelVersionRecord> versions, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var query = versions.Where(v => v.TenantId == tenantId);
        if (ModelName is { } name)
            query = query.Where(v => v.Model!.Name == name);
        if (ModelNamePrefix is { } prefix)
            // Not StartsWith: SQLite turns it into LIKE, which ignores case.
            query = query.Where(v => v.Model!.Name.Substring(0, prefix.Length) == prefix);
        foreach (var (key, value) in Tags)
            query = query.Where(v => v.Tags.Any(t => t.Key == key && t.Value == value));
        foreach (var key in TagKeys)
            query = query.Where(v => v.Tags.Any(t => t.Key == key));
        foreach (var range in Metrics)
        {
            var (metric, min, max) = (range.Name, range.Min, range.Max);
            query = (min, max) switch
            {
                ({ } low, { } high) => query.Where(v => v.MetricValues.Any(m => m.Name == metric && m.Value >= low && m.Value <= high)),
                ({ } low, null) => query.Where(v => v.MetricValues.Any(m => m.Name == metric && m.Value >= low)),
                (null, { } high) => query.Where(v => v.MetricValues.Any(m => m.Name == metric && m.Value <= high)),
                _ => query.Where(v => v.MetricValues.Any(m => m.Name == metric)),
            };
        }
        if (DatasetId is { } datasetId)
            query = query.Where(v => v.DatasetId == datasetId);
        if (CreatedAfter is { } from)
            query = query.Where(v => v.CreatedAt >= from);
        if (CreatedBefore is { } until)
            query = query.Where(v => v.CreatedAt < until);
        if (Approval is { } approval)
            query = query.Where(v => v.ApprovalStatus == approval);
        if (After is var (createdAt, id))
            query = query.Where(v => v.CreatedAt < createdAt || (v.CreatedAt == createdAt && v.Id.CompareTo(id) < 0));
        return query.OrderByDescending(v => v.CreatedAt).ThenByDescending(v => v.Id);
    }
}
