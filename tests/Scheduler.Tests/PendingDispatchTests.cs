using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Tests;

public sealed class PendingDispatchTests
{
    [Fact]
    public async Task A_job_whose_publish_failed_is_dispatched_by_the_sweep_once_the_bus_is_back()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        var bus = host.Services.GetRequiredService<FlakyBus>();
        var sweep = host.Services.GetRequiredService<PendingDispatchSweep>();
        var job = await host.SubmitPenguinsAsync();
        Assert.Empty(host.PublishedOf<TrainModel>());

        bus.Down = false;
        // Too early: the submission itself may still be publishing.
        Assert.Equal(0, await sweep.SweepOnceAsync(CancellationToken.None));
        host.Clock.Advance(new SchedulerOptions().RedispatchAfter);
        Assert.Equal(1, await sweep.SweepOnceAsync(CancellationToken.None));
        // Confirmed now: a later sweep leaves it alone.
        Assert.Equal(0, await sweep.SweepOnceAsync(CancellationToken.None));

        var command = Assert.Single(host.PublishedOf<TrainModel>());
        Assert.Equal(Guid.Parse(job.Id), command.JobId);
        Assert.NotNull(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));
    }

    [Fact]
    public async Task The_sweep_keeps_a_job_pending_while_the_bus_stays_down()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        var sweep = host.Services.GetRequiredService<PendingDispatchSweep>();
        await host.SubmitPenguinsAsync();
        host.Clock.Advance(new SchedulerOptions().RedispatchAfter);

        Assert.Equal(0, await sweep.SweepOnceAsync(CancellationToken.None));
        Assert.Null(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));
    }

    [Fact]
    public async Task Jobs_that_a_worker_has_started_are_never_redispatched()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        var bus = host.Services.GetRequiredService<FlakyBus>();
        var sweep = host.Services.GetRequiredService<PendingDispatchSweep>();
        var job = await host.SubmitPenguinsAsync();
        bus.Down = false;
        await host.DeliverAsync(new TrainingJobStarted(Guid.Parse(job.Id), 1, "worker-1", host.Clock.GetUtcNow()));
        host.Clock.Advance(new SchedulerOptions().RedispatchAfter);

        Assert.Equal(0, await sweep.SweepOnceAsync(CancellationToken.None));
        Assert.Empty(host.PublishedOf<TrainModel>());
    }
}
