using Platform.Contracts;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// A request to train one model, owned by a tenant, and the record of what happened to it.
/// The state machine is explicit (docs/scheduling.md): <c>Queued → Running → Succeeded | Failed | Cancelled |
/// TimedOut</c>, and back to <c>Queued</c> with the next attempt after a transient failure, a lost lease or a
/// hand-back. Every state change appends a <see cref="JobEvent"/>. Worker reports arrive at least once and in
/// any order, so each transition says whether it applied: a duplicate, a report for another attempt (fencing),
/// a report older than one already applied (or than the commit request), or anything after a terminal state changes
/// nothing. The events are in time order: an event is never dated before the one it follows (see <see cref="LastEventAt"/>).
/// </summary>
public sealed class TrainingJob
{
    private readonly List<JobEvent> _unsavedEvents = [];
    private JobEvent? _newestEvent;

    // For EF Core.
    private TrainingJob()
    {
        TenantId = null!;
        Spec = null!;
        Stage = null!;
        Source = null!;
    }

    private TrainingJob(Guid id, string tenantId, string? requestId, TrainingJobSpec spec, string source, DateTimeOffset at,
        string? datasetSha256, Guid? rerunOf, double? estimatedRunSeconds)
    {
        EstimatedRunSeconds = estimatedRunSeconds;
        Id = id;
        TenantId = tenantId;
        RequestId = requestId;
        Spec = spec;
        DatasetSha256 = datasetSha256;
        RerunOf = rerunOf;
        Source = source;
        State = JobState.Queued;
        Attempt = 1;
        Stage = Stages.Queued;
        CreatedAt = at;
        AwaitingFolds = spec.Evaluation?.ParallelFolds == true;
    }

    /// <summary>Stage names the scheduler itself sets; workers report their own (for example "training").</summary>
    public static class Stages
    {
        public const string Queued = "queued";
        public const string Starting = "starting";
        public const string Completed = "completed";
        public const string Failed = "failed";
        public const string Retrying = "retrying";
        public const string Committing = "committing";
        public const string Cancelled = "cancelled";
        public const string TimedOut = "timed_out";
        /// <summary>A job whose folds run as jobs of their own, while they do.</summary>
        public const string Folds = "folds";
    }

