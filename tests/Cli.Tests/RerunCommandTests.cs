using Platform.Jobs.V1;

namespace Platform.Cli.Tests;

public sealed class RerunCommandTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<CliRun> Run(params string[] args) => CliRun.InvokeAsync(["--gateway", _gateway.Address, .. args]);

    [Fact]
    public async Task Rerun_sends_the_job_id_and_keeps_priority_and_queue_unset_unless_given()
    {
        var run = await Run("jobs", "rerun", "job-7", "--request-id", "again-1");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(_gateway.Log.Reruns);
        Assert.Equal("job-7", request.JobId);
        Assert.Equal("again-1", request.RequestId);
        Assert.False(request.HasPriority);
        Assert.False(request.HasQueue);
        Assert.Contains($"Submitted job {FakeJobs.Succeeding} (Queued), a re-run of job job-7", run.Out);
    }

    [Fact]
    public async Task Rerun_passes_priority_and_queue_overrides()
    {
        var run = await Run("jobs", "rerun", "job-7", "--priority", "5", "--queue", "night", "-q");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(_gateway.Log.Reruns);
        Assert.True(request.HasPriority);
        Assert.Equal(5, request.Priority);
        Assert.Equal("night", request.Queue);
        Assert.Equal(FakeJobs.Succeeding, run.Out.Trim());
    }

    [Fact]
    public async Task Rerun_with_watch_follows_the_new_job_to_its_metrics()
    {
        var run = await Run("jobs", "rerun", "job-7", "--watch");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("penguins version 3", run.Out);
        Assert.Contains("macro_f1", run.Out);
    }
}
