using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>Two scheduler replicas on one PostgreSQL database and one RabbitMQ virtual host, as Kubernetes runs them.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(ServersCollection))]
public sealed class ReplicaTests(PlatformServers servers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_schedulers_at_once_dispatch_every_job_exactly_once()
    {
        await using var first = await SchedulerServer.StartAsync(servers);
        await using var second = await SchedulerServer.StartAsync(first.DatabaseConnectionString, first.AmqpUri);
        var replicas = new[] { first, second };
        var ids = new List<string>();

        for (var i = 0; i < 40; i++)
        {
            var replica = replicas[i % 2];
            var job = await replica.Jobs.SubmitJobAsync(TestJobs.Request(replica.ModelStore.AddPenguins("acme")), SchedulerServer.TenantHeaders("acme"));
            ids.Add(job.Id);
        }

        using var timeout = new CancellationTokenSource(Patience);
        foreach (var id in ids)
        {
            while ((await first.Jobs.GetJobAsync(new GetJobRequest { JobId = id }, SchedulerServer.TenantHeaders("acme"), cancellationToken: timeout.Token)).State != JobState.Succeeded)
                await Task.Delay(100, timeout.Token);
        }

        // Both replicas' fake workers compete on one queue: together they saw each job once, and only attempt 1.
        var received = replicas.SelectMany(r => r.Worker.Received).ToList();
        Assert.Equal(ids.Order(), received.Select(c => c.JobId.ToString()).Order());
        Assert.All(received, c => Assert.Equal(1, c.Attempt));
    }
}
