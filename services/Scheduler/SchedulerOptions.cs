namespace Platform.Scheduler;

/// <summary>Tuning of the scheduler, bound from the <c>Scheduler</c> configuration section.</summary>
public sealed class SchedulerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Scheduler";

    /// <summary>How often to look for queued jobs whose dispatch was never confirmed (<c>Scheduler:DispatchSweepInterval</c>).</summary>
    public TimeSpan DispatchSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a queued job may go without a dispatch confirmation before the sweep publishes it again
    /// (<c>Scheduler:RedispatchAfter</c>). Longer than a normal publish, so the sweep does not race the submission.
    /// </summary>
    public TimeSpan RedispatchAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often a <c>WatchJob</c> stream re-reads the job when no in-process signal came
    /// (<c>Scheduler:WatchPollInterval</c>): events consumed by another scheduler replica only show up this way.
    /// </summary>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
