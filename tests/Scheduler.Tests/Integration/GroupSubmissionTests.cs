using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Jobs.V1;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// The group commit of new jobs on PostgreSQL (docs/scheduling.md): submissions that arrive while a commit runs are stored
/// together in one transaction, each with its own job, a request id still names one job, and a submission that fails does
/// not take the others with it. Each test holds the first submission's commit open until the others have gathered behind
/// it, so the grouping does not depend on timing.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class GroupSubmissionTests(PlatformServers servers) : IAsyncLifetime
{
    private const string Tenant = "acme";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly HeldSubmission _held = new();
    private SchedulerServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await SchedulerServer.StartAsync(servers, services => services.ConfigureDbContext<SchedulerDbContext>(o => o.AddInterceptors(_held)));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<Job> SubmitAsync(SubmitJobRequest request) =>
        _server.Jobs.SubmitJobAsync(request, SchedulerServer.TenantHeaders(Tenant)).ResponseAsync;

    /// <summary>Submits one job whose commit is held open, and waits until the commit is under way.</summary>
    private async Task<Task<Job>> HoldFirstCommitAsync(Datasets.V1.Dataset dataset)
    {
        var first = SubmitAsync(TestJobs.Request(dataset));
        await _held.Entered.Task.WaitAsync(Patience);
        return first;
    }

    /// <summary>Waits until <paramref name="count"/> jobs wait for the next group commit, then lets the held commit finish.</summary>
    private async Task ReleaseWhenWaitingAsync(int count)
    {
        var queue = _server.Services.GetRequiredService<JobSubmissionQueue>();
        using var timeout = new CancellationTokenSource(Patience);
        while (queue.Waiting < count) await Task.Delay(20, timeout.Token);
        _held.Release.SetResult();
    }

    [Fact]
    public async Task Concurrent_submissions_are_stored_together_each_with_its_own_job_and_an_invalid_one_fails_alone()
    {
        var dataset = _server.ModelStore.AddPenguins(Tenant);
        var first = await HoldFirstCommitAsync(dataset);

        var submissions = Enumerable.Range(0, 40).Select(_ => SubmitAsync(TestJobs.Request(dataset))).ToList();
        var invalidRequest = TestJobs.Request(dataset);
        invalidRequest.Spec.HoldoutFraction = 0.9;
        var invalid = await Assert.ThrowsAsync<RpcException>(() => SubmitAsync(invalidRequest));
        await ReleaseWhenWaitingAsync(40);
        var jobs = await Task.WhenAll(submissions).WaitAsync(Patience);
        var firstJob = await first.WaitAsync(Patience);

        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("spec.holdout_fraction", invalid.Status.Detail, StringComparison.Ordinal);
        var ids = jobs.Select(j => j.Id).Append(firstJob.Id).ToList();
        Assert.Equal(41, ids.Distinct().Count());
        // Every caller's job is stored as answered, and nothing else (the invalid submission stored nothing).
        foreach (var job in jobs)
            Assert.Equal(job.Id, (await _server.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id }, SchedulerServer.TenantHeaders(Tenant))).Id);
        Assert.Equal(41L, await ScalarAsync("select count(*) from training_jobs"));
        // The 40 that waited behind the held commit went in one transaction: their first events carry one transaction id.
        var transactions = await TransactionsOfFirstEventsAsync(jobs.Select(j => Guid.Parse(j.Id)));
        Assert.Single(transactions);
        Assert.DoesNotContain(Assert.Single(await TransactionsOfFirstEventsAsync([Guid.Parse(firstJob.Id)])), transactions);
    }

    [Fact]
    public async Task Submissions_with_one_request_id_in_one_group_make_one_job()
    {
        var dataset = _server.ModelStore.AddPenguins(Tenant);
        var first = await HoldFirstCommitAsync(dataset);

        var repeated = Enumerable.Range(0, 10).Select(_ => SubmitAsync(TestJobs.Request(dataset, requestId: "same-request"))).ToList();
        var others = Enumerable.Range(0, 5).Select(i => SubmitAsync(TestJobs.Request(dataset, requestId: $"other-{i}"))).ToList();
        await ReleaseWhenWaitingAsync(15);
        var repeatedJobs = await Task.WhenAll(repeated).WaitAsync(Patience);
        var otherJobs = await Task.WhenAll(others).WaitAsync(Patience);
        await first.WaitAsync(Patience);

        Assert.Single(repeatedJobs.Select(j => j.Id).Distinct());
        Assert.All(repeatedJobs, job => Assert.Equal("same-request", job.RequestId));
        Assert.Equal(5, otherJobs.Select(j => j.Id).Distinct().Count());
        Assert.Equal(1L, await ScalarAsync("select count(*) from training_jobs where request_id = 'same-request'"));
        Assert.Equal(7L, await ScalarAsync("select count(*) from training_jobs"));
    }

    [Fact]
    public async Task A_request_id_stored_meanwhile_by_another_replica_returns_that_job_and_the_rest_of_the_group_is_stored()
    {
        var dataset = _server.ModelStore.AddPenguins(Tenant);
        await using var replica = await SchedulerServer.StartAsync(_server.DatabaseConnectionString, _server.AmqpUri);
        var first = await HoldFirstCommitAsync(dataset);

        // Both pass the request-id check before either stores its job; the other replica commits first.
        var racing = SubmitAsync(TestJobs.Request(dataset, requestId: "raced"));
        var others = Enumerable.Range(0, 5).Select(_ => SubmitAsync(TestJobs.Request(dataset))).ToList();
        var queue = _server.Services.GetRequiredService<JobSubmissionQueue>();
        using (var timeout = new CancellationTokenSource(Patience))
            while (queue.Waiting < 6) await Task.Delay(20, timeout.Token);
        var winner = await replica.Jobs.SubmitJobAsync(TestJobs.Request(replica.ModelStore.AddPenguins(Tenant), requestId: "raced"),
            SchedulerServer.TenantHeaders(Tenant));
        _held.Release.SetResult();

        Assert.Equal(winner.Id, (await racing.WaitAsync(Patience)).Id);
        var otherJobs = await Task.WhenAll(others).WaitAsync(Patience);
        await first.WaitAsync(Patience);
        Assert.Equal(5, otherJobs.Select(j => j.Id).Distinct().Count());
        Assert.Equal(1L, await ScalarAsync("select count(*) from training_jobs where request_id = 'raced'"));
        Assert.Equal(7L, await ScalarAsync("select count(*) from training_jobs"));
        // Each stored job has its first event, also when it was stored again on its own after the group failed.
        Assert.Equal(7L, await ScalarAsync("select count(*) from job_events where sequence = 1"));
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The distinct transactions (<c>xmin</c>) that inserted the jobs' first events, rows that are never updated.</summary>
    private async Task<List<string>> TransactionsOfFirstEventsAsync(IEnumerable<Guid> jobIds)
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select distinct xmin::text from job_events where sequence = 1 and job_id = any($1)", connection);
        command.Parameters.AddWithValue(jobIds.ToArray());
        var transactions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) transactions.Add(reader.GetString(0));
        return transactions;
    }

    /// <summary>Holds the first save that inserts a job (the first group commit of new jobs) until released.</summary>
    private sealed class HeldSubmission : SaveChangesInterceptor
    {
        private int _armed = 1;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            if (eventData.Context!.ChangeTracker.Entries<TrainingJob>().Any(e => e.State == EntityState.Added) && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Entered.SetResult();
                await Release.Task.WaitAsync(Patience, cancellationToken);
            }
            return result;
        }
    }
}
