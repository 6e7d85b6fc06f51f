namespace Platform.Scheduler.Jobs;

/// <summary>
/// A request to train one model, owned by a tenant, and the record of what happened to it.
/// The state machine is explicit: <c>Queued → Running → Succeeded | Failed</c> (<see cref="JobState.Cancelled"/>
/// and <see cref="JobState.TimedOut"/> come with later issues). Every change appends a <see cref="JobEvent"/>.
/// Worker reports arrive at least once and in any order, so each transition says whether it applied:
/// a duplicate, a report for another attempt, or anything after a terminal state changes nothing.
/// </summary>
public sealed class TrainingJob
{
    private readonly List<JobEvent> _unsavedEvents = [];

    // For EF Core.
    private TrainingJob()
    {
        TenantId = null!;
        Spec = null!;
        Stage = null!;
        Source = null!;
    }

    private TrainingJob(Guid id, string tenantId, string? requestId, TrainingJobSpec spec, string source, DateTimeOffset at)
    {
        Id = id;
        TenantId = tenantId;
        RequestId = requestId;
        Spec = spec;
        Source = source;
        State = JobState.Queued;
        Attempt = 1;
        Stage = Stages.Queued;
        CreatedAt = at;
    }

    /// <summary>Stage names the scheduler itself sets; workers report their own (for example "training").</summary>
    public static class Stages
    {
        public const string Queued = "queued";
        public const string Starting = "starting";
        public const string Completed = "completed";
        public const string Failed = "failed";
    }

    public Guid Id { get; private set; }
    public string TenantId { get; private set; }
    /// <summary>Client-chosen idempotency key, unique within the tenant when set.</summary>
    public string? RequestId { get; private set; }
    public TrainingJobSpec Spec { get; private set; }
    public JobState State { get; private set; }
    /// <summary>Which attempt is current (1 for the first); worker reports for other attempts are ignored.</summary>
    public int Attempt { get; private set; }
    /// <summary>0..1 within <see cref="Stage"/>.</summary>
    public double Progress { get; private set; }
    public string Stage { get; private set; }
    public string? FailureReason { get; private set; }
    /// <summary><see cref="JobSources.Grpc"/> or <see cref="JobSources.Amqp"/>.</summary>
    public string Source { get; private set; }
    /// <summary>The worker running (or that ran) the current attempt.</summary>
    public string? Worker { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    /// <summary>
    /// When the broker confirmed the current attempt's <c>TrainModel</c>; null until then. The pending-dispatch
    /// sweep re-publishes queued jobs that stay null (see <see cref="PendingDispatchSweep"/>).
    /// </summary>
    public DateTimeOffset? DispatchedAt { get; private set; }
    /// <summary>Set once the job has succeeded.</summary>
    public TrainingJobResult? Result { get; private set; }
    /// <summary>Sequence of the newest <see cref="JobEvent"/> of this job.</summary>
    public int LastSequence { get; private set; }
    /// <summary>Worker clock time of the newest applied start or progress report; older reports are stale.</summary>
    public DateTimeOffset? LastReportAt { get; private set; }
    /// <summary>Optimistic concurrency token: bumped by every change so concurrent event consumers cannot lose updates.</summary>
    public int Version { get; private set; }

    /// <summary>A new job, queued for its first attempt.</summary>
    public static TrainingJob Submit(Guid id, string tenantId, string? requestId, TrainingJobSpec spec, string source, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var job = new TrainingJob(id, tenantId, requestId, spec, source, at);
        job.Append($"queued ({source})", at);
        return job;
    }

    /// <summary>A worker has started <paramref name="attempt"/>. Applies only to a queued job's current attempt.</summary>
    public bool Start(int attempt, string worker, DateTimeOffset at)
    {
        if (State != JobState.Queued || attempt != Attempt) return false;
        State = JobState.Running;
        StartedAt = at;
        Worker = worker;
        Stage = Stages.Starting;
        Progress = 0;
        LastReportAt = at;
        Append($"started on {worker}", at);
        return true;
    }

    /// <summary>
    /// Progress of the running attempt. Ignored unless the job is running that attempt, and when it is a
    /// duplicate (same stage and progress) or older than the newest report already applied.
    /// </summary>
    public bool ReportProgress(int attempt, string stage, double progress, string message, DateTimeOffset at)
    {
        if (State != JobState.Running || attempt != Attempt) return false;
        if (at < LastReportAt) return false;
        if (stage == Stage && progress.Equals(Progress)) return false;
        Stage = stage;
        Progress = Math.Clamp(double.IsFinite(progress) ? progress : 0, 0, 1);
        LastReportAt = at;
        Append(string.IsNullOrWhiteSpace(message) ? $"{stage} {Progress:P0}" : message, at);
        return true;
    }

    /// <summary>
    /// The attempt ended with a registered model version. A completion may overtake its own start report
    /// (they travel on different queues), so a queued job records the implied start first.
    /// </summary>
    public bool Succeed(int attempt, TrainingJobResult result, string worker, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (State.IsTerminal() || attempt != Attempt) return false;
        if (State == JobState.Queued) Start(attempt, worker, at);
        State = JobState.Succeeded;
        Result = result;
        Worker = worker;
        Stage = Stages.Completed;
        Progress = 1;
        FinishedAt = at;
        Append($"succeeded: model {result.ModelName} version {result.ModelVersion}", at);
        return true;
    }

    /// <summary>
    /// The attempt failed. For now every failure ends the job; retrying transient failures
    /// (<paramref name="permanent"/> false) with <c>Attempt + 1</c> belongs here when retries arrive.
    /// </summary>
    public bool Fail(int attempt, string reason, bool permanent, string worker, DateTimeOffset at)
    {
        if (State.IsTerminal() || attempt != Attempt) return false;
        // Retries (a later issue): when !permanent and attempts remain, requeue with Attempt + 1 here instead.
        if (State == JobState.Queued) Start(attempt, worker, at);
        State = JobState.Failed;
        FailureReason = string.IsNullOrWhiteSpace(reason) ? "the worker reported a failure without a reason" : reason;
        Worker = worker;
        Stage = Stages.Failed;
        FinishedAt = at;
        Append($"failed: {FailureReason}", at);
        return true;
    }

    /// <summary>Records that the broker has accepted this attempt's <c>TrainModel</c>.</summary>
    internal void MarkDispatched(DateTimeOffset at) => DispatchedAt ??= at;

    /// <summary>Events appended since the job was loaded; the DbContext saves them with the job.</summary>
    internal IReadOnlyList<JobEvent> TakeUnsavedEvents()
    {
        var events = _unsavedEvents.ToArray();
        _unsavedEvents.Clear();
        return events;
    }

    private void Append(string message, DateTimeOffset at)
    {
        LastSequence++;
        Version++;
        _unsavedEvents.Add(new JobEvent(Id, LastSequence, State, Stage, Progress, message, at));
    }
}
