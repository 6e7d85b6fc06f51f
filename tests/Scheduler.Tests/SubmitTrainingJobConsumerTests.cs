using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests;

/// <summary>The message-queue submission, through MassTransit's in-memory harness (the raw-JSON wire path is an integration test).</summary>
public sealed class SubmitTrainingJobConsumerTests : IAsyncLifetime
{
    private SchedulerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SchedulerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private SubmitTrainingJob Valid(string tenantId = "acme") => new()
    {
        RequestId = "order-17",
        TenantId = tenantId,
        DatasetId = _host.ModelStore.AddPenguins(tenantId).Id,
        Task = "multiclass_classification",
        LabelColumn = "species",
        Trainer = "lightgbm",
        Hyperparameters = new Dictionary<string, string> { ["number_of_iterations"] = "20" },
        Seed = 3,
    };

    [Fact]
    public async Task A_valid_message_becomes_a_job_like_a_grpc_submission_with_source_amqp()
    {
        await _host.DeliverAsync(Valid());

        var found = await _host.ListAsync(new ListJobsRequest { RequestId = "order-17" }, "acme");
        var job = Assert.Single(found.Jobs);
        Assert.Equal("amqp", job.Source);
        Assert.Equal("acme", job.TenantId);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal("20", job.Spec.Hyperparameters["number_of_iterations"]);
        Assert.Equal(3, job.Spec.Seed);
        Assert.Equal(0.2, job.Spec.HoldoutFraction);
        Assert.Equal(Guid.Parse(job.Id), Assert.Single(_host.PublishedOf<TrainModel>()).JobId);
        Assert.Empty(Rejections());
    }

    [Fact]
    public async Task Preparation_and_evaluation_reach_the_job_and_the_worker()
    {
        await _host.DeliverAsync(Valid() with
        {
            Preparation = new PreparationSpec { ExcludeColumns = ["island"], Columns = [new ColumnPreparationSpec { Name = "body_mass_g", MissingValues = "median" }] },
            Evaluation = new EvaluationOptions { Folds = 3 },
        });

        var job = Assert.Single((await _host.ListAsync(new ListJobsRequest { RequestId = "order-17" }, "acme")).Jobs);
        Assert.Equal(["island"], job.Spec.Preparation.ExcludeColumns);
        Assert.Equal(MissingValuePolicy.Median, job.Spec.Preparation.Columns[0].MissingValues);
        Assert.Equal(3, job.Spec.Evaluation.Folds);
        var command = Assert.Single(_host.PublishedOf<TrainModel>());
        Assert.Equal("median", command.Preparation!.Columns[0].MissingValues);
        Assert.Equal(3, command.Evaluation!.Folds);
    }

    [Fact]
    public async Task Without_a_tenant_the_job_belongs_to_the_default_tenant()
    {
        await _host.DeliverAsync(Valid("default") with { TenantId = null });

        Assert.Single((await _host.ListAsync(new ListJobsRequest { RequestId = "order-17" })).Jobs);
    }

    [Fact]
    public async Task A_redelivered_message_creates_one_job()
    {
        var message = Valid();
        await _host.DeliverAsync(message);
        await _host.DeliverAsync(message);

        Assert.Equal(1, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Single(_host.PublishedOf<TrainModel>());
    }

    public static TheoryData<string> Invalid => [.. InvalidMessages.Keys];

    private static readonly Dictionary<string, (Func<SubmitTrainingJob, SubmitTrainingJob> Spoil, string Field)> InvalidMessages = new()
    {
        ["unknown trainer"] = (m => m with { Trainer = "deep_magic" }, "trainer"),
        ["unknown data set"] = (m => m with { DatasetId = Guid.NewGuid().ToString() }, "datasetId"),
        ["malformed data set id"] = (m => m with { DatasetId = "penguins.csv" }, "datasetId"),
        ["unknown task"] = (m => m with { Task = "telepathy" }, "task"),
        ["missing label column"] = (m => m with { LabelColumn = null }, "labelColumn"),
        ["hyperparameter of the wrong type"] = (m => m with { Hyperparameters = new() { ["number_of_iterations"] = "lots" } },
            "hyperparameters.number_of_iterations"),
        ["holdout out of range"] = (m => m with { HoldoutFraction = 0.9 }, "holdoutFraction"),
        ["malformed tenant"] = (m => m with { TenantId = "ACME Inc" }, "tenantId"),
        ["unknown missing-value policy"] = (m => m with { Preparation = new PreparationSpec { MissingValues = "average" } }, "preparation.missingValues"),
        ["excluding an unknown column"] = (m => m with { Preparation = new PreparationSpec { ExcludeColumns = ["beak_colour"] } },
            "preparation.excludeColumns[0]"),
        ["a column prepared twice"] = (m => m with
        {
            Preparation = new PreparationSpec { Columns = [new() { Name = "bill_length_mm" }, new() { Name = "bill_length_mm", MissingValues = "mean" }] },
        }, "preparation.columns[1].name"),
        ["parallel folds without folds"] = (m => m with { Evaluation = new EvaluationOptions { ParallelFolds = true } }, "evaluation.parallelFolds"),
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task An_invalid_message_creates_nothing_and_is_answered_with_a_rejection_naming_the_json_property(string name)
    {
        var (spoil, field) = InvalidMessages[name];

        await _host.DeliverAsync(spoil(Valid()));

        var rejected = Assert.Single(Rejections());
        Assert.Equal(field, rejected.Field);
        Assert.Equal("order-17", rejected.RequestId);
        Assert.StartsWith(field + ": ", rejected.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("spec.", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Empty(_host.PublishedOf<TrainModel>());
        // Acknowledged, not faulted: an invalid message must not go round again.
        Assert.False(await _host.Harness.Consumed.Any<SubmitTrainingJob>(m => m.Exception is not null));
    }

    [Fact]
    public async Task A_rejection_goes_to_the_tenants_routing_key_of_the_rejection_exchange_with_long_values_shortened()
    {
        await _host.DeliverAsync(Valid() with { RequestId = new string('r', 500) });
        await _host.DeliverAsync(Valid() with { RequestId = "order-18", Trainer = new string('t', 5000) });

        var sent = _host.Harness.Sent.Select<TrainingJobRejected>().ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, s => Assert.Equal("acme", s.Context.RoutingKey()));
        Assert.All(sent, s => Assert.EndsWith(TrainingJobRejected.ExchangeName, s.Context.DestinationAddress!.AbsolutePath, StringComparison.Ordinal));
        var (longRequestId, longTrainer) = (sent[0].Context.Message, sent[1].Context.Message);
        Assert.Equal("requestId", longRequestId.Field);
        Assert.Equal(new string('r', 128) + "… (372 more characters)", longRequestId.RequestId);
        Assert.Equal("trainer", longTrainer.Field);
        Assert.True(longTrainer.Reason.Length <= 1000, $"reason of {longTrainer.Reason.Length} characters");
        Assert.Contains("(4800 more characters)", longTrainer.Reason, StringComparison.Ordinal);
    }

    private List<TrainingJobRejected> Rejections() => [.. _host.Harness.Sent.Select<TrainingJobRejected>().Select(m => m.Context.Message)];
}
