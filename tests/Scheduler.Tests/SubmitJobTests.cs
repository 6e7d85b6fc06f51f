using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Tests;

public sealed class SubmitJobTests : IAsyncLifetime
{
    private SchedulerTestHost _host = null!;
    private Dataset _penguins = null!;

    public async Task InitializeAsync()
    {
        _host = await SchedulerTestHost.StartAsync();
        _penguins = _host.ModelStore.AddPenguins();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private SubmitJobRequest Valid() => new()
    {
        Spec = new JobSpec
        {
            DatasetId = _penguins.Id,
            Task = TrainingTask.MulticlassClassification,
            LabelColumn = "species",
            Trainer = "lightgbm",
            Seed = 42,
        },
    };

    [Fact]
    public async Task A_valid_submission_is_queued_stored_and_dispatched_to_the_workers()
    {
        var request = Valid();
        request.Spec.Hyperparameters["learning_rate"] = "0.05";

        var job = await _host.SubmitAsync(request);

        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal("grpc", job.Source);
        Assert.Equal(Tenant.Default, job.TenantId);
        Assert.Equal(_penguins.Id, job.Spec.DatasetId);
        Assert.Equal(0.2, job.Spec.HoldoutFraction);
        Assert.Equal("penguins", job.Spec.ModelName);
        // Resolved against the catalogue: the given value plus every default.
        Assert.Equal("0.05", job.Spec.Hyperparameters["learning_rate"]);
        Assert.Equal("100", job.Spec.Hyperparameters["number_of_iterations"]);

        var stored = await _host.GetAsync(job.Id);
        Assert.True(stored.Pending.Dispatched); // GetJob adds why the job still waits
        stored.Pending = null;
        Assert.Equal(job, stored);

        var command = Assert.Single(_host.PublishedOf<TrainModel>());
        Assert.Equal(Guid.Parse(job.Id), command.JobId);
        Assert.Equal(1, command.Attempt);
        Assert.Equal(Tenant.Default, command.TenantId);
        Assert.Equal(Guid.Parse(_penguins.Id), command.DatasetId);
        Assert.Equal("multiclass_classification", command.Task);
        Assert.Equal("species", command.LabelColumn);
        Assert.Equal("lightgbm", command.Trainer);
        Assert.Equal("0.05", command.Hyperparameters["learning_rate"]);
        Assert.Equal(42, command.Seed);
        Assert.Equal("penguins", command.ModelName);
        Assert.Equal(0.2, command.HoldoutFraction);

        var dispatchedAt = await _host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync());
        Assert.NotNull(dispatchedAt);
    }

    [Fact]
    public async Task The_data_set_is_looked_up_for_the_callers_tenant()
    {
        var acme = _host.ModelStore.AddPenguins("acme");
        var request = Valid();
        request.Spec.DatasetId = acme.Id;

        var job = await _host.SubmitAsync(request, "acme");

        Assert.Equal("acme", job.TenantId);
        Assert.Equal("acme", Assert.Single(_host.ModelStore.TenantsAsked));
    }

    [Fact]
    public async Task A_sweep_over_one_data_set_asks_the_store_once_per_few_seconds_per_tenant_and_never_remembers_a_miss()
    {
        var acme = _host.ModelStore.AddPenguins("acme");
        var request = Valid();
        request.Spec.DatasetId = acme.Id;
        // Another tenant asking for acme's data set is not answered from what acme's submissions found.
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request, "globex"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);

        for (var i = 0; i < 3; i++) await _host.SubmitAsync(request, "acme");
        Assert.Equal(["globex", "acme"], _host.ModelStore.TenantsAsked);

        // Past Scheduler:DatasetLookupCache (5 s) the store is asked again, and a data set gone by then is refused.
        _host.ModelStore.Remove("acme", acme.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(5));
        error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request, "acme"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(3, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
    }