    public Guid Id { get; private set; }
    public string TenantId { get; private set; }
    /// <summary>Client-chosen idempotency key, unique within the tenant when set.</summary>
    public string? RequestId { get; private set; }
    public TrainingJobSpec Spec { get; private set; }
    /// <summary>SHA-256 (hex) of the data set's content at submission; null for jobs submitted before it was recorded.</summary>
    public string? DatasetSha256 { get; private set; }
    /// <summary>The job whose spec this one re-runs; null for an ordinary submission.</summary>
    public Guid? RerunOf { get; private set; }
    /// <summary>The sweep this job belongs to (<see cref="Sweeps.Sweep"/>); null for a job of its own.</summary>
    public Guid? SweepId { get; private set; }
    /// <summary>
    /// Within a sweep: the trial this job runs, or for the sweep's final job (<see cref="EvaluateOnly"/> false) the
    /// trial whose model it trains again and registers.
    /// </summary>
    public int? TrialNumber { get; private set; }
    /// <summary>
    /// A sweep's trial, or a fold of a cross-validation: the worker fits and evaluates, and reports the metrics without
    /// registering a model.
    /// </summary>
    public bool EvaluateOnly { get; private set; }
    /// <summary>
    /// A fold of a cross-validation whose folds run as jobs of their own (<c>evaluation.parallel_folds</c>): the job whose
    /// folds these are. Null otherwise.
    /// </summary>
    public Guid? ParentJobId { get; private set; }
    /// <summary>With <see cref="ParentJobId"/>: the fold this job fits and evaluates, 1 to k.</summary>
    public int? Fold { get; private set; }
    /// <summary>
    /// A job with <c>evaluation.parallel_folds</c> whose folds have not all succeeded yet: queued, but the dispatch pass leaves
    /// it alone (it holds no slot while its folds run). <see cref="FoldProgress"/> moves it on.
    /// </summary>
    public bool AwaitingFolds { get; private set; }
    /// <summary>How many of its folds have succeeded, as its history last recorded (a job with parallel folds).</summary>
    public int FoldsSucceeded { get; private set; }
    /// <summary>
    /// A job with parallel folds, once they all succeeded: each fold's outcome in fold order, which its attempts report
    /// instead of fitting the folds again. Null before, and for every other job.
    /// </summary>
    public IReadOnlyList<FoldOutcome>? FoldOutcomes { get; private set; }
    /// <summary>
    /// How long one attempt will probably run, estimated at submission from the data set's size and the hyperparameters
    /// (<see cref="Platform.Training.Catalogue.TrainingCost"/>); null for jobs submitted before it was recorded and for a
    /// sweep's jobs (whose trials the sweep's own limits bound).
    /// </summary>
    public double? EstimatedRunSeconds { get; private set; }
    public JobState State { get; private set; }
    /// <summary>Which attempt is current (1 for the first); worker reports for other attempts are ignored (fencing).</summary>
    public int Attempt { get; private set; }
    /// <summary>0..1 within <see cref="Stage"/>.</summary>
    public double Progress { get; private set; }
    public string Stage { get; private set; }
    /// <summary>
    /// Why the job ended Failed or TimedOut; while it waits for a retry, why the last attempt failed. Cleared when an
    /// attempt succeeds: the earlier attempts' reasons stay in the job's events.
    /// </summary>
    public string? FailureReason { get; private set; }
    /// <summary><see cref="JobSources.Grpc"/> or <see cref="JobSources.Amqp"/>.</summary>
    public string Source { get; private set; }
    /// <summary>The worker running (or that ran) the current attempt.</summary>
    public string? Worker { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    /// <summary>
    /// When the dispatch pass handed the current attempt to the workers; null while it waits for a slot
    /// (see <see cref="JobDispatcher"/>).
    /// </summary>
    public DateTimeOffset? DispatchedAt { get; private set; }
    /// <summary>Set once the job has succeeded.</summary>
    public TrainingJobResult? Result { get; private set; }
    /// <summary>Sequence of the newest <see cref="JobEvent"/> of this job.</summary>
    public int LastSequence { get; private set; }
    /// <summary>
    /// Worker clock time of the newest applied start or progress report, or of the granted commit request; older
    /// reports are stale.
    /// </summary>
    public DateTimeOffset? LastReportAt { get; private set; }
    /// <summary>
    /// Time of the newest <see cref="JobEvent"/>. A later event dated earlier (a worker's report that travelled long, a
    /// worker's clock behind the scheduler's) is dated at this time instead, so the history replays in time order.
    /// Null for jobs stored before it was recorded.
    /// </summary>
    public DateTimeOffset? LastEventAt { get; private set; }
    /// <summary>A retry timer: the dispatch pass leaves the job alone until then (null: at once).</summary>
    public DateTimeOffset? NotBefore { get; private set; }
    /// <summary>
    /// When the current attempt's slot is given up unless a heartbeat renews it (scheduler clock); set while
    /// the attempt is dispatched or running.
    /// </summary>
    public DateTimeOffset? LeaseExpiresAt { get; private set; }
    /// <summary>When the running attempt times out (scheduler clock); null without a run-time limit.</summary>
    public DateTimeOffset? DeadlineAt { get; private set; }
    /// <summary>When the current attempt was allowed to register its model; null until then.</summary>
    public DateTimeOffset? CommitGrantedAt { get; private set; }
    /// <summary>Attempts that failed transiently (hand-backs do not count).</summary>
    public int FailedAttempts { get; private set; }
    /// <summary>Optimistic concurrency token: bumped by every change so concurrent event consumers cannot lose updates.</summary>
    public int Version { get; private set; }

    /// <summary>A new job, queued for its first attempt.</summary>
    public static TrainingJob Submit(Guid id, string tenantId, string? requestId, TrainingJobSpec spec, string source, DateTimeOffset at,
        string? datasetSha256 = null, double? estimatedRunSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var job = new TrainingJob(id, tenantId, requestId, spec, source, at, datasetSha256, rerunOf: null, estimatedRunSeconds);
        job.Append($"queued ({source})", at);
        return job;
    }

    /// <summary>A new job with <paramref name="original"/>'s spec (priority and queue possibly changed), queued for its first attempt.</summary>
    public static TrainingJob Rerun(Guid id, TrainingJob original, string? requestId, TrainingJobSpec spec, string source, DateTimeOffset at,
        string datasetSha256, double? estimatedRunSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(spec);
        var job = new TrainingJob(id, original.TenantId, requestId, spec, source, at, datasetSha256, original.Id, estimatedRunSeconds);
        job.Append($"queued ({source}): re-run of job {original.Id}", at);
        return job;
    }

    /// <summary>
    /// A job of sweep <paramref name="sweepId"/>, queued for its first attempt: trial <paramref name="trialNumber"/>
    /// (<paramref name="evaluateOnly"/>), or the final job that registers that trial's model.
    /// </summary>
    public static TrainingJob ForSweep(Guid id, string tenantId, Guid sweepId, int trialNumber, bool evaluateOnly, TrainingJobSpec spec,
        DateTimeOffset at, string? datasetSha256)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var job = new TrainingJob(id, tenantId, requestId: null, spec, JobSources.Sweep, at, datasetSha256, rerunOf: null, estimatedRunSeconds: null)
        {
            SweepId = sweepId,
            TrialNumber = trialNumber,
            EvaluateOnly = evaluateOnly,
        };
        job.Append(evaluateOnly
            ? $"queued (sweep {sweepId}): trial {trialNumber}"
            : $"queued (sweep {sweepId}): registers the model of trial {trialNumber}", at);
        return job;
    }

