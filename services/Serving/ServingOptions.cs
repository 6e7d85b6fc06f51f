using Platform.Serving.Monitoring;

namespace Platform.Serving;

/// <summary>
/// <c>Serving</c>: the serving service's limits and caches. Every key is documented in docs/serving.md.
/// </summary>
public sealed class ServingOptions
{
    public const string Section = "Serving";

    /// <summary><c>Serving:MaxRowsPerRequest</c>: the most rows one Predict (or one PredictStream message) may carry.</summary>
    public int MaxRowsPerRequest { get; set; } = 10_000;

    /// <summary><c>Serving:MaxLoadedModels</c>: model versions kept loaded; past it the least recently used is dropped.</summary>
    public int MaxLoadedModels { get; set; } = 16;

    /// <summary><c>Serving:MaxModelBytes</c>: the largest model artifact this service loads.</summary>
    public long MaxModelBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// <c>Serving:ReferenceRefreshSeconds</c>: how often a reference by alias or to the latest version is checked against the
    /// registry, in case an event was missed (the registry's events move them at once); 0 turns the check off.
    /// </summary>
    public int ReferenceRefreshSeconds { get; set; } = 30;

    /// <summary><c>Serving:FailedLoadRetrySeconds</c>: how long a version that failed to load answers with that failure before it is tried again.</summary>
    public int FailedLoadRetrySeconds { get; set; } = 30;

    /// <summary><c>Serving:ScratchDirectory</c>: where artifacts are downloaded before they load (deleted once loaded).</summary>
    public string ScratchDirectory { get; set; } = Path.GetTempPath();

    /// <summary><c>Serving:Preload</c>: references loaded at start-up, as <c>tenant/reference</c>; the service is ready only once they are.</summary>
    public IList<string> Preload { get; } = [];

    /// <summary><c>Serving:PredictionLog</c>: what is logged and for how long.</summary>
    public PredictionLogOptions PredictionLog { get; set; } = new();

    /// <summary><c>Serving:Monitoring</c>: drift thresholds and the background drift check (docs/monitoring.md).</summary>
    public MonitoringOptions Monitoring { get; set; } = new();

    internal void Validate()
    {
        if (MaxRowsPerRequest < 1) throw new InvalidOperationException($"{Section}:MaxRowsPerRequest must be at least 1.");
        if (MaxLoadedModels < 1) throw new InvalidOperationException($"{Section}:MaxLoadedModels must be at least 1.");
        if (ReferenceRefreshSeconds < 0) throw new InvalidOperationException($"{Section}:ReferenceRefreshSeconds must not be negative.");
        PredictionLog.Validate();
        Monitoring.Validate();
    }
}

/// <summary><c>Serving:PredictionLog</c>: the sampled log of requests and their predictions (docs/serving.md, "Prediction log").</summary>
public sealed class PredictionLogOptions
{
    /// <summary>The share of requests logged, 0 to 1 (a request is logged whole or not at all; decided by its id).</summary>
    public double SampleRate { get; set; } = 1.0;

    /// <summary>Whether columns marked sensitive are logged too (they are left out by default).</summary>
    public bool IncludeSensitiveColumns { get; set; }

    /// <summary>Columns never logged, whatever the model: names of personal or secret data, in addition to the data sets' own marks.</summary>
    public IList<string> SensitiveColumns { get; } = [];

    /// <summary>Rows waiting to be written, at most; past it new rows are dropped (and counted), never the request.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Rows written in one database round trip, at most.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>How long a logged row or reported outcome is kept.</summary>
    public int RetentionDays { get; set; } = 30;

    internal void Validate()
    {
        if (SampleRate is < 0 or > 1 || double.IsNaN(SampleRate))
            throw new InvalidOperationException($"{ServingOptions.Section}:PredictionLog:SampleRate must be between 0 and 1.");
        if (QueueCapacity < 1 || BatchSize < 1)
            throw new InvalidOperationException($"{ServingOptions.Section}:PredictionLog:QueueCapacity and BatchSize must be at least 1.");
        if (RetentionDays < 1) throw new InvalidOperationException($"{ServingOptions.Section}:PredictionLog:RetentionDays must be at least 1.");
    }
}
