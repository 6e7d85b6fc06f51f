using System.Security.Cryptography;
using Platform.Jobs.V1;

namespace Platform.Cli.Tests;

public sealed class CommandTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<CliRun> Run(params string[] args) => CliRun.InvokeAsync(["--gateway", _gateway.Address, .. args]);

    [Fact]
    public async Task Submit_sends_the_spec_as_given_on_the_command_line()
    {
        var run = await Run("jobs", "submit", "--dataset", "ds-1", "--task", "multiclass", "--label", "Species",
            "--trainer", "lightgbm", "--param", "learning_rate=0.1", "-p", "num_leaves=31", "--seed", "42",
            "--model-name", "penguins", "--request-id", "r-1", "--tenant", "acme");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(_gateway.Log.Submissions);
        Assert.Equal("ds-1", request.Spec.DatasetId);
        Assert.Equal(TrainingTask.MulticlassClassification, request.Spec.Task);
        Assert.Equal("Species", request.Spec.LabelColumn);
        Assert.Equal("lightgbm", request.Spec.Trainer);
        Assert.Equal(new Dictionary<string, string> { ["learning_rate"] = "0.1", ["num_leaves"] = "31" }, request.Spec.Hyperparameters);
        Assert.Equal(42, request.Spec.Seed);
        Assert.Equal("penguins", request.Spec.ModelName);
        Assert.Equal("r-1", request.RequestId);
        Assert.Equal("acme", Assert.Single(_gateway.Log.Tenants));
        Assert.Contains("Submitted job succeeding", run.Out);
    }

    [Fact]
    public async Task The_tenant_and_gateway_come_from_the_environment_when_not_given()
    {
        var environment = new Dictionary<string, string> { ["PLATFORM_GATEWAY"] = _gateway.Address, ["PLATFORM_TENANT"] = "team-a" };

        var run = await CliRun.InvokeAsync(environment, "jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t", "-q");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("team-a", Assert.Single(_gateway.Log.Tenants));
        Assert.Equal("succeeding", run.Out.Trim());
    }

    [Fact]
    public async Task An_unknown_task_is_a_usage_error_and_nothing_is_submitted()
    {
        var run = await Run("jobs", "submit", "--dataset", "d", "--task", "clustering", "--label", "y", "--trainer", "t");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("clustering", run.Error);
        Assert.Empty(_gateway.Log.Submissions);
    }

    [Fact]
    public async Task A_malformed_param_is_a_usage_error_and_nothing_is_submitted()
    {
        var run = await Run("jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t", "--param", "leaves");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--param: 'leaves' is not name=value", run.Error);
        Assert.Empty(_gateway.Log.Submissions);
    }

    [Fact]
    public async Task Show_prints_the_evaluation_method_and_the_preparation_the_job_asked_for()
    {
        var prepared = await Run("jobs", "show", FakeJobs.Prepared);
        var plain = await Run("jobs", "show", FakeJobs.Succeeding);

        Assert.Equal((0, 0), (prepared.ExitCode, plain.ExitCode));
        Assert.Contains("Evaluation   5-fold cross-validation, not stratified; feature importance (5 permutations)", prepared.Out, StringComparison.Ordinal);
        var lines = prepared.Out.Split('\n').Select(l => l.Trim()).ToList();
        var at = lines.IndexOf("Preparation  exclude group");
        Assert.True(at > 0, prepared.Out);
        Assert.Equal(["normalization min_max", "column body=indicator,text", "class weighting custom (spam=3.5)"], lines[(at + 1)..(at + 4)]);
        Assert.Contains("Evaluation   holdout of 20", plain.Out, StringComparison.Ordinal);
        Assert.Contains("Preparation  defaults", plain.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_lists_the_fold_jobs_of_a_job_with_parallel_folds()
    {
        var run = await Run("jobs", "show", FakeJobs.Folded);

        Assert.Contains("Evaluation   3-fold cross-validation, stratified where there are classes; folds in parallel, each a job of its own", run.Out, StringComparison.Ordinal);
        // The table's cells, row by row.
        var rows = run.Out.Split('\n').Select(l => string.Join(' ', l.Split('│').Select(c => c.Trim()).Where(c => c.Length > 0))).ToList();
        Assert.Contains("Fold Job State Worker Reason", rows);
        Assert.Contains("1 fold-1 Succeeded worker-a", rows);
        Assert.Contains("2 fold-2 Failed worker-b out of memory", rows);
        Assert.Contains("3 fold-3 Cancelled", rows);
        Assert.Contains("job folded failed: fold 2 (job fold-2) failed: out of memory", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grpc_error_prints_its_status_and_message_on_one_line()
    {
        var run = await Run("jobs", "show", "nope");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: NotFound: job 'nope' was not found", run.Error.Trim());
        Assert.DoesNotContain(" at ", run.Error); // no stack trace
    }

    [Fact]
    public async Task A_gateway_that_is_not_an_http_address_is_a_usage_error()
    {
        var run = await CliRun.InvokeAsync("--gateway", "localhost:5080", "jobs", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--gateway: 'localhost:5080' is not an http:// or https:// address", run.Error);
    }

    [Fact]
    public async Task Watching_a_job_that_succeeds_prints_progress_lines_and_metrics_and_exits_0()
    {
        var run = await Run("jobs", "watch", FakeJobs.Succeeding);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("training", run.Out);
        Assert.Contains("50%", run.Out);
        Assert.Contains("penguins version 3", run.Out);
        Assert.Contains("macro_f1", run.Out);
        Assert.Contains("0.9600", run.Out);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Watching_a_job_that_fails_prints_the_reason_on_stderr_and_exits_non_zero()
    {
        var run = await Run("jobs", "watch", FakeJobs.Failing);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("label column 'Species' has a single class", run.Error);
    }

    [Fact]
    public async Task A_download_is_saved_once_its_sha256_is_verified()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.zip");
        try
        {
            var run = await Run("models", "download", "penguins", "-o", path);

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(FakeModels.Bytes, await File.ReadAllBytesAsync(path));
            Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(FakeModels.Bytes)), run.Out);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("onnx")]
    [InlineData("evaluation")]
    [InlineData("model_card")]
    [InlineData("predictions")]
    public async Task Every_artifact_kind_of_a_trained_version_can_be_downloaded(string kind)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}");
        try
        {
            var run = await Run("models", "download", "penguins", "--artifact", kind, "-o", path);

            Assert.Equal((0, ""), (run.ExitCode, run.Error));
            Assert.Equal(FakeModels.Bytes, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task An_unknown_artifact_kind_is_a_usage_error_listing_the_kinds()
    {
        var run = await Run("models", "download", "penguins", "--artifact", "weights");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Argument 'weights' not recognized", run.Error, StringComparison.Ordinal);
        Assert.All(new[] { "'onnx'", "'evaluation'", "'model_card'" }, kind => Assert.Contains(kind, run.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_download_whose_sha256_does_not_match_leaves_no_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.zip");

        var run = await Run("models", "download", FakeModels.Corrupt, "-o", path);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: DataLoss:", run.Error);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public async Task An_upload_sends_a_header_with_the_files_sha256_then_1_MiB_chunks()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.csv");
        // About 2.8 MB: two whole chunks and a partial one.
        var content = "a,b\n" + string.Concat(Enumerable.Repeat("1,2\n", 700_000));
        await File.WriteAllTextAsync(path, content);
        try
        {
            var run = await Run("datasets", "upload", path, "--name", "numbers.csv", "-q");

            Assert.Equal(0, run.ExitCode);
            Assert.Equal("ds-1", run.Out.Trim());
            var messages = _gateway.Log.Uploads.ToList();
            var bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal("numbers.csv", messages[0].Header.Name);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), messages[0].Header.Sha256);
            var chunks = messages.Skip(1).Select(m => m.Chunk.ToByteArray()).ToList();
            Assert.Equal(3, chunks.Count);
            Assert.All(chunks.SkipLast(1), chunk => Assert.Equal(1024 * 1024, chunk.Length));
            Assert.Equal(bytes, chunks.SelectMany(c => c).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