    /// <summary>
    /// Fold <paramref name="fold"/> of <paramref name="parent"/>'s cross-validation, as a job of its own: the parent's spec
    /// (the worker reads the fold from <see cref="Fold"/>), evaluated only. It takes the parent's place in the queue
    /// (<see cref="CreatedAt"/>), so the folds start where the job would have.
    /// </summary>
    public static TrainingJob ForFold(Guid id, TrainingJob parent, int fold, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var job = new TrainingJob(id, parent.TenantId, requestId: null, parent.Spec, JobSources.Fold, parent.CreatedAt, parent.DatasetSha256,
            rerunOf: null, estimatedRunSeconds: null)
        {
            ParentJobId = parent.Id,
            Fold = fold,
            EvaluateOnly = true,
            AwaitingFolds = false,
        };
        job.Append($"queued (job {parent.Id}): fold {fold} of {parent.Spec.Evaluation?.Folds}", at);
        return job;
    }

    /// <summary>Its folds are stored as jobs of their own (<paramref name="folds"/>, in fold order): the job waits for them.</summary>
    public bool FoldsQueued(IReadOnlyList<TrainingJob> folds, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(folds);
        if (State != JobState.Queued || !AwaitingFolds || Stage == Stages.Folds) return false;
        Stage = Stages.Folds;
        Progress = 0;
        Append($"{folds.Count} folds queued as jobs of their own: {string.Join(", ", folds.Select(f => $"fold {f.Fold} job {f.Id}"))}", at);
        return true;
    }

