using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Tests;

/// <summary>The state machine on its own.</summary>
public sealed class TrainingJobTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 9, 0, 0, TimeSpan.Zero);

    private static readonly TrainingJobSpec Spec = new()
    {
        DatasetId = Guid.NewGuid(), Task = "regression", LabelColumn = "y", Trainer = "sdca",
        Hyperparameters = new Dictionary<string, string>(), Seed = 1, ModelName = "m", HoldoutFraction = 0.2,
    };

    private static readonly TrainingJobResult Result = new()
    {
        ModelName = "m", ModelVersion = 1, Metrics = new Dictionary<string, double>(), ModelSha256 = "", TrainingSeconds = 1,
    };

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly RetryPolicy Retry = new(3, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));

    private static TrainingJob NewJob() => TrainingJob.Submit(Guid.NewGuid(), "default", null, Spec, JobSources.Grpc, T0);

    [Fact]
    public void A_new_job_is_queued_for_its_first_attempt_with_one_event()
    {
        var job = NewJob();

        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(1, job.Attempt);
        var queued = Assert.Single(job.TakeUnsavedEvents());
        Assert.Equal((1, JobState.Queued, T0), (queued.Sequence, queued.State, queued.At));
    }

    [Fact]
    public void Each_applied_change_appends_the_next_event_and_ignored_ones_append_none()
    {
        var job = NewJob();

        Assert.True(job.Start(1, "w", T0.AddSeconds(1), T0, Lease));
        Assert.False(job.Start(1, "w", T0.AddSeconds(1), T0, Lease));
        Assert.True(job.ReportProgress(1, "training", 0.5, "", T0.AddSeconds(2)));
        Assert.False(job.ReportProgress(1, "training", 0.5, "", T0.AddSeconds(2)));
        Assert.False(job.ReportProgress(1, "loading", 1, "", T0));
        Assert.True(job.Succeed(1, Result, "w", T0.AddSeconds(3)));
        Assert.False(job.Fail(1, "late", true, "w", T0.AddSeconds(4), T0, Retry));
        Assert.False(job.ReportProgress(1, "evaluating", 1, "", T0.AddSeconds(5)));

        Assert.Equal([1, 2, 3, 4], job.TakeUnsavedEvents().Select(e => e.Sequence));
        Assert.Equal(4, job.LastSequence);
        Assert.Equal(JobState.Succeeded, job.State);
    }

    [Fact]
    public void A_failure_without_a_reason_still_says_something()
    {
        var job = NewJob();

        Assert.True(job.Fail(1, " ", true, "w", T0, T0, Retry));

        Assert.Equal(JobState.Failed, job.State);
        Assert.False(string.IsNullOrWhiteSpace(job.FailureReason));
    }

    [Fact]
    public void A_progress_report_sent_before_the_commit_request_and_arriving_after_the_grant_is_stale()
    {
        var job = NewJob();
        job.Start(1, "w", T0, T0, Lease);
        job.ReportProgress(1, "training", 0.5, "", T0.AddSeconds(1));

        // The worker reported "saving" at +2 s and asked to commit at +3 s; the report travels on another queue.
        Assert.True(job.GrantCommit(1, "w", T0.AddSeconds(4), Lease, requestedAt: T0.AddSeconds(3)));
        Assert.False(job.ReportProgress(1, "saving", 1, "", T0.AddSeconds(2)));
        Assert.True(job.ReportProgress(1, "uploading", 0.5, "", T0.AddSeconds(5)));

        Assert.Equal(["starting", "training", "committing", "uploading"], job.TakeUnsavedEvents().Skip(1).Select(e => e.Stage));
    }

    [Fact]
    public void Events_are_never_dated_before_the_event_they_follow()
    {
        var job = NewJob();
        // A worker whose clock is 10 s behind the scheduler's.
        Assert.True(job.Start(1, "w", T0.AddSeconds(-10), T0, Lease));
        Assert.True(job.ReportProgress(1, "training", 0.5, "", T0.AddSeconds(-5)));
        Assert.True(job.Fail(1, "worker lost", false, "w", T0.AddSeconds(-4), T0.AddSeconds(2), Retry));
        Assert.True(job.Start(2, "w", T0.AddSeconds(-7), T0.AddSeconds(3), Lease));

        var times = job.TakeUnsavedEvents().Select(e => e.At).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal([T0, T0, T0, T0.AddSeconds(2), T0.AddSeconds(2)], times);
    }

    [Fact]
    public void A_job_that_succeeds_after_a_failed_attempt_has_no_failure_reason_and_its_history_keeps_the_old_one()
    {
        var job = NewJob();
        job.Start(1, "w", T0, T0, Lease);
        job.Fail(1, "RequestTimeoutException: no answer to the commit request", false, "w", T0.AddSeconds(1), T0.AddSeconds(1), Retry);
        Assert.Equal("RequestTimeoutException: no answer to the commit request", job.FailureReason);

        job.Start(2, "w2", T0.AddSeconds(7), T0.AddSeconds(7), Lease);
        Assert.True(job.Succeed(2, Result, "w2", T0.AddSeconds(9)));

        Assert.Null(job.FailureReason);
        Assert.Contains(job.TakeUnsavedEvents(), e => e.Message.Contains("attempt 1 failed (RequestTimeoutException: no answer", StringComparison.Ordinal));
    }

    [Fact]
    public void Progress_is_kept_within_zero_and_one()
    {
        var job = NewJob();
        job.Start(1, "w", T0, T0, Lease);

        job.ReportProgress(1, "training", 7, "", T0);

        Assert.Equal(1, job.Progress);
    }

    [Theory]
    [InlineData("penguins.csv", "penguins")]
    [InlineData("My Data (v2).tsv", "My-Data-v2")]
    [InlineData("données.csv", "donn-es")]
    [InlineData("___.csv", "model")]
    [InlineData("flights..2024.parquet", "flights.2024")]
    public void The_default_model_name_is_derived_from_the_data_set_name(string datasetName, string expected)
    {
        Assert.Equal(expected, JobSubmission.DefaultModelName(datasetName));
    }
}
