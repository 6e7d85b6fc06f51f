using System.Globalization;
using System.Text;
using Platform.Contracts;
using Platform.Datasets.V1;

namespace Platform.Worker.Tests;

/// <summary>
/// The worker's side of docs/scheduling.md: commands acknowledged at once and run under heartbeats, duplicates
/// dropped, stop orders honoured mid-training, the commit gate, and graceful shutdown.
/// </summary>
public sealed class WorkerLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static async Task WaitUntilAsync(Func<bool> condition, Action? meanwhile = null)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            meanwhile?.Invoke();
            await Task.Delay(20, timeout.Token);
        }
    }

    private static bool Ended(WorkerUnderTest worker, TrainModel job) =>
        worker.Events(job).Any(e => e is TrainingJobCompleted or TrainingJobFailed or TrainingJobReleased);

    [Fact]
    public async Task The_command_is_acknowledged_as_soon_as_the_attempt_starts_not_when_it_ends()
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = WorkerUnderTest.Job(worker.AddPenguins());

        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Events(job).OfType<TrainingJobStarted>().Any());

        // The delivery is done with (acknowledged) while the attempt is still running.
        Assert.True(await worker.Harness.Consumed.Any<TrainModel>(m => m.Context.Message.JobId == job.JobId && m.Exception is null));
        Assert.Single(worker.Runner.Running);
        Assert.False(Ended(worker, job));

        worker.Store.Data.DownloadGate.SetResult();
        await WaitUntilAsync(() => Ended(worker, job));
        Assert.IsType<TrainingJobCompleted>(worker.Events(job)[^1]);
        await WaitUntilAsync(() => worker.Runner.Running.Count == 0);
    }

    [Fact]
    public async Task A_duplicate_delivery_of_a_running_attempt_trains_and_registers_once()
    {
        await using var worker = await WorkerUnderTest.StartAsync(new Dictionary<string, string?> { ["Worker:Concurrency"] = "2" });
        worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = WorkerUnderTest.Job(worker.AddPenguins());

        await worker.Harness.Bus.Publish(job);
        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Harness.Consumed.Select<TrainModel>().Count() == 2);
        worker.Store.Data.DownloadGate.SetResult();
        await WaitUntilAsync(() => Ended(worker, job));
        await worker.Harness.InactivityTask;

        Assert.Single(worker.Events(job).OfType<TrainingJobStarted>());
        Assert.Single(worker.Events(job).OfType<TrainingJobCompleted>());
        Assert.Single(worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task A_duplicate_delivery_arriving_after_the_attempt_ended_does_not_train_it_again()
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        var job = WorkerUnderTest.Job(worker.AddPenguins());

        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => Ended(worker, job));
        await WaitUntilAsync(() => worker.Runner.Running.Count == 0);
        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Harness.Consumed.Select<TrainModel>().Count() == 2);
        await worker.Harness.InactivityTask;

        Assert.Single(worker.Events(job).OfType<TrainingJobStarted>());
        Assert.Single(worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task The_heartbeat_announces_capacity_and_each_running_attempt_with_its_progress()
    {
        await using var worker = await WorkerUnderTest.StartAsync(new Dictionary<string, string?> { ["Worker:Concurrency"] = "3" });
        worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = WorkerUnderTest.Job(worker.AddPenguins()) with { Attempt = 4 };
        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Runner.Running.Any(a => a.Latest.Stage == "downloading"));

        await worker.Heartbeat.BeatAsync(CancellationToken.None);

        var beat = worker.Scheduler.Heartbeats.Last();
        Assert.Equal((WorkerUnderTest.WorkerName, 3, false), (beat.Worker, beat.Capacity, beat.Draining));
        var attempt = Assert.Single(beat.Attempts);
        Assert.Equal((job.JobId, 4, "downloading"), (attempt.JobId, attempt.Attempt, attempt.Stage));
        worker.Store.Data.DownloadGate.SetResult();
        await WaitUntilAsync(() => Ended(worker, job));
    }

    [Fact]
    public Task A_stop_order_in_the_heartbeat_answer_cancels_the_attempt_mid_training_and_nothing_is_registered() =>
        StopMidTrainingAsync(async (worker, job) =>
        {
            worker.Scheduler.StopOrders[(job.JobId, job.Attempt)] = "cancelled";
            await worker.Heartbeat.BeatAsync(CancellationToken.None);
        });

    [Fact]
    public Task A_published_stop_cancels_the_attempt_mid_training_without_a_heartbeat_and_nothing_is_registered() =>
        StopMidTrainingAsync(async (worker, job) =>
        {
            // A stop for another attempt of the same job is not this one's.
            await worker.Harness.Bus.Publish(new AttemptToStop(job.JobId, job.Attempt + 1, "cancelled"));
            await worker.Harness.InactivityTask;
            Assert.Single(worker.Runner.Running);
            await worker.Harness.Bus.Publish(new AttemptToStop(job.JobId, job.Attempt, "cancelled"));
        });

    private static async Task StopMidTrainingAsync(Func<WorkerUnderTest, TrainModel, Task> stop)
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        var dataset = worker.Store.Data.Add("default", "wide.csv", SyntheticRegressionCsv(rows: 20_000),
            [.. Enumerable.Range(0, 8).Select(i => ($"x{i}", ColumnType.Numeric)), ("y", ColumnType.Numeric)]);
        // Thousands of deep boosting rounds at a tiny learning rate on 20,000 rows: minutes of training.
        var job = WorkerUnderTest.Job(dataset, label: "y", hyperparameters: new Dictionary<string, string>
        {
            ["number_of_iterations"] = "10000", ["learning_rate"] = "0.0001", ["number_of_leaves"] = "512", ["minimum_example_count_per_leaf"] = "1",
        }) with { Task = "regression" };

        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Runner.Running.Any(a => a.Latest.Stage == "training"));
        await stop(worker, job);
        await WaitUntilAsync(() => worker.Runner.Running.Count == 0);
        await worker.Harness.InactivityTask;

        // Stopped while training: no result, no failure report (the scheduler already knows), no model.
        var events = worker.Events(job);
        Assert.Equal("training", events.OfType<TrainingJobProgressed>().Last().Stage);
        Assert.DoesNotContain(events, e => e is TrainingJobCompleted or TrainingJobFailed or TrainingJobReleased);
        Assert.Empty(worker.Scheduler.CommitRequests);
        Assert.Empty(worker.Store.Data.Registrations);
        Assert.Empty(Directory.EnumerateFileSystemEntries(worker.Scratch));
    }

    [Fact]
    public async Task An_attempt_the_scheduler_no_longer_wants_registers_no_model()
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        var job = WorkerUnderTest.Job(worker.AddPenguins());
        worker.Scheduler.RefusedCommits[(job.JobId, job.Attempt)] = "superseded by attempt 2";

        await worker.Harness.Bus.Publish(job);
        await WaitUntilAsync(() => worker.Scheduler.CommitRequests.Count == 1 && worker.Runner.Running.Count == 0);
        await worker.Harness.InactivityTask;

        Assert.Empty(worker.Store.Data.Registrations);
        Assert.DoesNotContain(worker.Events(job), e => e is TrainingJobCompleted or TrainingJobFailed);
    }

    [Fact]
    public async Task On_shutdown_an_attempt_that_cannot_finish_in_the_grace_period_is_handed_back()
    {
        var worker = await WorkerUnderTest.StartAsync(new Dictionary<string, string?> { ["Worker:ShutdownGrace"] = "00:00:00" });
        await using (worker)
        {
            worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var job = WorkerUnderTest.Job(worker.AddPenguins()) with { Attempt = 3 };
            await worker.Harness.Bus.Publish(job);
            await WaitUntilAsync(() => worker.Events(job).OfType<TrainingJobStarted>().Any());

            await worker.StopAsync();

            await WaitUntilAsync(() => worker.Events(job).OfType<TrainingJobReleased>().Any());
            var released = Assert.IsType<TrainingJobReleased>(worker.Events(job)[^1]);
            Assert.Equal((job.JobId, 3, WorkerUnderTest.WorkerName), (released.JobId, released.Attempt, released.Worker));
            Assert.True(worker.Runner.Draining);
            Assert.Empty(worker.Store.Data.Registrations);
        }
    }

    [Fact]
    public async Task On_shutdown_an_attempt_that_finishes_within_the_grace_period_completes()
    {
        var worker = await WorkerUnderTest.StartAsync(new Dictionary<string, string?> { ["Worker:ShutdownGrace"] = "00:10:00" });
        await using (worker)
        {
            worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var job = WorkerUnderTest.Job(worker.AddPenguins());
            await worker.Harness.Bus.Publish(job);
            await WaitUntilAsync(() => worker.Events(job).OfType<TrainingJobStarted>().Any());

            var stopping = worker.StopAsync();
            await WaitUntilAsync(() => worker.Runner.Draining);
            await worker.Heartbeat.BeatAsync(CancellationToken.None);
            Assert.True(worker.Scheduler.Heartbeats.Last().Draining);
            worker.Store.Data.DownloadGate.SetResult();
            await stopping;

            Assert.IsType<TrainingJobCompleted>(worker.Events(job)[^1]);
            Assert.DoesNotContain(worker.Events(job), e => e is TrainingJobReleased);
            Assert.Single(worker.Store.Data.Registrations);
        }
    }

    [Fact]
    public async Task A_full_worker_hands_a_command_back_and_runs_it_once_a_slot_is_free()
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        worker.Store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dataset = worker.AddPenguins();
        var first = WorkerUnderTest.Job(dataset);
        var second = WorkerUnderTest.Job(dataset);
        await worker.Harness.Bus.Publish(first);
        await WaitUntilAsync(() => worker.Events(first).OfType<TrainingJobStarted>().Any());

        await worker.Harness.Bus.Publish(second);
        // The hand-back waits a moment on the (fake) clock, then publishes the command again.
        await WaitUntilAsync(() => worker.Harness.Published.Select<TrainModel>().Count(m => m.Context.Message.JobId == second.JobId) >= 2,
            () => worker.Clock.Advance(TimeSpan.FromSeconds(1)));
        Assert.Empty(worker.Events(second));

        worker.Store.Data.DownloadGate.SetResult();
        await WaitUntilAsync(() => Ended(worker, first) && Ended(worker, second), () => worker.Clock.Advance(TimeSpan.FromSeconds(1)));

        Assert.IsType<TrainingJobCompleted>(worker.Events(second)[^1]);
        Assert.Equal(2, worker.Store.Data.Registrations.Count);
    }

    /// <summary>y = sum of the features plus noise, deterministic.</summary>
    private static byte[] SyntheticRegressionCsv(int rows)
    {
        var random = new Random(7);
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', Enumerable.Range(0, 8).Select(i => $"x{i}").Append("y")));
        for (var row = 0; row < rows; row++)
        {
            var x = Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray();
            var y = x.Sum() + random.NextDouble() * 0.1;
            csv.AppendLine(string.Join(',', x.Append(y).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}
