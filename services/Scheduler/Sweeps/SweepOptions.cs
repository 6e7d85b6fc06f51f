namespace Platform.Scheduler.Sweeps;

/// <summary>Configuration section <c>Sweeps</c>.</summary>
public sealed class SweepOptions
{
    public const string Section = "Sweeps";

    /// <summary>
    /// How often the <see cref="SweepSupervisor"/> looks at the running sweeps: a trial that ended is followed by the
    /// next one at most this much later.
    /// </summary>
    public TimeSpan PassInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
