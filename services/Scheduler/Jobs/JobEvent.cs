namespace Platform.Scheduler.Jobs;

/// <summary>
/// One row of a job's history (<c>job_events</c>), appended by every state change or progress report.
/// <see cref="Sequence"/> counts from 1 per job, so a watcher can resume after the last row it sent.
/// </summary>
public sealed class JobEvent
{
    internal JobEvent(Guid jobId, int sequence, JobState state, string stage, double progress, string message, DateTimeOffset at)
    {
        JobId = jobId;
        Sequence = sequence;
        State = state;
        Stage = stage;
        Progress = progress;
        Message = message;
        At = at;
    }

    public long Id { get; private set; }
    public Guid JobId { get; private set; }
    public int Sequence { get; private set; }
    /// <summary>The job's state after this event.</summary>
    public JobState State { get; private set; }
    public string Stage { get; private set; }
    public double Progress { get; private set; }
    /// <summary>Human-readable description of the change.</summary>
    public string Message { get; private set; }
    public DateTimeOffset At { get; private set; }

    /// <summary>The same event as a row not stored yet (no id), for an insert tried again in a new transaction.</summary>
    internal JobEvent Unsaved() => new(JobId, Sequence, State, Stage, Progress, Message, At);
}
