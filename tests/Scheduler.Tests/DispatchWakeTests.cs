using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Jobs;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// What keeps dispatch fast (docs/scheduling.md, "Dispatch"): a pass hands out every free slot at once, a finished
/// attempt wakes the supervisor instead of waiting for its next sweep, and SQLite writers wait for each other.
/// </summary>
public sealed class DispatchWakeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static Task<Job> SubmitWithoutPassAsync(SchedulerTestHost host, int priority = 0)
    {
        var request = TestJobs.Request(host.ModelStore.AddPenguins("default"));
        request.Spec.Priority = priority;
        host.Clock.Advance(TimeSpan.FromMilliseconds(1));
        return host.CallAsync((s, r, c) => s.SubmitJob(r, c), request);
    }

    [Fact]
    public async Task One_pass_dispatches_as_many_jobs_as_there_are_free_slots_in_priority_order()
    {
        await using var host = await SchedulerTestHost.StartAsync(workerSlots: 3);
        var low = await SubmitWithoutPassAsync(host, priority: 0);
        var high = await SubmitWithoutPassAsync(host, priority: 9);
        var middle = await SubmitWithoutPassAsync(host, priority: 5);
        var lowLater = await SubmitWithoutPassAsync(host, priority: 0);

        Assert.Equal(3, await host.SuperviseAsync());

        // The three that come first (priority, then submission order); within one pass they go out together.
        Assert.Equal(new[] { high.Id, middle.Id, low.Id }.Order(), host.PublishedOf<TrainModel>().Select(c => c.JobId.ToString()).Order());
        var pending = (await host.GetAsync(lowLater.Id)).Pending;
        Assert.True(pending.WorkersBusy);
        Assert.Equal(0, await host.SuperviseAsync());
    }

    [Fact]
    public async Task A_job_queued_while_no_slot_is_free_wakes_no_pass_but_a_freed_slot_does_and_then_jobs_wake_again()
    {
        using var signal = new DispatchSignal();
        signal.JobQueued();
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        // Under load every submission woke a pass that only read the slots to find none.
        signal.PassEnded(slotsLeft: false);
        signal.JobQueued();
        Assert.False(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        signal.Wake();
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        signal.PassEnded(slotsLeft: true);
        signal.JobQueued();
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task A_finished_attempt_frees_its_slot_and_wakes_the_dispatch_without_waiting_for_the_sweep()
    {
        // A sweep interval of an hour: whatever is dispatched after the first pass was dispatched because something woke it.
        await using var host = await SchedulerTestHost.StartAsync(
            services => services.Configure<SchedulerOptions>(o => o.SweepInterval = TimeSpan.FromHours(1)), workerSlots: 1);
        var supervisor = host.Services.GetRequiredService<JobSupervisor>();
        await supervisor.StartAsync(CancellationToken.None);
        try
        {
            var first = await SubmitWithoutPassAsync(host);
            var second = await SubmitWithoutPassAsync(host);
            await WaitForDispatchesAsync(host, 1);

            var firstId = Guid.Parse(first.Id);
            await host.Harness.Bus.Publish(new TrainingJobStarted(firstId, 1, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
            await host.Harness.Bus.Publish(new TrainingJobCompleted
            {
                JobId = firstId, Attempt = 1, ModelName = "penguins", ModelVersion = 1, ModelSha256 = new string('a', 64), TrainingSeconds = 1,
                Worker = SchedulerTestHost.WorkerName, At = host.Clock.GetUtcNow(),
            });
            await WaitForDispatchesAsync(host, 2);

            Assert.Equal([first.Id, second.Id], host.PublishedOf<TrainModel>().Select(c => c.JobId.ToString()));
            Assert.Equal(JobState.Succeeded, (await host.GetAsync(first.Id)).State);
        }
        finally
        {
            await supervisor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task On_sqlite_a_writer_waits_for_the_lock_inside_sqlite_instead_of_sleeping_in_the_driver()
    {
        await using var host = await SchedulerTestHost.StartAsync(workerSlots: 0);

        var timeout = await host.QueryAsync(async db =>
        {
            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout;";
            return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        });

        Assert.True(timeout >= 1_000, $"busy_timeout is {timeout} ms");
    }

    private static async Task WaitForDispatchesAsync(SchedulerTestHost host, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (host.PublishedOf<TrainModel>().Count < count)
            await Task.Delay(20, timeout.Token);
    }
}
