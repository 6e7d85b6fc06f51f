using Grpc.Core;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// Many <c>WatchJob</c> streams on one scheduler (issue 15, defect 8), on real PostgreSQL and RabbitMQ: the streams
/// read nothing themselves (<c>JobWatchFeed</c>), so the scheduler's connections stay few however many there are.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class WatchScaleTests(PlatformServers servers, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Watchers = 1000;
    /// <summary>The target for the scheduler's PostgreSQL connections with 1,000 watchers.</summary>
    private const int ConnectionBound = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private SchedulerServer _server = null!;

    public async Task InitializeAsync() => _server = await SchedulerServer.StartAsync(servers);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_thousand_concurrent_watchers_hold_no_connections_and_each_sees_its_job_end_as_it_did()
    {
        _server.Worker.Answer = false;
        using var timeout = new CancellationTokenSource(Patience);
        await using var connections = ConnectionSampler.Start(_server.DatabaseConnectionString);
        var dataset = _server.ModelStore.AddPenguins("acme");
        var jobs = new string[Watchers];
        await Parallel.ForAsync(0, Watchers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token }, async (i, ct) =>
            jobs[i] = (await _server.Jobs.SubmitJobAsync(TestJobs.Request(dataset), SchedulerServer.TenantHeaders("acme"), cancellationToken: ct)).Id);
        // Each job ends its own way: succeeded, failed for good or cancelled.
        JobState Expected(int i) => (i % 3) switch { 0 => JobState.Succeeded, 1 => JobState.Failed, _ => JobState.Cancelled };

        // Kestrel serves 100 streams per HTTP/2 connection; a client with more streams opens more connections
        // (InternalCaller's handler allows several).
        using var channel = InternalCaller.Channel(_server.Address);
        var client = new JobService.JobServiceClient(channel);
        var firstUpdates = Enumerable.Range(0, Watchers).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = Enumerable.Range(0, Watchers).Select(i => Task.Run(() => WatchAsync(client, jobs[i], firstUpdates[i], timeout.Token))).ToArray();
        await Task.WhenAll(firstUpdates.Select(f => f.Task)).WaitAsync(timeout.Token);

        // All 1,000 streams are open; now every job ends.
        var bus = _server.Services.GetRequiredService<IBus>();
        await Parallel.ForAsync(0, Watchers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token }, async (i, ct) =>
        {
            var id = Guid.Parse(jobs[i]);
            var at = DateTimeOffset.UtcNow;
            switch (Expected(i))
            {
                case JobState.Succeeded:
                    await bus.Publish(new TrainingJobStarted(id, 1, "worker-a", at), ct);
                    await bus.Publish(new TrainingJobCompleted
                    {
                        JobId = id, Attempt = 1, ModelName = "penguins", ModelVersion = i, ModelSha256 = new string('c', 64),
                        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9 }, TrainingSeconds = 0.1, Worker = "worker-a", At = at.AddMilliseconds(1),
                    }, ct);
                    break;
                case JobState.Failed:
                    await bus.Publish(new TrainingJobFailed(id, 1, "label column 'species' has one class", true, "worker-a", at), ct);
                    break;
                default:
                    await _server.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobs[i] }, SchedulerServer.TenantHeaders("acme"), cancellationToken: ct);
                    break;
            }
        });

        var lasts = await Task.WhenAll(streams).WaitAsync(timeout.Token);
        var peak = await connections.StopAsync();
        output.WriteLine($"{Watchers} watchers: at most {peak} PostgreSQL connections of the scheduler at once");

        for (var i = 0; i < Watchers; i++)
        {
            Assert.Equal(jobs[i], lasts[i].Job.Id);
            Assert.Equal(Expected(i), lasts[i].Job.State);
        }
        Assert.All(lasts.Where(u => u.Job.State == JobState.Succeeded), u => Assert.Equal(0.9, u.Job.Result.Metrics["accuracy"]));
        Assert.True(peak <= ConnectionBound, $"the scheduler held {peak} PostgreSQL connections with {Watchers} watchers (bound {ConnectionBound})");
    }

    /// <summary>Follows one job to the end of its stream; returns the last update.</summary>
    private static async Task<JobUpdate> WatchAsync(JobService.JobServiceClient client, string jobId, TaskCompletionSource first, CancellationToken cancellationToken)
    {
        using var call = client.WatchJob(new WatchJobRequest { JobId = jobId }, SchedulerServer.TenantHeaders("acme"), cancellationToken: cancellationToken);
        JobUpdate? last = null;
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            last = call.ResponseStream.Current;
            first.TrySetResult();
        }
        return last ?? throw new RpcException(new Status(StatusCode.Internal, $"the stream of job {jobId} ended without an update"));
    }
}
