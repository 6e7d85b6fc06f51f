using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Sweeps;

/// <summary>The registry tags of a sweep's final model version: which sweep and which trial it came from.</summary>
public static class SweepTags
{
    public const string Sweep = "sweep";
    public const string Trial = "sweep_trial";

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>The tags the worker puts on the version <paramref name="job"/> registers (none for other jobs).</summary>
    public static IReadOnlyDictionary<string, string> Of(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.SweepId is not { } sweep || job.EvaluateOnly) return None;
        return new Dictionary<string, string>
        {
            [Sweep] = sweep.ToString(),
            [Trial] = job.TrialNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
    }
}