    /// <summary>More of its folds have succeeded (<paramref name="succeeded"/>, fold numbers): recorded in the history and as progress.</summary>
    public bool FoldsProgressed(IReadOnlyList<int> succeeded, int folds, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(succeeded);
        if (State != JobState.Queued || !AwaitingFolds || succeeded.Count <= FoldsSucceeded) return false;
        FoldsSucceeded = succeeded.Count;
        Progress = Math.Clamp((double)succeeded.Count / folds, 0, 1);
        Append($"{succeeded.Count} of {folds} folds succeeded (fold {string.Join(", ", succeeded)})", at);
        return true;
    }

    /// <summary>
    /// Every fold succeeded: the job is queued for its own attempt, which fits the model on every row and reports the folds
    /// from <paramref name="outcomes"/> (in fold order).
    /// </summary>
    public bool AllFoldsSucceeded(IReadOnlyList<FoldOutcome> outcomes, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (State != JobState.Queued || !AwaitingFolds) return false;
        AwaitingFolds = false;
        FoldOutcomes = outcomes;
        FoldsSucceeded = outcomes.Count;
        Stage = Stages.Queued;
        Progress = 0;
        Append($"all {outcomes.Count} folds succeeded; queued to fit the model on every row and report the folds", at);
        return true;
    }

    /// <summary>
    /// Fold <paramref name="fold"/> ended without succeeding (after its own retries): the job fails with the fold's reason.
    /// </summary>
    public bool FoldFailed(int fold, Guid foldJob, JobState foldState, string? foldReason, DateTimeOffset at)
    {
        if (State != JobState.Queued || !AwaitingFolds) return false;
        var how = foldState switch
        {
            JobState.Cancelled => "was cancelled",
            JobState.TimedOut => "timed out",
            _ => "failed",
        };
        var reason = $"fold {fold} (job {foldJob}) {how}{(string.IsNullOrWhiteSpace(foldReason) ? "" : $": {foldReason}")}";
        return End(JobState.Failed, Stages.Failed, reason, $"failed: {reason}", at);
    }

    /// <summary>True while an attempt holds a worker slot: dispatched and not yet ended, or running.</summary>
    public bool HoldsSlot => State == JobState.Running || (State == JobState.Queued && DispatchedAt is not null);

    /// <summary>
    /// The dispatch pass hands the current attempt to the workers: it now holds a slot, under a lease that
    /// a worker must take up (start and heartbeat) before <paramref name="leaseUntil"/>.
    /// </summary>
    public bool Claim(DateTimeOffset now, DateTimeOffset leaseUntil)
    {
        if (State != JobState.Queued || DispatchedAt is not null) return false;
        if (NotBefore is { } notBefore && notBefore > now) return false;
        DispatchedAt = now;
        LeaseExpiresAt = leaseUntil;
        Version++;
        return true;
    }

    /// <summary>The broker refused the attempt's <c>TrainModel</c>: give the slot back for the next pass.</summary>
    public bool Unclaim(int attempt)
    {
        if (State != JobState.Queued || attempt != Attempt || DispatchedAt is null) return false;
        DispatchedAt = null;
        LeaseExpiresAt = null;
        Version++;
        return true;
    }

