using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Models;

/// <summary>
/// The models this replica serves: which version each reference names now, and the versions loaded and warm.
/// <list type="bullet">
/// <item>A reference is resolved at the model store on first use and then remembered; a version is downloaded, checked
/// and loaded on first use (one load per version, however many calls wait for it) and kept warm.</item>
/// <item><b>Hot swap</b>: when a registry event says an alias moved (or a model got a new latest version), the
/// references it moves are resolved again, the new version is loaded while the old one keeps answering, and only then
/// does the reference switch to it. A call that already holds the old version finishes on it; none fails. If the new
/// version cannot be loaded the reference stays on the old one (and says so in readiness and the log) until it can.
/// Events can be missed (a broker outage): every <c>Serving:ReferenceRefreshSeconds</c> the moving references are
/// checked against the store as well.</item>
/// <item>At most <c>Serving:MaxLoadedModels</c> versions stay loaded; past that the least recently used is dropped (a
/// later call loads it again). A version that failed to load answers with that failure for
/// <c>Serving:FailedLoadRetrySeconds</c>, then is tried again; other versions are not affected.</item>
/// </list>
/// Everything is per tenant: a reference and a version are always looked up with the caller's tenant.
/// </summary>
internal sealed class ServedModels(ModelStoreSource source, IOptions<ServingOptions> options, TimeProvider time, ILogger<ServedModels> logger)
{
    private static readonly Meter Meter = new("Platform.Serving");
    private static readonly Counter<long> Swaps = Meter.CreateCounter<long>("platform.serving.hot_swaps", description: "References switched to another version");
    private static readonly Counter<long> Loads = Meter.CreateCounter<long>("platform.serving.model_loads", description: "Model versions loaded");

    private readonly ConcurrentDictionary<(string Tenant, string Reference), Lazy<Task<ReferenceEntry>>> _references = new();
    private readonly ConcurrentDictionary<(string Tenant, Guid VersionId), VersionSlot> _versions = new();
    // Bumped by every event about a model: a reference resolved while one arrived is resolved again.
    private readonly ConcurrentDictionary<(string Tenant, string Model), long> _generations = new();

    private int MaxReferences => options.Value.MaxLoadedModels * 64;

    /// <summary>The version <paramref name="reference"/> names for <paramref name="tenant"/>, loaded.</summary>
    /// <exception cref="NotFoundException">No such model, version or alias for the tenant.</exception>
    /// <exception cref="DataLossException">The version's artifact is corrupt.</exception>
    public async ValueTask<ServedVersion> GetAsync(string tenant, string reference, CancellationToken cancellationToken)
    {
        var parsed = ServedReference.Parse(reference);
        var entry = await ReferenceAsync(tenant, parsed, cancellationToken);
        entry.Touch(time);
        return await VersionAsync(tenant, entry.Current, cancellationToken);
    }

    /// <summary>What is loaded, and which references name what: for readiness.</summary>
    public IReadOnlyList<LoadedModelReport> Report()
    {
        var references = _references.Values.Where(r => r.IsValueCreated && r.Value.IsCompletedSuccessfully).Select(r => r.Value.Result).ToList();
        return [.. _versions.Values.Where(v => v.Loaded is not null).Select(v => v.Loaded!).OrderBy(v => v.Identity.Tenant, StringComparer.Ordinal)
            .ThenBy(v => v.Identity.ModelName, StringComparer.Ordinal).ThenBy(v => v.Identity.Version)
            .Select(v => new LoadedModelReport(v.Identity, v.SizeBytes,
                [.. references.Where(r => r.Tenant == v.Identity.Tenant && r.Current.Id == v.Identity.VersionId.ToString()).Select(r => r.Reference.Text).Order(StringComparer.Ordinal)],
                [.. references.Where(r => r.Tenant == v.Identity.Tenant && r.Current.Id == v.Identity.VersionId.ToString() && r.SwapError is not null)
                    .Select(r => $"{r.Reference.Text}: {r.SwapError}")]))];
    }

    /// <summary>An alias of a model was set, moved or removed: the references by that alias follow it.</summary>
    public Task AliasMovedAsync(string tenant, string model, string alias, CancellationToken cancellationToken) =>
        RefreshAsync(tenant, model, reference => reference.Alias == alias, cancellationToken);

    /// <summary>A model has a new version: references to its latest version follow it.</summary>
    public Task VersionRegisteredAsync(string tenant, string model, CancellationToken cancellationToken) =>
        RefreshAsync(tenant, model, reference => reference is { Alias: null, Pinned: false }, cancellationToken);

