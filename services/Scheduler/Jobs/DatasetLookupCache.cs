using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Datasets.V1;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// The data sets submissions found at the model store, remembered per tenant for <c>Scheduler:DatasetLookupCache</c>
/// (5 s by default; zero turns it off), so a sweep of many jobs over one data set asks the store once instead of once
/// per job. A data set version never changes (it is content-addressed), so only its existence can go stale: a job
/// submitted within that window after the data set was erased is accepted and then fails at the worker, permanently and
/// saying the data set is gone. Lookups that found nothing are never remembered.
/// </summary>
public sealed class DatasetLookupCache(IOptions<SchedulerOptions> options, TimeProvider time)
{
    private const int MaxEntries = 1024;

    private readonly ConcurrentDictionary<(string TenantId, Guid DatasetId), (Dataset Dataset, DateTimeOffset Until)> _found = new();

    /// <summary>The data set as found within the last <c>Scheduler:DatasetLookupCache</c>, or null.</summary>
    public Dataset? Find(string tenantId, Guid datasetId)
    {
        if (!_found.TryGetValue((tenantId, datasetId), out var entry)) return null;
        if (entry.Until > time.GetUtcNow()) return entry.Dataset;
        _found.TryRemove(new KeyValuePair<(string, Guid), (Dataset, DateTimeOffset)>((tenantId, datasetId), entry));
        return null;
    }

    /// <summary>Remembers a data set the model store just returned for the tenant.</summary>
    public void Remember(string tenantId, Guid datasetId, Dataset dataset)
    {
        var duration = options.Value.DatasetLookupCache;
        if (duration <= TimeSpan.Zero) return;
        var now = time.GetUtcNow();
        if (_found.Count >= MaxEntries)
        {
            foreach (var stale in _found.Where(e => e.Value.Until <= now)) _found.TryRemove(stale);
            if (_found.Count >= MaxEntries) _found.Clear();
        }
        _found[(tenantId, datasetId)] = (dataset, now + duration);
    }
}
