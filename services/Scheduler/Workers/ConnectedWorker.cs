namespace Platform.Scheduler.Workers;

/// <summary>
/// A worker as its latest heartbeat described it (<c>workers</c>). The dispatch pass counts the slots of the
/// workers seen within <see cref="SchedulerOptions.LeaseDuration"/> that are not draining.
/// </summary>
public sealed class ConnectedWorker
{
    public ConnectedWorker(string name, int capacity, bool draining, DateTimeOffset lastSeenAt)
    {
        Name = name;
        Capacity = capacity;
        Draining = draining;
        LastSeenAt = lastSeenAt;
    }

    /// <summary>The worker's unique name (<c>Worker:Name</c>).</summary>
    public string Name { get; private set; }
    /// <summary>Attempts it runs at once.</summary>
    public int Capacity { get; set; }
    /// <summary>Shutting down: takes no new work.</summary>
    public bool Draining { get; set; }
    /// <summary>When the scheduler received its latest heartbeat (scheduler clock).</summary>
    public DateTimeOffset LastSeenAt { get; set; }
}