    /// <summary>A version was deleted: it is unloaded, and the references that named it are resolved again (or forgotten).</summary>
    public Task VersionDeletedAsync(string tenant, string model, Guid versionId, CancellationToken cancellationToken)
    {
        _versions.TryRemove((tenant, versionId), out _);
        return RefreshAsync(tenant, model, _ => true, cancellationToken, onlyNaming: versionId);
    }

    /// <summary>Checks every moving reference against the store (the backstop for missed events).</summary>
    public async Task RefreshMovingAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in Entries().Where(e => e.Reference.Moves))
            await RefreshAsync(entry, cancellationToken);
        ForgetFailedLoads();
    }

    private async Task RefreshAsync(string tenant, string model, Func<ServedReference, bool> moved, CancellationToken cancellationToken, Guid? onlyNaming = null)
    {
        _generations.AddOrUpdate((tenant, model), 1, (_, generation) => generation + 1);
        var entries = Entries().Where(e => e.Tenant == tenant && e.Reference.ModelName == model && moved(e.Reference)
                                           && (onlyNaming is null || e.Current.Id == onlyNaming.ToString()));
        await Task.WhenAll(entries.Select(entry => RefreshAsync(entry, cancellationToken)));
    }

    /// <summary>Resolves one reference again and, when it names another version now, loads that version and switches.</summary>
    private async Task RefreshAsync(ReferenceEntry entry, CancellationToken cancellationToken)
    {
        // One refresh of a reference at a time: each resolves afresh, so the last to run sees the registry's last word.
        await entry.Refreshing.WaitAsync(cancellationToken);
        try
        {
            ModelVersion version;
            try
            {
                version = await source.ResolveAsync(entry.Tenant, entry.Reference.Text, cancellationToken);
            }
            catch (NotFoundException)
            {
                // The alias was removed, or the model or version deleted: the next call resolves (and is told NotFound).
                _references.TryRemove((entry.Tenant, entry.Reference.Text), out _);
                logger.LogInformation("{Tenant}/{Reference} no longer names a version; forgotten", entry.Tenant, entry.Reference.Text);
                return;
            }
            if (version.Id == entry.Current.Id) return;
            try
            {
                await VersionAsync(entry.Tenant, version, cancellationToken);
            }
            catch (Exception ex) when (ex is PlatformException)
            {
                entry.SwapError = $"version {version.Version} could not be loaded ({ex.Message}); still serving version {entry.Current.Version}";
                logger.LogError("{Tenant}/{Reference} now names version {Version}, which could not be loaded; still serving version {Current}: {Reason}",
                    entry.Tenant, entry.Reference.Text, version.Version, entry.Current.Version, ex.Message);
                return;
            }
            var previous = entry.Current;
            entry.Current = version;
            entry.SwapError = null;
            Swaps.Add(1);
            logger.LogInformation("Hot swap: {Tenant}/{Reference} now answers with version {Version} (was {Previous})",
                entry.Tenant, entry.Reference.Text, version.Version, previous.Version);
        }
        catch (Exception ex) when (ex is PlatformException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not check {Tenant}/{Reference} against the model store: {Reason}", entry.Tenant, entry.Reference.Text, ex.Message);
        }
        finally
        {
            entry.Refreshing.Release();
        }
    }

    private List<ReferenceEntry> Entries() =>
        _references.Values.Where(r => r.IsValueCreated && r.Value.IsCompletedSuccessfully).Select(r => r.Value.Result).ToList();

    private async ValueTask<ReferenceEntry> ReferenceAsync(string tenant, ServedReference reference, CancellationToken cancellationToken)
    {
        var key = (tenant, reference.Text);
        var shared = _references.GetOrAdd(key, _ => new Lazy<Task<ReferenceEntry>>(() => ResolveNewAsync(tenant, reference)));
        var task = shared.Value;
        if (task.IsCompletedSuccessfully) return task.Result;
        try
        {
            var entry = await task.WaitAsync(cancellationToken);
            TrimReferences();
            return entry;
        }
        catch (Exception) when (task.IsFaulted)
        {
            // A failed resolution is not remembered: the next call asks the store again.
            _references.TryRemove(KeyValuePair.Create(key, shared));
            throw;
        }
    }

    private async Task<ReferenceEntry> ResolveNewAsync(string tenant, ServedReference reference)
    {
        // Not the caller's cancellation: other calls may be waiting for the same answer.
        for (var attempt = 0; ; attempt++)
        {
            var generation = _generations.GetValueOrDefault((tenant, reference.ModelName));
            var version = await source.ResolveAsync(tenant, reference.Text, CancellationToken.None);
            // An event about this model while resolving may have moved the reference after the store answered: again.
            if (attempt < 3 && reference.Moves && _generations.GetValueOrDefault((tenant, reference.ModelName)) != generation) continue;
            return new ReferenceEntry(tenant, reference, version);
        }
    }

    private async ValueTask<ServedVersion> VersionAsync(string tenant, ModelVersion version, CancellationToken cancellationToken)
    {
        var key = (tenant, Guid.Parse(version.Id));
        while (true)
        {
            var slot = _versions.GetOrAdd(key, _ => new VersionSlot(() => LoadAsync(tenant, version)));
            var task = slot.Loading.Value;
            if (task.IsCompletedSuccessfully)
            {
                var served = task.Result;
                served.Touch(time);
                return served;
            }
            if (task.IsFaulted && slot.FailedAt is { } failedAt
                && time.GetUtcNow() - failedAt >= TimeSpan.FromSeconds(options.Value.FailedLoadRetrySeconds))
            {
                // Tried long enough ago: try again.
                _versions.TryRemove(KeyValuePair.Create(key, slot));
                continue;
            }
            try
            {
                var served = await task.WaitAsync(cancellationToken);
                served.Touch(time);
                return served;
            }
            catch (Exception) when (task.IsFaulted)
            {
                slot.FailedAt ??= time.GetUtcNow();
                throw;
            }
        }
    }

    private async Task<ServedVersion> LoadAsync(string tenant, ModelVersion version)
    {
        var served = await source.LoadAsync(tenant, version, CancellationToken.None);
        Loads.Add(1);
        served.Touch(time);
        _versions.GetValueOrDefault((tenant, served.Identity.VersionId))?.SetLoaded(served);
        TrimVersions(served);
        return served;
    }

    /// <summary>Drops the least recently used versions past <c>Serving:MaxLoadedModels</c> (never the one just loaded).</summary>
    private void TrimVersions(ServedVersion keep)
    {
        var loaded = _versions.Where(v => v.Value.Loaded is not null).ToList();
        foreach (var (key, slot) in loaded.Where(v => v.Value.Loaded != keep).OrderBy(v => v.Value.Loaded!.LastUsedTicks)
                     .Take(Math.Max(0, loaded.Count - options.Value.MaxLoadedModels)))
        {
            if (_versions.TryRemove(KeyValuePair.Create(key, slot)))
                logger.LogInformation("Unloaded {Tenant}/{Model} (Serving:MaxLoadedModels is {Max})", key.Tenant, slot.Loaded!.Identity, options.Value.MaxLoadedModels);
        }
    }

    private void TrimReferences()
    {
        if (_references.Count <= MaxReferences) return;
        foreach (var entry in Entries().OrderBy(e => e.LastUsedTicks).Take(_references.Count - MaxReferences))
            _references.TryRemove((entry.Tenant, entry.Reference.Text), out _);
    }

    private void ForgetFailedLoads()
    {
        var retry = TimeSpan.FromSeconds(options.Value.FailedLoadRetrySeconds);
        foreach (var (key, slot) in _versions.Where(v => v.Value.FailedAt is { } at && time.GetUtcNow() - at >= retry).ToList())
            _versions.TryRemove(KeyValuePair.Create(key, slot));
    }

    /// <summary>A reference and the version it names now.</summary>
    private sealed class ReferenceEntry(string tenant, ServedReference reference, ModelVersion current)
    {
        private ModelVersion _current = current;
        private long _lastUsed;

        public string Tenant { get; } = tenant;
        public ServedReference Reference { get; } = reference;

        /// <summary>The version calls get; replaced whole, so a reader sees the old or the new one.</summary>
        public ModelVersion Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }

        /// <summary>Why the reference did not follow its last move, while that lasts.</summary>
        public string? SwapError { get; set; }

        public SemaphoreSlim Refreshing { get; } = new(1, 1);

        public long LastUsedTicks => Volatile.Read(ref _lastUsed);

        public void Touch(TimeProvider time) => Volatile.Write(ref _lastUsed, time.GetTimestamp());
    }

    /// <summary>One version's load (shared by every call that waits for it) and, once done, the loaded version or when it failed.</summary>
    private sealed class VersionSlot(Func<Task<ServedVersion>> load)
    {
        public Lazy<Task<ServedVersion>> Loading { get; } = new(load);
        public ServedVersion? Loaded { get; private set; }
        public DateTimeOffset? FailedAt { get; set; }

        public void SetLoaded(ServedVersion served) => Loaded = served;
    }
}

/// <summary>One loaded version as readiness reports it: which references name it, and any alias move it could not follow.</summary>
internal sealed record LoadedModelReport(VersionIdentity Identity, long SizeBytes, IReadOnlyList<string> References, IReadOnlyList<string> Problems);