    /// <summary>
    /// A worker has started <paramref name="attempt"/>. Applies only to a queued job's current attempt. The lease
    /// and the deadline count from <paramref name="now"/>, the scheduler's clock, not the worker's.
    /// </summary>
    public bool Start(int attempt, string worker, DateTimeOffset at, DateTimeOffset now, TimeSpan lease)
    {
        if (State != JobState.Queued || attempt != Attempt) return false;
        State = JobState.Running;
        StartedAt = at;
        Worker = worker;
        Stage = Stages.Starting;
        Progress = 0;
        LastReportAt = at;
        DispatchedAt ??= now;
        LeaseExpiresAt = now + lease;
        DeadlineAt = Spec.MaxRunSeconds > 0 ? now.AddSeconds(Spec.MaxRunSeconds) : null;
        Append($"attempt {attempt} started on {worker}", at);
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
    /// The worker of the running, current <paramref name="attempt"/> asks to register its model. Granted once
    /// (a repeated request is granted again without a change); from then on the job can no longer be cancelled
    /// or time out. Returns whether the job changed; <see cref="IsCommitGranted"/> gives the decision.
    /// </summary>
    /// <param name="requestedAt">
    /// When the worker asked, by its clock: its progress reports dated before are stale from now on (they may arrive
    /// after the grant, on another queue, and must not move the stage back from <see cref="Stages.Committing"/>).
    /// </param>
    public bool GrantCommit(int attempt, string worker, DateTimeOffset now, TimeSpan lease, DateTimeOffset? requestedAt = null)
    {
        if (attempt != Attempt || CommitGrantedAt is not null) return false;
        // The start report may still be on its way (it travels on another queue).
        if (State == JobState.Queued) Start(attempt, worker, requestedAt ?? now, now, lease);
        // A duplicate delivery of the command may have started the same attempt on a second worker: only the
        // worker the scheduler recorded as running it may register.
        if (State != JobState.Running || Worker != worker) return false;
        CommitGrantedAt = now;
        Stage = Stages.Committing;
        if (requestedAt is { } asked && (LastReportAt is null || asked > LastReportAt)) LastReportAt = asked;
        Append($"attempt {attempt} is registering its model", now);
        return true;
    }

    /// <summary>Whether <paramref name="attempt"/> on <paramref name="worker"/> may register its model (see <see cref="GrantCommit"/>).</summary>
    public bool IsCommitGranted(int attempt, string worker) =>
        State == JobState.Running && attempt == Attempt && CommitGrantedAt is not null && Worker == worker;

    /// <summary>
    /// The attempt ended with a registered model version. A completion may overtake its own start report
    /// (they travel on different queues), so a queued job records the implied start first.
    /// </summary>
    public bool Succeed(int attempt, TrainingJobResult result, string worker, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (State.IsTerminal() || attempt != Attempt) return false;
        if (State == JobState.Queued) Start(attempt, worker, at, at, TimeSpan.Zero);
        State = JobState.Succeeded;
        // An earlier attempt's failure is history (its event keeps the reason), not why this job ended.
        FailureReason = null;
        Result = result;
        Worker = worker;
        Stage = Stages.Completed;
        Progress = 1;
        FinishedAt = at;
        LeaseExpiresAt = null;
        Append(!EvaluateOnly ? $"succeeded: model {result.ModelName} version {result.ModelVersion}"
            : Fold is { } fold ? $"succeeded: fold {fold} evaluated" : "succeeded: trial evaluated", at);
        return true;
    }

    /// <summary>
    /// The attempt failed. A permanent failure ends the job; a transient one queues the next attempt after a
    /// backoff, unless <see cref="RetryPolicy.MaxAttempts"/> attempts have now failed.
    /// </summary>
    public bool Fail(int attempt, string reason, bool permanent, string worker, DateTimeOffset at, DateTimeOffset now, RetryPolicy retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        if (State.IsTerminal() || attempt != Attempt) return false;
        if (State == JobState.Queued) Start(attempt, worker, at, now, TimeSpan.Zero);
        reason = string.IsNullOrWhiteSpace(reason) ? "the worker reported a failure without a reason" : reason;
        Worker = worker;
        return permanent ? End(JobState.Failed, Stages.Failed, reason, $"failed: {reason}", at) : FailTransiently(reason, now, retry);
    }

    /// <summary>
    /// No heartbeat renewed the attempt's lease before it expired: its worker is lost (or never took the
    /// command). A transient failure: the next attempt is queued, unless the retries are used up.
    /// </summary>
    public bool LoseLease(DateTimeOffset now, RetryPolicy retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        if (!HoldsSlot || LeaseExpiresAt is not { } expiry || expiry > now) return false;
        var reason = State == JobState.Running
            ? $"worker {Worker} lost: the lease of attempt {Attempt} expired at {expiry:u} without a heartbeat"
            : $"attempt {Attempt} was not picked up by any worker";
        return FailTransiently(reason, now, retry);
    }

    /// <summary>
    /// A worker shutting down handed the current attempt back: the next attempt is queued at once, and this
    /// does not count as a failure.
    /// </summary>
    public bool Release(int attempt, string worker, string reason, DateTimeOffset now)
    {
        if (!HoldsSlot || attempt != Attempt) return false;
        Requeue(null, $"attempt {attempt} handed back by {worker} ({reason}); attempt {attempt + 1} queued", now);
        return true;
    }

    /// <summary>Whether <see cref="Cancel"/> would apply: the job has not ended and is not registering its model.</summary>
    public bool CanCancel => !State.IsTerminal() && CommitGrantedAt is null;

    /// <summary>Cancelled on request: ends the job at once; the worker is told to stop at its next heartbeat.</summary>
    public bool Cancel(string reason, DateTimeOffset now)
    {
        if (!CanCancel) return false;
        var why = string.IsNullOrWhiteSpace(reason) ? "cancelled on request" : $"cancelled: {reason}";
        return End(JobState.Cancelled, Stages.Cancelled, null, why, now);
    }

    /// <summary>The running attempt passed <see cref="TrainingJobSpec.MaxRunSeconds"/>: the job ends TimedOut.</summary>
    public bool TimeOut(DateTimeOffset now)
    {
        if (State != JobState.Running || CommitGrantedAt is not null || DeadlineAt is not { } deadline || deadline > now) return false;
        var reason = $"attempt {Attempt} ran longer than its limit of {Spec.MaxRunSeconds} s";
        return End(JobState.TimedOut, Stages.TimedOut, reason, $"timed out: {reason}", now);
    }

    /// <summary>The newest event appended since the job was loaded (after a save too); null when nothing changed.</summary>
    internal JobEvent? NewestEvent => _newestEvent;

    /// <summary>Events appended since the job was loaded; the DbContext saves them with the job.</summary>
    internal IReadOnlyList<JobEvent> TakeUnsavedEvents()
    {
        var events = _unsavedEvents.ToArray();
        _unsavedEvents.Clear();
        return events;
    }

    private bool FailTransiently(string reason, DateTimeOffset now, RetryPolicy retry)
    {
        FailedAttempts++;
        if (FailedAttempts >= retry.MaxAttempts)
            return End(JobState.Failed, Stages.Failed, reason,
                $"failed after {FailedAttempts} attempt{(FailedAttempts == 1 ? "" : "s")}: {reason}", now);
        var retryAt = now + retry.BackoffAfter(FailedAttempts);
        FailureReason = reason;
        Requeue(retryAt, $"attempt {Attempt} failed ({reason}); attempt {Attempt + 1} queued, not before {retryAt:u}", now);
        return true;
    }

    private void Requeue(DateTimeOffset? notBefore, string message, DateTimeOffset now)
    {
        State = JobState.Queued;
        Attempt++;
        NotBefore = notBefore;
        DispatchedAt = null;
        LeaseExpiresAt = null;
        DeadlineAt = null;
        CommitGrantedAt = null;
        StartedAt = null;
        Worker = null;
        Stage = notBefore is null ? Stages.Queued : Stages.Retrying;
        Progress = 0;
        LastReportAt = null;
        Append(message, now);
    }

    private bool End(JobState state, string stage, string? reason, string message, DateTimeOffset at)
    {
        State = state;
        Stage = stage;
        FailureReason = reason;
        FinishedAt = at;
        LeaseExpiresAt = null;
        Append(message, at);
        return true;
    }

    private void Append(string message, DateTimeOffset at)
    {
        if (LastEventAt is { } previous && at < previous) at = previous;
        LastEventAt = at;
        LastSequence++;
        Version++;
        _newestEvent = new JobEvent(Id, LastSequence, State, Stage, Progress, message, at);
        _unsavedEvents.Add(_newestEvent);
    }
}
