using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;
using JobState = Platform.Scheduler.Jobs.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// The group commit of job changes: what waits while a commit runs is committed together, each change as if alone (arrival
/// order within a job, its own answer), and one change that fails does not fail the others.
/// </summary>
public sealed class JobChangeQueueTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 9, 0, 5, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly CommitCounter _commits = new();
    private SchedulerTestHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await SchedulerTestHost.StartAsync(services => services.ConfigureDbContext<SchedulerDbContext>(o => o.AddInterceptors(_commits)));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private JobChangeQueue Queue => _host.Services.GetRequiredService<JobChangeQueue>();

    private async Task<Guid[]> SubmitAsync(int count)
    {
        var ids = new Guid[count];
        for (var i = 0; i < count; i++) ids[i] = Guid.Parse((await _host.SubmitPenguinsAsync()).Id);
        return ids;
    }

    /// <summary>Holds the queue's current commit inside a change until released, so that what arrives meanwhile waits.</summary>
    private async Task<TaskCompletionSource> HoldCommitAsync(Guid jobId)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Queue.ApplyAsync(jobId, _ =>
        {
            entered.TrySetResult();
            release.Task.Wait(Patience);
            return false;
        });
        await entered.Task.WaitAsync(Patience);
        return release;
    }

    [Fact]
    public async Task Changes_that_wait_during_a_commit_are_committed_together_each_applied()
    {
        var ids = await SubmitAsync(21);
        var release = await HoldCommitAsync(ids[0]);
        var commitsBefore = _commits.Count;

        var starts = ids.Skip(1).Select(id => Queue.ApplyAsync(id, job => job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30)))).ToList();
        release.SetResult();
        var applied = await Task.WhenAll(starts).WaitAsync(Patience);

        Assert.All(applied, change => Assert.True(change.Changed));
        Assert.All(applied, change => Assert.Equal("Running", change.StateChanged?.State));
        // The held commit (nothing to save) and one more: the 20 starts that waited for it went in one transaction.
        Assert.Equal(2, _commits.Count - commitsBefore);
        var running = await _host.QueryAsync(db => db.TrainingJobs.CountAsync(j => j.State == JobState.Running));
        Assert.Equal(20, running);
    }

    [Fact]
    public async Task Changes_of_one_job_in_one_commit_apply_in_arrival_order_each_seeing_the_job_as_it_left_it()
    {
        var id = (await SubmitAsync(1))[0];
        var release = await HoldCommitAsync(id);

        // A worker's start and commit request usually arrive together; a duplicate start and the completion may follow.
        var decisions = new List<bool>();
        var start = Queue.ApplyAsync(id, job => job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30)));
        var grant = Queue.ApplyAsync(id, job =>
        {
            var changed = job.GrantCommit(1, "worker-1", T0.AddSeconds(1), TimeSpan.FromSeconds(30));
            decisions.Add(job.IsCommitGranted(1, "worker-1"));
            return changed;
        });
        var duplicate = Queue.ApplyAsync(id, job => job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30)));
        var succeed = Queue.ApplyAsync(id, job => job.Succeed(1, new TrainingJobResult { ModelName = "penguins", ModelVersion = 1, Metrics = new Dictionary<string, double>(), ModelSha256 = "", TrainingSeconds = 1 }, "worker-1", T0.AddSeconds(2)));
        release.SetResult();

        Assert.Equal("Running", (await start.WaitAsync(Patience)).StateChanged?.State);
        Assert.True((await grant).Changed);
        Assert.Equal(new[] { true }, decisions);
        Assert.False((await duplicate).Changed);
        var succeeded = await succeed;
        Assert.Equal("Succeeded", succeeded.StateChanged?.State);
        Assert.Equal("succeeded: model penguins version 1", succeeded.StateChanged?.Reason);
        var events = await _host.QueryAsync(db => db.JobEvents.Where(e => e.JobId == id).OrderBy(e => e.Sequence).Select(e => e.Message).ToListAsync());
        Assert.Equal(new[] { "queued (grpc)", "attempt 1 started on worker-1", "attempt 1 is registering its model", "succeeded: model penguins version 1" }, events);
    }

    [Fact]
    public async Task A_change_that_fails_fails_alone_and_the_others_of_its_commit_are_saved()
    {
        var ids = await SubmitAsync(3);
        var release = await HoldCommitAsync(ids[0]);

        var first = Queue.ApplyAsync(ids[1], job => job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30)));
        var broken = Queue.ApplyAsync(ids[2], job =>
        {
            job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30));
            throw new InvalidOperationException("a broken transition");
        });
        var last = Queue.ApplyAsync(ids[0], job => job.Start(1, "worker-1", T0, T0, TimeSpan.FromSeconds(30)));
        release.SetResult();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => broken.WaitAsync(Patience));
        Assert.Equal("a broken transition", error.Message);
        Assert.True((await first.WaitAsync(Patience)).Changed);
        Assert.True((await last.WaitAsync(Patience)).Changed);
        var states = await _host.QueryAsync(db => db.TrainingJobs.ToDictionaryAsync(j => j.Id, j => j.State));
        Assert.Equal(JobState.Running, states[ids[0]]);
        Assert.Equal(JobState.Running, states[ids[1]]);
        // The broken change's half-made start was not saved with the others.
        Assert.Equal(JobState.Queued, states[ids[2]]);
    }

    [Fact]
    public async Task A_change_of_an_unknown_job_changes_nothing()
    {
        var applied = await Queue.ApplyAsync(Guid.NewGuid(), _ => throw new InvalidOperationException("not called")).WaitAsync(Patience);

        Assert.Null(applied.Job);
        Assert.False(applied.Changed);
    }

    /// <summary>Counts committed transactions.</summary>
    private sealed class CommitCounter : DbTransactionInterceptor
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return Task.CompletedTask;
        }

        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Interlocked.Increment(ref _count);
    }
}
