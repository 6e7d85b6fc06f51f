using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;

namespace Platform.Scheduler.Tests;

/// <summary>Dispatch when the broker refuses a publish: the claimed slot is given back and a later pass publishes.</summary>
public sealed class PendingDispatchTests
{
    [Fact]
    public async Task A_job_whose_publish_failed_is_dispatched_by_a_later_pass_once_the_bus_is_back()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        var bus = host.Services.GetRequiredService<FlakyBus>();
        var job = await host.SubmitPenguinsAsync();
        Assert.Empty(host.PublishedOf<TrainModel>());
        Assert.Null(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));

        bus.Down = false;
        Assert.Equal(1, await host.SuperviseAsync());
        // Dispatched now: a later pass leaves it alone.
        Assert.Equal(0, await host.SuperviseAsync());

        var command = Assert.Single(host.PublishedOf<TrainModel>());
        Assert.Equal(Guid.Parse(job.Id), command.JobId);
        Assert.NotNull(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));
    }

    [Fact]
    public async Task A_pass_keeps_a_job_pending_while_the_bus_stays_down()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        await host.SubmitPenguinsAsync();

        Assert.Equal(0, await host.SuperviseAsync());
        Assert.Null(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));
    }

    [Fact]
    public async Task Jobs_that_a_worker_has_started_are_never_redispatched()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var job = await host.SubmitPenguinsAsync();
        await host.DeliverAsync(new TrainingJobStarted(Guid.Parse(job.Id), 1, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));

        Assert.Equal(0, await host.SuperviseAsync());
        Assert.Single(host.PublishedOf<TrainModel>());
    }
}
