using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Contracts;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// A job's history when a broker restart reorders its worker's messages (issue 15, defect 5), on real PostgreSQL and
/// RabbitMQ, with the messages a worker sent delivered in the order the restart delivered them.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class AttemptHistoryTests(PlatformServers servers) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ConsumedMessages _consumed = new();
    private SchedulerServer _server = null!;

    public async Task InitializeAsync() => _server = await SchedulerServer.StartAsync(servers, services =>
    {
        services.Configure<SchedulerOptions>(options => options.RetryBackoff = TimeSpan.FromMilliseconds(100));
        services.AddConsumeObserver(_ => _consumed);
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_commit_granted_then_lost_with_the_broker_leaves_an_ordered_history_and_a_success_without_a_failure_reason()
    {
        _server.Worker.Answer = false;
        var dataset = _server.ModelStore.AddPenguins("acme");
        var job = await _server.Jobs.SubmitJobAsync(TestJobs.Request(dataset), SchedulerServer.TenantHeaders("acme"));
        var id = Guid.Parse(job.Id);
        var watching = await _server.StartWatchAsync(job.Id, "acme", Patience);
        await DispatchedAsync(id, attempt: 1);

        // Attempt 1, by the worker's clock (a minute behind the scheduler's now, as the delays of a restart make it look).
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-1);
        await DeliverAsync(new TrainingJobStarted(id, 1, "worker-a", t0));
        await DeliverAsync(new TrainingJobProgressed(id, 1, "training", 0.5, "training 50%", t0.AddSeconds(1)));
        // The worker reported "saving" and then asked to commit; across the broker restart the request got through
        // first and was granted, the report came after it, and the grant's answer was lost: the worker's request
        // timed out and it reported the attempt failed.
        Assert.True((await AskToCommitAsync(id, 1, "worker-a", t0.AddSeconds(3))).Allowed);
        await DeliverAsync(new TrainingJobProgressed(id, 1, "saving", 1.0, "saving the model", t0.AddSeconds(2)));
        await DeliverAsync(new TrainingJobFailed(id, 1, "RequestTimeoutException: Timeout waiting for response", false, "worker-a", t0.AddSeconds(33)));

        // Attempt 2 runs on another worker and succeeds.
        await DispatchedAsync(id, attempt: 2);
        var t1 = DateTimeOffset.UtcNow;
        await DeliverAsync(new TrainingJobStarted(id, 2, "worker-b", t1));
        await DeliverAsync(new TrainingJobProgressed(id, 2, "training", 0.5, "training 50%", t1.AddMilliseconds(10)));
        Assert.True((await AskToCommitAsync(id, 2, "worker-b", t1.AddMilliseconds(20))).Allowed);
        await DeliverAsync(new TrainingJobCompleted
        {
            JobId = id, Attempt = 2, ModelName = "penguins", ModelVersion = 1, ModelSha256 = new string('c', 64),
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.98 }, TrainingSeconds = 0.1, Worker = "worker-b", At = t1.AddMilliseconds(30),
        });

        var updates = await watching;
        // The stream began with the job as the watch found it: queued, or already dispatched to the first worker.
        string[] stages = ["queued", "starting", "training", "committing", "retrying", "starting", "training", "committing", "completed"];
        var from = Array.IndexOf(stages, updates[0].Job.Stage);
        Assert.InRange(from, 0, 1);
        // From there WatchJob delivers the stages in the order they happened, each update no earlier than the one before.
        Assert.Equal(stages[from..], updates.Select(u => u.Job.Stage));
        var times = updates.Select(u => u.At.ToDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal((await EventTimesAsync(id))[from..], times);

        var final = await _server.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id }, SchedulerServer.TenantHeaders("acme"));
        Assert.Equal((JobState.Succeeded, 2, ""), (final.State, final.Attempt, final.FailureReason));
        // The first attempt's failure stays in the history.
        Assert.Contains(updates, u => u.Message.StartsWith("attempt 1 failed (RequestTimeoutException: Timeout waiting for response)", StringComparison.Ordinal));
    }

    private async Task DispatchedAsync(Guid jobId, int attempt)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!_server.Worker.Received.Any(c => c.JobId == jobId && c.Attempt == attempt)) await Task.Delay(20, timeout.Token);
    }

    /// <summary>Publishes a worker's message and waits until the scheduler has consumed it.</summary>
    private async Task DeliverAsync<T>(T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        var consumed = _consumed.Of(messageId);
        await _server.Services.GetRequiredService<IBus>().Publish(message, context => context.MessageId = messageId);
        await consumed.WaitAsync(Patience);
    }

    private async Task<CommitDecision> AskToCommitAsync(Guid jobId, int attempt, string worker, DateTimeOffset at)
    {
        var client = _server.Services.GetRequiredService<IBus>().CreateRequestClient<CommitAttempt>(Patience);
        return (await client.GetResponse<CommitDecision>(new CommitAttempt(jobId, attempt, worker) { At = at })).Message;
    }

    private async Task<List<DateTimeOffset>> EventTimesAsync(Guid jobId)
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select at from job_events where job_id = @id order by sequence", connection);
        command.Parameters.AddWithValue("id", jobId);
        var times = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) times.Add(reader.GetFieldValue<DateTimeOffset>(0));
        return times;
    }

    /// <summary>Completes a task per message id once the scheduler's consumer has handled (or failed) that message.</summary>
    private sealed class ConsumedMessages : IConsumeObserver
    {
        private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _done = new();

        public Task Of(Guid messageId) => _done.GetOrAdd(messageId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (context.MessageId is { } id) _done.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class
        {
            if (context.MessageId is { } id) _done.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetException(exception);
            return Task.CompletedTask;
        }
    }
}
