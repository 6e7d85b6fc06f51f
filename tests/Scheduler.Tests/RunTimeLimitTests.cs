using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Jobs.V1;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// Run-time limits per queue and tenant (issue 15, defect 6): a job whose spec sets no <c>max_run_seconds</c> gets the
/// configured default and times out at it instead of holding its worker for as long as it likes; no spec may ask for more
/// than the configured maximum.
/// </summary>
public sealed class RunTimeLimitTests
{
    private static Task<SchedulerTestHost> StartAsync(Action<RunTimeLimits> configure) =>
        SchedulerTestHost.StartAsync(services => services.Configure<SchedulerOptions>(o => configure(o.MaxRunSeconds)), workerSlots: 1);

    private static Task<Job> SubmitAsync(SchedulerTestHost host, string tenant = "default", int maxRunSeconds = 0, string queue = "")
    {
        var request = TestJobs.Request(host.ModelStore.AddPenguins(tenant));
        request.Spec.MaxRunSeconds = maxRunSeconds;
        request.Spec.Queue = queue;
        return host.SubmitAsync(request, tenant);
    }

    [Fact]
    public async Task A_job_without_a_limit_gets_its_queues_default_and_times_out_there_freeing_the_worker()
    {
        await using var host = await StartAsync(limits => limits.Queues["batch"] = new RunTimeLimit { Default = 100 });
        var job = await SubmitAsync(host, queue: "batch");
        var waiting = await SubmitAsync(host, queue: "batch");
        var id = Guid.Parse(job.Id);
        Assert.Equal(100, job.Spec.MaxRunSeconds);
        await host.DeliverAsync(new TrainingJobStarted(id, 1, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));

        // The worker keeps its lease alive while the job runs on and on.
        for (var elapsed = 0; elapsed <= 100; elapsed += 20)
        {
            host.Clock.Advance(TimeSpan.FromSeconds(20));
            await host.HeartbeatAsync(SchedulerTestHost.WorkerName, 1, [new RunningAttempt(id, 1, "training", 0.1)]);
            await host.SuperviseAsync();
        }

        var timedOut = await host.GetAsync(job.Id);
        Assert.Equal(JobState.TimedOut, timedOut.State);
        Assert.Contains("100 s", timedOut.FailureReason, StringComparison.Ordinal);
        // The one worker slot went to the job that waited.
        Assert.Single(host.DispatchesOf(waiting.Id));
    }

    [Fact]
    public async Task A_spec_above_the_maximum_is_refused_naming_the_field_and_the_limit()
    {
        await using var host = await StartAsync(limits =>
        {
            limits.Maximum = 3600;
            limits.Tenants["acme"] = new RunTimeLimit { Maximum = 900 };
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => SubmitAsync(host, "acme", maxRunSeconds: 1000));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("spec.max_run_seconds", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("maximum of 900 s for tenant acme", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1000, (await SubmitAsync(host, "other", maxRunSeconds: 1000)).Spec.MaxRunSeconds);
        Assert.Equal(900, (await SubmitAsync(host, "acme")).Spec.MaxRunSeconds);
    }

    [Theory]
    // global default only
    [InlineData(300, 0, 0, 0, 0, 0, 300, 0)]
    // the tenant's or the queue's default replaces the global one; with both, the smaller holds
    [InlineData(300, 0, 1200, 0, 0, 0, 1200, 0)]
    [InlineData(300, 0, 1200, 0, 600, 0, 600, 0)]
    // every maximum that is set holds; a default above it, or none, becomes the maximum
    [InlineData(0, 7200, 0, 3600, 0, 0, 3600, 3600)]
    [InlineData(5000, 7200, 0, 0, 0, 1800, 1800, 1800)]
    [InlineData(0, 0, 0, 0, 0, 0, 0, 0)]
    public void Every_limit_that_applies_holds(int globalDefault, int globalMaximum, int tenantDefault, int tenantMaximum,
        int queueDefault, int queueMaximum, int expectedDefault, int expectedMaximum)
    {
        var limits = new RunTimeLimits
        {
            Default = globalDefault,
            Maximum = globalMaximum,
            Tenants = { ["acme"] = new RunTimeLimit { Default = tenantDefault, Maximum = tenantMaximum } },
            Queues = { ["batch"] = new RunTimeLimit { Default = queueDefault, Maximum = queueMaximum } },
        };

        Assert.Equal((expectedDefault, expectedMaximum), limits.For("acme", "batch"));
        Assert.Equal(limits.For("someone", "default"), (globalMaximum > 0 && (globalDefault == 0 || globalDefault > globalMaximum) ? globalMaximum : globalDefault, globalMaximum));
    }

    [Fact]
    public async Task GetJob_shows_the_estimated_run_time_and_the_pending_reason_warns_when_it_is_beyond_the_limit()
    {
        await using var host = await SchedulerTestHost.StartAsync(workerSlots: 0);
        var dataset = host.ModelStore.AddPenguins();
        var light = await host.SubmitAsync(TestJobs.Request(dataset));
        var heavyRequest = TestJobs.Request(dataset);
        heavyRequest.Spec.Hyperparameters["number_of_iterations"] = "10000";
        heavyRequest.Spec.Hyperparameters["number_of_leaves"] = "4096";
        heavyRequest.Spec.Hyperparameters["minimum_example_count_per_leaf"] = "1";
        heavyRequest.Spec.MaxRunSeconds = 5;
        var heavy = await host.SubmitAsync(heavyRequest);

        var (lightJob, heavyJob) = (await host.GetAsync(light.Id), await host.GetAsync(heavy.Id));

        Assert.True(lightJob.EstimatedRunSeconds > 0);
        Assert.True(heavyJob.EstimatedRunSeconds > 10 * lightJob.EstimatedRunSeconds,
            $"{heavyJob.EstimatedRunSeconds} s for 10,000 rounds of 4,096 leaves against {lightJob.EstimatedRunSeconds} s for the defaults");
        Assert.DoesNotContain("may time out", lightJob.Pending.Reason, StringComparison.Ordinal);
        Assert.Contains("more than its limit of 5 s: it may time out", heavyJob.Pending.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rerun_takes_the_limits_of_today()
    {
        await using var host = await StartAsync(_ => { });
        var unlimited = await SubmitAsync(host, maxRunSeconds: 5000);

        host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SchedulerOptions>>().Value.MaxRunSeconds.Maximum = 3600;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            host.CallAsync((s, r, c) => s.RerunJob(r, c), new RerunJobRequest { JobId = unlimited.Id }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("above the maximum of 3600 s", error.Status.Detail, StringComparison.Ordinal);
    }
}
