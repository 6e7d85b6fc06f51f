namespace Platform.Scheduler.Sweeps;

/// <summary>Configuration section <c>Sweeps</c>.</summary>
public sealed class SweepOptions
{
    public const string Section = "Sweeps";

    /// <summary>
    /// How often the <see cref="SweepSupervisor"/> looks at every running sweep. A trial whose end this replica records
    /// wakes its sweep at once; this bounds the wait for the rest (another replica's trials, cancellations, time budgets).
    /// </summary>
    public TimeSpan PassInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
