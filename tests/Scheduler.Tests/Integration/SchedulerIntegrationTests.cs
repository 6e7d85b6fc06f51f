using System.Text;
using System.Text.Json;
using Grpc.Core;
using Npgsql;
using Platform.Jobs.V1;
using RabbitMQ.Client;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>The scheduler on real PostgreSQL and RabbitMQ, driven as users drive it over gRPC (plain AMQP: <see cref="AmqpSubmissionTests"/>).</summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class SchedulerIntegrationTests(PlatformServers servers) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private SchedulerServer _server = null!;

    public async Task InitializeAsync() => _server = await SchedulerServer.StartAsync(servers);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_grpc_submission_reaches_a_worker_and_is_followed_to_success()
    {
        var dataset = _server.ModelStore.AddPenguins("acme");
        var request = TestJobs.Request(dataset, requestId: "grpc-1");

        var job = await _server.Jobs.SubmitJobAsync(request, SchedulerServer.TenantHeaders("acme"));
        var updates = await _server.WatchToEndAsync(job.Id, "acme", Patience);

        var command = Assert.Single(_server.Worker.Received);
        Assert.Equal(Guid.Parse(job.Id), command.JobId);
        Assert.Equal("acme", command.TenantId);
        Assert.Equal("lightgbm", command.Trainer);
        Assert.Equal(JobState.Succeeded, updates[^1].Job.State);
        Assert.Equal(0.98, updates[^1].Job.Result.Metrics["accuracy"]);
        // Every change exactly once and in order, although the reports travel on different queues.
        var states = updates.Select(u => u.Job.State).ToList();
        Assert.Equal(states.Order(), states);
        Assert.Equal(updates.Count, updates.Select(u => u.Message).Distinct().Count());
        var final = await _server.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id }, SchedulerServer.TenantHeaders("acme"));
        Assert.Equal(updates[^1].Job, final);
        Assert.Equal("grpc", final.Source);
    }

    [Fact]
    public async Task Concurrent_submissions_with_one_request_id_make_one_job()
    {
        var dataset = _server.ModelStore.AddPenguins();
        _server.Worker.Answer = false;

        var jobs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _server.Jobs.SubmitJobAsync(TestJobs.Request(dataset, requestId: "once")).ResponseAsync));

        Assert.Single(jobs.Select(j => j.Id).Distinct());
        Assert.Equal(1L, await CountRowsAsync("training_jobs"));
        await EventuallyAsync(() => _server.Worker.Received.IsEmpty ? null : "dispatched");
        Assert.Single(_server.Worker.Received);
    }

    [Fact]
    public async Task Bad_input_over_the_wire_gets_the_status_naming_the_field_and_stores_nothing()
    {
        var dataset = _server.ModelStore.AddPenguins();
        var request = TestJobs.Request(dataset);
        request.Spec.LabelColumn = "beak_colour";

        var error = await Assert.ThrowsAsync<RpcException>(() => _server.Jobs.SubmitJobAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("spec.label_column", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, await CountRowsAsync("training_jobs"));
        Assert.Empty(_server.Worker.Received);
    }

    [Fact]
    public async Task Jobs_page_newest_first_on_postgresql_and_read_back_as_submitted()
    {
        var dataset = _server.ModelStore.AddPenguins();
        _server.Worker.Answer = false;
        var answers = new List<Job>();
        for (var i = 0; i < 3; i++) answers.Add(await _server.Jobs.SubmitJobAsync(TestJobs.Request(dataset)));
        var submitted = answers.Select(j => j.Id).ToList();

        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await _server.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 2, PageToken = token });
            seen.AddRange(page.Jobs.Select(j => j.Id));
            token = page.NextPageToken;
        }
        while (token != "");

        Assert.Equal(Enumerable.Reverse(submitted), seen);
        // The submission's answer is the job exactly as later reads return it (timestamps included).
        var read = await _server.Jobs.GetJobAsync(new GetJobRequest { JobId = submitted[0] });
        read.Pending = null; // GetJob adds why a queued job waits
        Assert.Equal(answers[0], read);
    }

    private async Task<long> CountRowsAsync(string table)
    {
        await using var connection = new NpgsqlConnection(_server.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe)
        where T : class
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (probe() is null) await Task.Delay(50, timeout.Token);
        return probe()!;
    }
}
