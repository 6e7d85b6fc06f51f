using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

public sealed class WatchJobTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 9, 0, 5, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private SchedulerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SchedulerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_stream_starts_with_the_job_as_it_is_then_follows_every_change_in_order_until_it_ends()
    {
        var job = await _host.SubmitPenguinsAsync();
        var id = Guid.Parse(job.Id);
        using var context = TestServerCallContext.ForTenant("default");
        var (call, updates) = _host.Watch(job.Id, context);
        using var timeout = new CancellationTokenSource(Patience);
        await using var reader = updates.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(JobState.Queued, reader.Current.Job.State);
        Assert.Equal("queued (grpc)", reader.Current.Message);

        await _host.DeliverAsync(new TrainingJobStarted(id, 1, "worker-1", T0));
        await _host.DeliverAsync(new TrainingJobProgressed(id, 1, "training", 0.25, "training 25%", T0.AddSeconds(1)));
        await _host.DeliverAsync(new TrainingJobProgressed(id, 1, "training", 0.75, "training 75%", T0.AddSeconds(2)));
        await _host.DeliverAsync(new TrainingJobCompleted
        {
            JobId = id, Attempt = 1, ModelName = "penguins", ModelVersion = 1, ModelSha256 = new string('b', 64),
            Metrics = new Dictionary<string, double> { ["accuracy"] = 1 }, TrainingSeconds = 2, Worker = "worker-1", At = T0.AddSeconds(3),
        });

        var rest = new List<JobUpdate>();
        while (await reader.MoveNextAsync()) rest.Add(reader.Current);
        await call;

        Assert.Equal(
            [(JobState.Running, "starting", 0.0), (JobState.Running, "training", 0.25), (JobState.Running, "training", 0.75), (JobState.Succeeded, "completed", 1.0)],
            rest.Select(u => (u.Job.State, u.Job.Stage, u.Job.Progress)));
        Assert.Equal(["attempt 1 started on worker-1", "training 25%", "training 75%", "succeeded: model penguins version 1"], rest.Select(u => u.Message));
        Assert.Equal([T0, T0.AddSeconds(1), T0.AddSeconds(2), T0.AddSeconds(3)], rest.Select(u => u.At.ToDateTimeOffset()));
        Assert.All(rest.SkipLast(1), u => Assert.Null(u.Job.Result));
        Assert.Equal(1, rest[^1].Job.Result.ModelVersion);
    }

    [Fact]
    public async Task Watching_a_finished_job_sends_it_once_and_ends()
    {
        var job = await _host.SubmitPenguinsAsync();
        var id = Guid.Parse(job.Id);
        await _host.DeliverAsync(new TrainingJobFailed(id, 1, "out of memory", true, "worker-1", T0));
        using var context = TestServerCallContext.ForTenant("default");

        var (call, updates) = _host.Watch(job.Id, context);
        await call.WaitAsync(Patience);

        var only = Assert.Single(updates.Messages);
        Assert.Equal(JobState.Failed, only.Job.State);
        Assert.Equal("out of memory", only.Job.FailureReason);
        Assert.Equal("failed: out of memory", only.Message);
    }

    [Fact]
    public async Task Changes_applied_by_another_replica_arrive_through_polling()
    {
        var job = await _host.SubmitPenguinsAsync();
        var id = Guid.Parse(job.Id);
        using var context = TestServerCallContext.ForTenant("default");
        var (call, updates) = _host.Watch(job.Id, context);
        using var timeout = new CancellationTokenSource(Patience);
        await using var reader = updates.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await reader.MoveNextAsync());

        // Another replica: same database, its own feed, so nothing wakes this process's watcher (SQLite has no NOTIFY).
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            using var otherSignal = new DispatchSignal();
            var scopes = scope.ServiceProvider.GetRequiredService<IServiceScopeFactory>();
            await using var otherFeed = new JobWatchFeed(scopes, scope.ServiceProvider.GetRequiredService<IOptions<SchedulerOptions>>(), _host.Clock,
                NullLogger<JobWatchFeed>.Instance);
            var otherReplica = new JobTracker(new JobChangeQueue(scopes, otherFeed, NullLogger<JobChangeQueue>.Instance),
                otherSignal, scope.ServiceProvider.GetRequiredService<MassTransit.IPublishEndpoint>(), NullLogger<JobTracker>.Instance);
            await otherReplica.ApplyAsync(id, "test", j => j.Start(1, "worker-9", T0, T0, TimeSpan.FromSeconds(30)), CancellationToken.None);
        }

        var next = reader.MoveNextAsync().AsTask();
        while (!next.IsCompleted)
        {
            _host.Clock.Advance(TimeSpan.FromMilliseconds(200));
            await Task.WhenAny(next, Task.Delay(10, timeout.Token));
        }
        Assert.True(await next);
        Assert.Equal(JobState.Running, reader.Current.Job.State);
        Assert.Equal("attempt 1 started on worker-9", reader.Current.Message);
        context.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => call);
    }

    [Fact]
    public async Task A_cancelled_watch_ends_with_Cancelled()
    {
        var job = await _host.SubmitPenguinsAsync();
        using var context = TestServerCallContext.ForTenant("default");
        var (call, updates) = _host.Watch(job.Id, context);
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var _ in updates.ReadAllAsync(timeout.Token)) break;

        context.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Patience));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task Another_tenants_job_is_not_found()
    {
        var job = await _host.SubmitPenguinsAsync("acme");
        using var context = TestServerCallContext.ForTenant("default");

        var (call, updates) = _host.Watch(job.Id, context);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Patience));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Empty(updates.Messages);
    }
}
