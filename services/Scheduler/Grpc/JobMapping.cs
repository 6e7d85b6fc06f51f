using Google.Protobuf.WellKnownTypes;
using Platform.Scheduler.Jobs;
using Platform.Training;
using Platform.Training.Catalogue;
using ProtoJob = Platform.Jobs.V1.Job;
using ProtoJobResult = Platform.Jobs.V1.JobResult;
using ProtoJobSpec = Platform.Jobs.V1.JobSpec;
using ProtoJobState = Platform.Jobs.V1.JobState;
using Hyperparameter = Platform.Jobs.V1.Hyperparameter;
using ProtoTask = Platform.Jobs.V1.TrainingTask;
using Trainer = Platform.Jobs.V1.Trainer;

namespace Platform.Scheduler.Grpc;

/// <summary>Between the domain and the <c>platform.jobs.v1</c> messages.</summary>
internal static class JobMapping
{
    /// <summary>A submitted spec as <see cref="JobSubmission"/> takes it (a sweep's base spec too), before any validation.</summary>
    public static JobSubmissionRequest ToSubmissionRequest(this ProtoJobSpec spec, string tenantId, string? requestId, string source) => new()
    {
        TenantId = tenantId,
        RequestId = requestId,
        DatasetId = spec.DatasetId,
        Task = FromProtoTask(spec.Task),
        LabelColumn = spec.LabelColumn,
        Trainer = spec.Trainer,
        Hyperparameters = spec.Hyperparameters,
        Seed = spec.Seed,
        ModelName = spec.ModelName,
        HoldoutFraction = spec.HoldoutFraction,
        Priority = spec.Priority,
        Queue = spec.Queue,
        MaxRunSeconds = spec.MaxRunSeconds,
        Preparation = SpecMapping.FromProto(spec.Preparation),
        Evaluation = SpecMapping.FromProto(spec.Evaluation),
        Source = source,
    };

    public static ProtoJob ToProto(this TrainingJob job)
    {
        var proto = new ProtoJob
        {
            Id = job.Id.ToString(),
            TenantId = job.TenantId,
            RequestId = job.RequestId ?? "",
            Spec = job.Spec.ToProto(),
            State = job.State.ToProto(),
            Progress = job.Progress,
            Stage = job.Stage,
            // While queued for a retry, the last failure shows in pending.reason; failure_reason is the final word, and a
            // job that succeeded has none (rows stored before Succeed cleared it may still hold an earlier attempt's).
            FailureReason = job.State.IsTerminal() && job.State != JobState.Succeeded ? job.FailureReason ?? "" : "",
            CreatedAt = Timestamp.FromDateTimeOffset(job.CreatedAt),
            StartedAt = job.StartedAt is { } started ? Timestamp.FromDateTimeOffset(started) : null,
            FinishedAt = job.FinishedAt is { } finished ? Timestamp.FromDateTimeOffset(finished) : null,
            Source = job.Source,
            Attempt = job.Attempt,
            RerunOf = job.RerunOf?.ToString() ?? "",
            DatasetSha256 = job.DatasetSha256 ?? "",
            SweepId = job.SweepId?.ToString() ?? "",
            TrialNumber = job.TrialNumber ?? 0,
            EstimatedRunSeconds = job.EstimatedRunSeconds ?? 0,
            ParentJobId = job.ParentJobId?.ToString() ?? "",
            Fold = job.Fold ?? 0,
        };
        if (job.Result is { } result)
        {
            proto.Result = new ProtoJobResult
            {
                ModelName = result.ModelName,
                ModelVersion = result.ModelVersion,
                ModelSha256 = result.ModelSha256,
                TrainingSeconds = result.TrainingSeconds,
                Worker = job.Worker ?? "",
            };
            foreach (var (name, value) in result.Metrics) proto.Result.Metrics[name] = value;
            if (result.Evaluation is { } evaluation) proto.Result.Evaluation = evaluation.ToProto();
        }
        return proto;
    }

    /// <summary>A fold of a job whose folds run as jobs of their own, as <c>Job.folds</c> lists it.</summary>
    public static Platform.Jobs.V1.JobFold ToFoldProto(this TrainingJob fold) => new()
    {
        Fold = fold.Fold ?? 0,
        JobId = fold.Id.ToString(),
        State = fold.State.ToProto(),
        Worker = fold.Worker ?? "",
        FailureReason = fold.State is JobState.Failed or JobState.TimedOut ? fold.FailureReason ?? "" : "",
    };

