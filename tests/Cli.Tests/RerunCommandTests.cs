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

    [Theory]
    [InlineData(new[] { "--model", "penguins" }, "job-3")]
    [InlineData(new[] { "--model", "penguins", "--version", "2" }, "job-2")]
    public async Task Rerun_of_a_model_version_reruns_the_job_that_trained_it(string[] args, string expectedJob)
    {
        var run = await Run(["jobs", "rerun", .. args]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expectedJob, Assert.Single(_gateway.Log.Reruns).JobId);
    }

    [Fact]
    public async Task An_uploaded_model_version_has_no_job_to_rerun()
    {
        var run = await Run("jobs", "rerun", "--model", "uploaded");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("uploaded version 3 was uploaded, not trained by a job", run.Error);
        Assert.Empty(_gateway.Log.Reruns);
    }

    [Theory]
    [InlineData("")]
    [InlineData("job-7 --model penguins")]
    [InlineData("job-7 --version 2")]
    public async Task A_job_id_or_a_model_exactly_is_a_usage_error_otherwise(string args)
    {
        var run = await Run(["jobs", "rerun", .. args.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--model", run.Error);
        Assert.Empty(_gateway.Log.Reruns);
    }
}
