using Platform.Jobs.V1;
using Xunit.Abstractions;

namespace Platform.Faults.Tests;

/// <summary>
/// A worker dies (SIGKILL) in the middle of a training: its lease expires, the scheduler runs the job again as a
/// new attempt on the other worker, and the job ends with exactly one registered model. Every service runs as
/// its own process on real PostgreSQL and RabbitMQ.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Faults")]
public sealed class WorkerLossTests(FaultServers servers, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task A_job_whose_worker_is_killed_mid_training_completes_on_another_worker_with_one_model()
    {
        await using var platform = await FaultPlatform.StartAsync(servers, "worker_loss");
        using var timeout = new CancellationTokenSource(Patience);
        var data = await platform.UploadAsync("long.csv", FaultData.RegressionCsv(FaultData.LongRows, features: 8));
        var submitted = await platform.SubmitAsync(FaultData.LongJob(data.Id, "worker-loss"), "worker-loss", timeout.Token);

        // Kill the worker that is training it, once it is really training.
        await platform.WaitForAsync(submitted.Id, job => job.State == JobState.Running && job.Stage == "training", timeout.Token);
        var (victim, process) = platform.WorkerRunning(submitted.Id);
        platform.Kill(process);

        var job = (await platform.WaitForEndAsync([submitted.Id], timeout.Token)).Single();
        var report = await platform.CheckHistoryAsync([submitted.Id]);
        output.WriteLine(report.ToString());
        Assert.True(job.State == JobState.Succeeded, $"ended {job.State}: {job.FailureReason}\n{platform.Logs()}");
        Assert.Equal(2, job.Attempt);
        Assert.NotEqual(victim, job.Result.Worker);
        Assert.Equal(1, report.Versions);
    }
}
