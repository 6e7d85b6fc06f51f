using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Tests;

public sealed class RerunJobTests : IAsyncLifetime
{
    private SchedulerTestHost _host = null!;
    private Dataset _penguins = null!;

    public async Task InitializeAsync()
    {
        _host = await SchedulerTestHost.StartAsync();
        _penguins = _host.ModelStore.AddPenguins();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A submission that sets every field of the spec away from its default.</summary>
    private Task<Job> SubmitFullSpecAsync(string tenantId = Tenant.Default, string? datasetId = null)
    {
        var request = new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = datasetId ?? _penguins.Id,
                Task = TrainingTask.MulticlassClassification,
                LabelColumn = "species",
                Trainer = "lightgbm",
                Seed = 1234,
                ModelName = "penguin-species",
                Priority = 3,
                Queue = "nightly",
                MaxRunSeconds = 600,
                Preparation = new Preparation
                {
                    ExcludeColumns = { "island" },
                    MissingValues = MissingValuePolicy.Median,
                    Normalization = Normalization.MeanVariance,
                },
                Evaluation = new EvaluationSpec { Folds = 5, FeatureImportance = true, Permutations = 3 },
            },
        };
        request.Spec.Hyperparameters["learning_rate"] = "0.05";
        return _host.SubmitAsync(request, tenantId);
    }

    private Task<Job> RerunAsync(RerunJobRequest request, string tenantId = Tenant.Default) =>
        _host.CallAsync((s, r, c) => s.RerunJob(r, c), request, tenantId);

    [Fact]
    public async Task A_rerun_is_a_new_job_with_exactly_the_stored_spec_and_records_what_it_reruns()
    {
        var original = await SubmitFullSpecAsync();

        var rerun = await RerunAsync(new RerunJobRequest { JobId = original.Id });

        Assert.NotEqual(original.Id, rerun.Id);
        Assert.Equal(original.Id, rerun.RerunOf);
        Assert.Equal("", original.RerunOf);
        Assert.Equal(JobState.Queued, rerun.State);
        Assert.Equal(original.Spec, rerun.Spec);
        Assert.Equal(_penguins.Sha256, original.DatasetSha256);
        Assert.Equal(_penguins.Sha256, rerun.DatasetSha256);

        var stored = await _host.GetAsync(rerun.Id);
        Assert.Equal(original.Id, stored.RerunOf);
        Assert.Equal(original.Spec, stored.Spec);

        // The workers are told to train exactly what the first job was told to train.
        await _host.SuperviseAsync();
        var first = Assert.Single(_host.DispatchesOf(original.Id));
        var second = Assert.Single(_host.DispatchesOf(rerun.Id));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(first with { JobId = second.JobId }), System.Text.Json.JsonSerializer.Serialize(second));
    }

    [Fact]
    public async Task Priority_and_queue_may_change_and_nothing_else_does()
    {
        var original = await SubmitFullSpecAsync();

        var rerun = await RerunAsync(new RerunJobRequest { JobId = original.Id, Priority = -1, Queue = "default" });

        var expected = original.Spec.Clone();
        expected.Priority = -1;
        expected.Queue = "default";
        Assert.Equal(expected, rerun.Spec);
    }

    [Fact]
    public async Task The_same_request_id_returns_the_first_rerun()
    {
        var original = await SubmitFullSpecAsync();

        var first = await RerunAsync(new RerunJobRequest { JobId = original.Id, RequestId = "again" });
        var second = await RerunAsync(new RerunJobRequest { JobId = original.Id, RequestId = "again" });

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, (await _host.ListAsync(new ListJobsRequest())).Jobs.Count);
    }

    [Fact]
    public async Task A_data_set_whose_content_changed_is_a_failed_precondition_naming_it_and_nothing_is_created()
    {
        var original = await SubmitFullSpecAsync();
        var trainedOn = _penguins.Sha256;
        var other = new string('a', 64);
        _host.ModelStore.ChangeContent(Tenant.Default, _penguins.Id, other);

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = original.Id }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains($"data set {_penguins.Id} ('penguins.csv') now has SHA-256 {other}", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains($"job {original.Id} trained on {trainedOn}", error.Status.Detail, StringComparison.Ordinal);
        Assert.Single((await _host.ListAsync(new ListJobsRequest())).Jobs);
    }

    [Fact]
    public async Task A_data_set_that_is_gone_is_not_found_naming_it()
    {
        var original = await SubmitFullSpecAsync();
        _host.ModelStore.Remove(Tenant.Default, _penguins.Id);

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = original.Id }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(_penguins.Id, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_recorded_spec_the_catalogue_no_longer_accepts_is_a_failed_precondition_naming_the_hyperparameter()
    {
        var original = await SubmitFullSpecAsync();
        // As if the job had been recorded by a version whose lightgbm had a parameter this one does not.
        await _host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
            "UPDATE training_jobs SET hyperparameters = {0}", """{"learning_rate":"0.05","max_depth":"4"}"""));

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = original.Id }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains($"job {original.Id} cannot be re-run as it was: spec.hyperparameters.max_depth", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recorded_hyperparameters_that_now_resolve_differently_are_a_failed_precondition()
    {
        var original = await SubmitFullSpecAsync();
        // As if recorded before the catalogue declared number_of_iterations: a re-run would now add its default.
        var recorded = original.Spec.Hyperparameters.Where(p => p.Key != "number_of_iterations").ToDictionary();
        await _host.QueryAsync(db => db.Database.ExecuteSqlRawAsync(
            "UPDATE training_jobs SET hyperparameters = {0}", System.Text.Json.JsonSerializer.Serialize(recorded)));

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = original.Id }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("trainer 'lightgbm' now resolves its hyperparameters to", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("number_of_iterations=100", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_job_is_not_found_naming_the_id()
    {
        const string unknown = "0b5e7d43-5a43-4f0e-9a67-6c1d2f9b8e01";

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = unknown }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(unknown, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_job_is_not_found_and_nothing_is_created()
    {
        var acmeDataset = _host.ModelStore.AddPenguins("acme");
        var acmeJob = await SubmitFullSpecAsync("acme", acmeDataset.Id);

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = acmeJob.Id }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(acmeJob.Id, error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await _host.ListAsync(new ListJobsRequest())).Jobs);
    }

    [Theory]
    [InlineData("", "job_id")]
    [InlineData("job-7", "job_id")]
    public async Task A_missing_or_malformed_job_id_is_an_invalid_argument_naming_the_field(string jobId, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = jobId }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(field, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_queue_override_is_an_invalid_argument_naming_the_field()
    {
        var original = await SubmitFullSpecAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => RerunAsync(new RerunJobRequest { JobId = original.Id, Queue = "Night Queue" }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("queue", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'Night Queue'", error.Status.Detail, StringComparison.Ordinal);
    }
}
