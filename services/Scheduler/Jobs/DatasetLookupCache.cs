using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Datasets.V1;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// The data sets submissions found at the model store, remembered per tenant for <c>Scheduler:DatasetLookupCache</c>
/// (5 s by default; zero turns it off), so a sweep of many jobs over one data set asks the store once instead of once
/// per job. A data set version never changes (it is content-addressed), so only its existence can go stale: a job
/// submitted within that window after the data set was erased is accepted and then fails at the worker, permanently and
/// saying the data set is gone. Lookups that found nothing are never remembered. While a lookup of a data set is under
/// way, submissions of the same tenant for it wait for that lookup's answer instead of asking the store too: when the
/// window ends under load, every concurrent submitter would otherwise miss at once and ask the store together.
/// </summary>
public sealed class DatasetLookupCache(IOptions<SchedulerOptions> options, TimeProvider time)
{
    private const int MaxEntries = 1024;

    private readonly ConcurrentDictionary<(string TenantId, Guid DatasetId), (Dataset Dataset, DateTimeOffset Until)> _found = new();
    private readonly ConcurrentDictionary<(string TenantId, Guid DatasetId), Task<Dataset>> _lookingUp = new();
    private int _joined;

    /// <summary>How many calls so far waited for a lookup another call had started.</summary>
    internal int LookupsJoined => Volatile.Read(ref _joined);

    /// <summary>
    /// The data set as found within the window; else the answer (or failure) of a lookup of it already under way; else
    /// <paramref name="lookUp"/>'s answer, remembered. <paramref name="lookUp"/> runs to its end (it must bound itself, for
    /// example with a deadline) even when the caller that started it stops waiting, since others may wait for it too.
    /// With the cache turned off, every call looks up.
    /// </summary>
    public async Task<Dataset> FindOrLookUpAsync(string tenantId, Guid datasetId, Func<Task<Dataset>> lookUp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookUp);
        if (options.Value.DatasetLookupCache <= TimeSpan.Zero) return await lookUp().WaitAsync(cancellationToken);
        if (Find(tenantId, datasetId) is { } found) return found;
        var key = (tenantId, datasetId);
        var mine = new TaskCompletionSource<Dataset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _lookingUp.GetOrAdd(key, mine.Task);
        if (running == mine.Task) _ = LookUpAsync(key, lookUp, mine);
        else Interlocked.Increment(ref _joined);
        return await running.WaitAsync(cancellationToken);
    }

    private async Task LookUpAsync((string TenantId, Guid DatasetId) key, Func<Task<Dataset>> lookUp, TaskCompletionSource<Dataset> answer)
    {
        try
        {
            var dataset = await lookUp();
            Remember(key.TenantId, key.DatasetId, dataset);
            answer.SetResult(dataset);
        }
        catch (Exception ex)
        {
            answer.SetException(ex);
        }
        finally
        {
            _lookingUp.TryRemove(new KeyValuePair<(string, Guid), Task<Dataset>>(key, answer.Task));
        }
    }

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
