using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts;
using Platform.Training;
using Platform.Worker.Training;

namespace Platform.Worker.Tests;

public sealed class JobProgressReporterTests
{
    [Fact]
    public async Task Publishes_every_stage_change_and_within_a_stage_at_most_one_report_per_interval()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        var harness = provider.GetTestHarness();
        await harness.Start();
        var time = new FakeTimeProvider();
        var job = new TrainModel
        {
            JobId = Guid.NewGuid(), Attempt = 2, TenantId = "default", DatasetId = Guid.NewGuid(), Task = "regression",
            LabelColumn = "y", Trainer = "sdca", Seed = 1, ModelName = "m", HoldoutFraction = 0.2,
        };

        var reporter = new JobProgressReporter(harness.Bus, job, time, NullLogger.Instance, CancellationToken.None);
        reporter.Report(JobStages.Downloading, 0, "a");          // first: published
        time.Advance(TimeSpan.FromMilliseconds(100));
        reporter.Report(JobStages.Downloading, 0.5, "b");        // too soon: dropped
        time.Advance(TimeSpan.FromMilliseconds(200));
        reporter.Report(JobStages.Downloading, 0.9, "c");        // 300 ms after the last one: published
        reporter.Report(new TrainingProgress(TrainingStage.Loading, 0, "d")); // new stage: published at once
        reporter.Report(new TrainingProgress(TrainingStage.Loading, 1, "e")); // same instant: dropped
        await reporter.DisposeAsync();
        reporter.Report(JobStages.Uploading, 0, "f");            // after disposal: never published

        var published = harness.Published.Select<TrainingJobProgressed>().Select(p => p.Context.Message).ToArray();
        Assert.Equal(["a", "c", "d"], published.Select(p => p.Message));
        Assert.Equal([JobStages.Downloading, JobStages.Downloading, JobStages.Loading], published.Select(p => p.Stage));
        Assert.All(published, p => Assert.Equal((job.JobId, 2), (p.JobId, p.Attempt)));
    }
}
