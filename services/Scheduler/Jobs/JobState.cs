namespace Platform.Scheduler.Jobs;

/// <summary>Where a <see cref="TrainingJob"/> is in its life. Stored by name, so values may be added freely.</summary>
public enum JobState
{
    /// <summary>Accepted and waiting for a worker slot (or dispatched and not yet started), also between attempts.</summary>
    Queued,
    /// <summary>A worker has started the current attempt.</summary>
    Running,
    /// <summary>Ended with a registered model version.</summary>
    Succeeded,
    /// <summary>Ended without a model; <see cref="TrainingJob.FailureReason"/> says why.</summary>
    Failed,
    /// <summary>Stopped on request (<c>JobService.CancelJob</c>); no model is registered.</summary>
    Cancelled,
    /// <summary>Stopped because an attempt ran longer than <see cref="TrainingJobSpec.MaxRunSeconds"/>.</summary>
    TimedOut,
}

/// <summary>Helpers on <see cref="JobState"/>.</summary>
public static class JobStates
{
    /// <summary>True for the states a job never leaves.</summary>
    public static bool IsTerminal(this JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.TimedOut;
}

/// <summary>How a job was submitted; shown to users as <c>Job.source</c>.</summary>
public static class JobSources
{
    /// <summary>Through <c>JobService.SubmitJob</c>.</summary>
    public const string Grpc = "grpc";
    /// <summary>Through the public message queue <c>platform.submit-training-job</c>.</summary>
    public const string Amqp = "amqp";
    /// <summary>Created by a sweep: one of its trials, or its final job.</summary>
    public const string Sweep = "sweep";
    /// <summary>A fold of a cross-validation whose folds run as jobs of their own (<see cref="TrainingJob.ParentJobId"/>).</summary>
    public const string Fold = "fold";
}