    /// <summary>
    /// The job as it was right after <paramref name="jobEvent"/>: the current row with the event's state, stage
    /// and progress, and without what only a later state sets (so a watcher catching up on several events
    /// does not see the result before the success).
    /// </summary>
    public static ProtoJob AsOf(this TrainingJob job, JobEvent jobEvent)
    {
        var proto = job.ToProto();
        proto.State = jobEvent.State.ToProto();
        proto.Stage = jobEvent.Stage;
        proto.Progress = jobEvent.Progress;
        if (!jobEvent.State.IsTerminal())
        {
            proto.Result = null;
            proto.FinishedAt = null;
            proto.FailureReason = "";
        }
        if (jobEvent.State == JobState.Queued) proto.StartedAt = null;
        return proto;
    }

    public static Platform.Jobs.V1.JobPending ToProto(this PendingReason pending) => new()
    {
        Position = pending.Position,
        Reason = pending.Reason,
        Limit = pending.Limit ?? "",
        WorkersBusy = pending.WorkersBusy,
        EstimatedStart = pending.EstimatedStart is { } start ? Timestamp.FromDateTimeOffset(start) : null,
        Dispatched = pending.Dispatched,
    };

    public static ProtoJobSpec ToProto(this TrainingJobSpec spec)
    {
        var proto = new ProtoJobSpec
        {
            DatasetId = spec.DatasetId.ToString(),
            Task = ToProtoTask(spec.Task),
            LabelColumn = spec.LabelColumn,
            Trainer = spec.Trainer,
            Seed = spec.Seed,
            ModelName = spec.ModelName,
            HoldoutFraction = spec.HoldoutFraction,
            Priority = spec.Priority,
            Queue = spec.Queue,
            MaxRunSeconds = spec.MaxRunSeconds,
        };
        foreach (var (name, value) in spec.Hyperparameters) proto.Hyperparameters[name] = value;
        if (spec.Preparation is { } preparation) proto.Preparation = preparation.ToProto();
        if (spec.Evaluation is { } evaluation) proto.Evaluation = evaluation.ToProto();
        return proto;
    }

    public static ProtoJobState ToProto(this JobState state) => state switch
    {
        JobState.Queued => ProtoJobState.Queued,
        JobState.Running => ProtoJobState.Running,
        JobState.Succeeded => ProtoJobState.Succeeded,
        JobState.Failed => ProtoJobState.Failed,
        JobState.Cancelled => ProtoJobState.Cancelled,
        JobState.TimedOut => ProtoJobState.TimedOut,
        _ => ProtoJobState.Unspecified,
    };

    /// <summary>The domain state for a proto filter value; null for UNSPECIFIED (no filter).</summary>
    public static JobState? FromProto(ProtoJobState state) => state switch
    {
        ProtoJobState.Unspecified => null,
        ProtoJobState.Queued => JobState.Queued,
        ProtoJobState.Running => JobState.Running,
        ProtoJobState.Succeeded => JobState.Succeeded,
        ProtoJobState.Failed => JobState.Failed,
        ProtoJobState.Cancelled => JobState.Cancelled,
        ProtoJobState.TimedOut => JobState.TimedOut,
        _ => throw new ServiceDefaults.Errors.InvalidArgumentException("state", $"{(int)state} is not a job state"),
    };

    public static ProtoTask ToProtoTask(string task) => task switch
    {
        TrainingTasks.BinaryClassification => ProtoTask.BinaryClassification,
        TrainingTasks.MulticlassClassification => ProtoTask.MulticlassClassification,
        TrainingTasks.Regression => ProtoTask.Regression,
        TrainingTasks.Clustering => ProtoTask.Clustering,
        _ => ProtoTask.Unspecified,
    };

    /// <summary>The task wire name; null for UNSPECIFIED, an unparseable name for an unknown number (validation then names the field).</summary>
    public static string? FromProtoTask(ProtoTask task) => task switch
    {
        ProtoTask.BinaryClassification => TrainingTasks.BinaryClassification,
        ProtoTask.MulticlassClassification => TrainingTasks.MulticlassClassification,
        ProtoTask.Regression => TrainingTasks.Regression,
        ProtoTask.Clustering => TrainingTasks.Clustering,
        ProtoTask.Unspecified => null,
        _ => $"task number {(int)task}",
    };

    public static ProtoTask ToProto(this TrainingTask task) => ToProtoTask(task.ToWireName());

    public static Trainer ToProto(this TrainerDefinition trainer)
    {
        var proto = new Trainer { Name = trainer.Name, Description = trainer.Description };
        proto.ExampleWeightTasks.Add(trainer.ExampleWeightTasks.Select(t => t.ToProto()));
        proto.Tasks.Add(trainer.Tasks.Select(t => t.ToProto()));
        proto.Hyperparameters.Add(trainer.Hyperparameters.Select(h => new Hyperparameter
        {
            Name = h.Name,
            Type = h.TypeName,
            DefaultValue = h.DefaultValue,
            Min = h.MinText,
            Max = h.MaxText,
            Description = h.Description,
        }));
        return proto;
    }
}