    [Fact]
    public async Task Submissions_arriving_while_their_data_set_is_looked_up_wait_for_that_lookup_instead_of_asking_again()
    {
        var acme = _host.ModelStore.AddPenguins("acme");
        var request = Valid();
        request.Spec.DatasetId = acme.Id;
        var lookups = _host.Services.GetRequiredService<Platform.Scheduler.Jobs.DatasetLookupCache>();

        // Found: all ten are accepted on the one answer.
        _host.ModelStore.HoldAnswers = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var submissions = Enumerable.Range(0, 10).Select(_ => _host.SubmitAsync(request, "acme")).ToList();
        await WaitUntilAsync(() => lookups.LookupsJoined == 9);
        _host.ModelStore.HoldAnswers.SetResult();
        var jobs = await Task.WhenAll(submissions);
        Assert.Equal(10, jobs.Select(j => j.Id).Distinct().Count());
        Assert.Equal("acme", Assert.Single(_host.ModelStore.TenantsAsked));

        // Gone (past the remembered window): all five waiting are refused on the one answer.
        _host.ModelStore.Remove("acme", acme.Id);
        _host.Clock.Advance(TimeSpan.FromSeconds(5));
        _host.ModelStore.HoldAnswers = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refused = Enumerable.Range(0, 5).Select(_ => Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request, "acme"))).ToList();
        await WaitUntilAsync(() => lookups.LookupsJoined == 13);
        _host.ModelStore.HoldAnswers.SetResult();
        Assert.All(await Task.WhenAll(refused), error => Assert.Equal(StatusCode.NotFound, error.StatusCode));
        Assert.Equal(2, _host.ModelStore.TenantsAsked.Count);
        Assert.Equal(10, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(10, timeout.Token);
    }

    [Fact]
    public async Task Explicit_model_name_and_holdout_are_kept()
    {
        var request = Valid();
        request.Spec.ModelName = "penguin-species_v2.1";
        request.Spec.HoldoutFraction = 0.5;

        var job = await _host.SubmitAsync(request);

        Assert.Equal("penguin-species_v2.1", job.Spec.ModelName);
        Assert.Equal(0.5, job.Spec.HoldoutFraction);
    }

    [Fact]
    public async Task The_default_model_name_is_the_data_set_name_reduced_to_safe_characters()
    {
        var odd = _host.ModelStore.Add(Tenant.Default, "Flights 2024 (sample).csv", ["delay", "distance"]);
        var request = Valid();
        request.Spec.DatasetId = odd.Id;
        request.Spec.Task = TrainingTask.Regression;
        request.Spec.LabelColumn = "delay";

        var job = await _host.SubmitAsync(request);

        Assert.Equal("Flights-2024-sample", job.Spec.ModelName);
    }

    public static TheoryData<string> BadInputs => [.. BadInput.Cases.Keys];

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_the_right_status_naming_the_field_and_stores_and_publishes_nothing(string name)
    {
        var bad = BadInput.Cases[name];
        var request = Valid();
        bad.Change(request, _host.ModelStore);

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request, bad.Tenant));

        Assert.Equal(bad.Status, error.StatusCode);
        Assert.Contains(bad.Names, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Equal(0, await _host.QueryAsync(db => db.JobEvents.CountAsync()));
        Assert.Empty(_host.PublishedOf<TrainModel>());
    }

    [Fact]
    public async Task A_model_store_outage_is_reported_as_such_and_stores_nothing()
    {
        _host.ModelStore.FailWith = StatusCode.Unavailable;

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(Valid()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(0, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Empty(_host.PublishedOf<TrainModel>());
    }

    [Fact]
    public async Task The_same_request_id_returns_the_first_job_and_dispatches_once()
    {
        var first = Valid();
        first.RequestId = "nightly-2025-01-15";
        var second = Valid();
        second.RequestId = "nightly-2025-01-15";
        second.Spec.Seed = 7; // A retry need not be byte-identical: the request id decides.

        var a = await _host.SubmitAsync(first);
        var b = await _host.SubmitAsync(second);

        Assert.Equal(a.Id, b.Id);
        Assert.Equal(42, b.Spec.Seed);
        Assert.Equal("nightly-2025-01-15", b.RequestId);
        Assert.Equal(1, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Single(_host.PublishedOf<TrainModel>());
    }

    [Fact]
    public async Task A_request_id_is_scoped_to_the_tenant()
    {
        var acme = _host.ModelStore.AddPenguins("acme");
        var mine = Valid();
        mine.RequestId = "same";
        var theirs = Valid();
        theirs.RequestId = "same";
        theirs.Spec.DatasetId = acme.Id;

        var a = await _host.SubmitAsync(mine);
        var b = await _host.SubmitAsync(theirs, "acme");

        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal(2, _host.PublishedOf<TrainModel>().Count);
    }

    [Fact]
    public async Task A_failed_publish_still_returns_the_committed_job_for_the_next_pass_to_dispatch()
    {
        await using var host = await SchedulerTestHost.StartAsync(services => services.AddBrokenBus());
        var penguins = host.ModelStore.AddPenguins();
        var request = Valid();
        request.Spec.DatasetId = penguins.Id;

        var job = await host.SubmitAsync(request);

        Assert.Equal(JobState.Queued, job.State);
        Assert.Null(await host.QueryAsync(db => db.TrainingJobs.Select(j => j.DispatchedAt).SingleAsync()));
    }

    /// <summary>One kind of bad input: how to spoil a valid request, the expected status and what the message must name.</summary>
    private sealed record BadInput(Action<SubmitJobRequest, FakeModelStore> Change, StatusCode Status, string Names, string Tenant = Tenant.Default)
    {
        public static Dictionary<string, BadInput> Cases { get; } = new()
        {
            ["no spec"] = new((r, _) => r.Spec = null, StatusCode.InvalidArgument, "spec"),
            ["no data set id"] = new((r, _) => r.Spec.DatasetId = "", StatusCode.InvalidArgument, "spec.dataset_id"),
            ["malformed data set id"] = new((r, _) => r.Spec.DatasetId = "penguins.csv", StatusCode.InvalidArgument, "spec.dataset_id"),
            ["unknown data set"] = new((r, _) => r.Spec.DatasetId = "0b5e7d43-5a43-4f0e-9a67-6c1d2f9b8e01", StatusCode.NotFound,
                "0b5e7d43-5a43-4f0e-9a67-6c1d2f9b8e01"),
            ["another tenant's data set"] = new((r, store) => r.Spec.DatasetId = store.AddPenguins("acme").Id, StatusCode.NotFound, "data set"),
            ["no task"] = new((r, _) => r.Spec.Task = TrainingTask.Unspecified, StatusCode.InvalidArgument, "spec.task"),
            ["unknown task number"] = new((r, _) => r.Spec.Task = (TrainingTask)99, StatusCode.InvalidArgument, "spec.task"),
            ["no label column"] = new((r, _) => r.Spec.LabelColumn = "", StatusCode.InvalidArgument, "spec.label_column"),
            ["label column not in the data"] = new((r, _) => r.Spec.LabelColumn = "beak_colour", StatusCode.InvalidArgument, "beak_colour"),
            ["label column of the wrong case"] = new((r, _) => r.Spec.LabelColumn = "Species", StatusCode.InvalidArgument, "did you mean 'species'"),
            ["regression on a categorical label"] = new((r, _) =>
            {
                r.Spec.Task = TrainingTask.Regression;
                r.Spec.LabelColumn = "island";
            }, StatusCode.InvalidArgument, "spec.label_column"),
            ["no trainer"] = new((r, _) => r.Spec.Trainer = "", StatusCode.InvalidArgument, "spec.trainer"),
            ["unknown trainer"] = new((r, _) => r.Spec.Trainer = "deep_magic", StatusCode.InvalidArgument, "spec.trainer"),
            ["trainer that does not serve the task"] = new((r, _) => r.Spec.Trainer = "sdca", StatusCode.InvalidArgument, "spec.trainer"),
            ["unknown hyperparameter"] = new((r, _) => r.Spec.Hyperparameters["depth"] = "3", StatusCode.InvalidArgument, "spec.hyperparameters.depth"),
            ["hyperparameter of the wrong type"] = new((r, _) => r.Spec.Hyperparameters["number_of_iterations"] = "many",
                StatusCode.InvalidArgument, "spec.hyperparameters.number_of_iterations"),
            ["hyperparameter out of range"] = new((r, _) => r.Spec.Hyperparameters["learning_rate"] = "5",
                StatusCode.InvalidArgument, "spec.hyperparameters.learning_rate"),
            ["holdout above one half"] = new((r, _) => r.Spec.HoldoutFraction = 0.7, StatusCode.InvalidArgument, "spec.holdout_fraction"),
            ["negative holdout"] = new((r, _) => r.Spec.HoldoutFraction = -0.1, StatusCode.InvalidArgument, "spec.holdout_fraction"),
            ["holdout not a number"] = new((r, _) => r.Spec.HoldoutFraction = double.NaN, StatusCode.InvalidArgument, "spec.holdout_fraction"),
            ["model name with a path"] = new((r, _) => r.Spec.ModelName = "../models/x", StatusCode.InvalidArgument, "spec.model_name"),
            ["model name with '..'"] = new((r, _) => r.Spec.ModelName = "a..b", StatusCode.InvalidArgument, "spec.model_name"),
            ["model name longer than the store accepts"] = new((r, _) => r.Spec.ModelName = new string('m', 101), StatusCode.InvalidArgument, "spec.model_name"),
            ["request id too long"] = new((r, _) => r.RequestId = new string('r', 129), StatusCode.InvalidArgument, "request_id"),
            ["request id with control characters"] = new((r, _) => r.RequestId = "a\nb", StatusCode.InvalidArgument, "request_id"),
            ["malformed tenant"] = new((_, _) => { }, StatusCode.InvalidArgument, "x-tenant-id", "Not A Tenant"),
            ["malformed queue"] = new((r, _) => r.Spec.Queue = "GPU Queue", StatusCode.InvalidArgument, "spec.queue"),
            ["negative run-time limit"] = new((r, _) => r.Spec.MaxRunSeconds = -1, StatusCode.InvalidArgument, "spec.max_run_seconds"),
        };
    }
}
