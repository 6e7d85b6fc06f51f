using System.IO.Compression;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.ML;
using Platform.Contracts;
using Platform.Datasets.V1;

namespace Platform.Worker.Tests;

public sealed class TrainModelConsumerTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_job_publishes_started_then_each_stage_then_completed()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins());

        var events = await _worker.TrainAsync(job);

        Assert.IsType<TrainingJobStarted>(events[0]);
        Assert.IsType<TrainingJobCompleted>(events[^1]);
        var stages = events.Skip(1).SkipLast(1).Select(e => Assert.IsType<TrainingJobProgressed>(e).Stage);
        Assert.Equal(["downloading", "loading", "training", "evaluating", "saving", "uploading"], stages);
        Assert.All(events.OfType<TrainingJobProgressed>(), e => Assert.Equal(job.Attempt, e.Attempt));
        Assert.Equal(WorkerUnderTest.WorkerName, ((TrainingJobStarted)events[0]).Worker);
    }

    [Fact]
    public async Task A_completed_job_registers_the_version_with_its_artifacts_their_checksums_and_its_lineage()
    {
        var dataset = _worker.AddPenguins("acme");
        var job = WorkerUnderTest.Job(dataset);

        var completed = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(job))[^1]);

        var registration = Assert.Single(_worker.Store.Data.Registrations);
        Assert.Equal("acme", registration.Tenant);
        var version = registration.Version;
        Assert.Equal((job.JobId.ToString(), dataset.Id, dataset.Sha256, "multiclass_classification", "lightgbm", 42, "Species", "penguins"),
            (version.JobId, version.DatasetId, version.DatasetSha256, version.Task, version.Trainer, version.Seed, version.LabelColumn, version.ModelName));
        Assert.Equal("10", version.Hyperparameters["number_of_iterations"]);
        Assert.Equal("0.1", version.Hyperparameters["learning_rate"]); // defaults are recorded too
        Assert.Equal(completed.Metrics.OrderBy(m => m.Key), version.Metrics.OrderBy(m => m.Key));
        Assert.Contains("macro_f1", completed.Metrics.Keys);
        Assert.Contains("f1[Gentoo]", completed.Metrics.Keys);
        // Lineage: the attempt, the worker, the fitted preparation and the columns the model reads and adds.
        Assert.Equal((1, WorkerUnderTest.WorkerName), (version.Attempt, version.Worker));
        Assert.Equal(["replace_missing_values", "one_hot_encoding", "concatenate_features"], version.PreparationSteps.Select(s => s.Kind));
        Assert.Equal(["Island", "Sex"], version.PreparationSteps[1].Columns);
        Assert.Equal(7, version.InputSchema.Count);
        Assert.Equal(["PredictedLabel", "Score"], version.OutputSchema.Select(c => c.Name));
        Assert.True(version.TrainingSeconds > 0);
        Assert.NotNull(version.TrainedAt);
        // The full evaluation travels with the completed event.
        Assert.Equal("holdout", completed.Evaluation!.Method);
        Assert.Equal(["Adelie", "Chinstrap", "Gentoo"], completed.Evaluation.ConfusionClasses);
        Assert.Equal(completed.Evaluation.ConfusionCounts.Sum(row => row.Sum()), completed.Evaluation.Classes.Sum(c => c.Support));

        Assert.Equal(["model", "predictions", "evaluation", "onnx", "model_card"], registration.Artifacts.Select(a => a.Header.Kind));
        Assert.Equal(["model.zip", "predictions.csv", "evaluation.json", "model.onnx", "model-card.zip"], registration.Artifacts.Select(a => a.Header.FileName));
        foreach (var (header, bytes) in registration.Artifacts)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), header.Sha256);
            Assert.Equal(bytes.Length, header.SizeBytes);
        }
        Assert.Equal(registration.Artifacts[0].Header.Sha256, completed.ModelSha256);
        Assert.Equal((version.ModelName, version.Version, WorkerUnderTest.WorkerName), (completed.ModelName, completed.ModelVersion, completed.Worker));
        Assert.True(completed.TrainingSeconds > 0);

        // The registered model is a usable ML.NET model with its loader.
        var ml = new MLContext();
        using var zip = new MemoryStream(registration.Artifacts[0].Bytes);
        ml.Model.LoadWithDataLoader(zip, out var loader);
        Assert.NotNull(loader);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_worker.Scratch));
    }

    [Fact]
    public async Task A_label_column_missing_from_the_data_fails_permanently_naming_the_column()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins(), label: "Penguin Colour");

        var events = await _worker.TrainAsync(job);

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.True(failed.Permanent);
        Assert.Contains("'Penguin Colour'", failed.Reason, StringComparison.Ordinal);
        Assert.IsType<TrainingJobStarted>(events[0]);
        Assert.DoesNotContain(events, e => e is TrainingJobCompleted);
        Assert.Empty(_worker.Store.Data.Registrations);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_worker.Scratch));
    }

    [Fact]
    public async Task LightGBM_on_too_few_rows_to_split_fails_permanently_saying_what_to_change()
    {
        var rows = string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},{(i % 2 == 0 ? "even" : "odd")}\n"));
        var dataset = _worker.Store.Data.Add("default", "few.csv", System.Text.Encoding.UTF8.GetBytes("x,parity\n" + rows),
            ("x", ColumnType.Numeric), ("parity", ColumnType.Categorical));
        var job = WorkerUnderTest.Job(dataset, label: "parity") with { Task = "binary_classification", Hyperparameters = new Dictionary<string, string>() };

        var events = await _worker.TrainAsync(job);

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.True(failed.Permanent);
        Assert.StartsWith("LightGBM found no useful split in the 8 training rows", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(_worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task Preparation_and_cross_validation_choices_reach_the_run_and_are_recorded_with_the_version()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins()) with
        {
            Preparation = new PreparationSpec
            {
                ExcludeColumns = ["Island"],
                Columns = [new ColumnPreparationSpec { Name = "Beak Length (mm)", MissingValues = "median" }],
            },
            Evaluation = new EvaluationOptions { Folds = 3, FeatureImportance = true, Permutations = 2 },
        };

        var completed = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(job))[^1]);

        var evaluation = completed.Evaluation!;
        Assert.Equal(("cross_validation", 3, true), (evaluation.Method, evaluation.Folds, evaluation.Stratified));
        Assert.Equal([1, 2, 3], evaluation.FoldResults.Select(f => f.Fold));
        Assert.Equal("accuracy", evaluation.ImportanceMetric);
        Assert.DoesNotContain(evaluation.FeatureImportance, f => f.Column == "Island");
        Assert.Contains("accuracy_std", completed.Metrics.Keys);
        var version = Assert.Single(_worker.Store.Data.Registrations).Version;
        Assert.Equal(["Island"], version.PreparationSteps.Single(s => s.Kind == "exclude_columns").Columns);
        Assert.Equal("median", version.PreparationSteps.Single(s => s.Columns.SequenceEqual(["Beak Length (mm)"])).Parameters["policy"]);
        var json = System.Text.Encoding.UTF8.GetString(_worker.Store.Data.Registrations.Single().Artifacts[2].Bytes);
        Assert.Contains("\"method\": \"cross_validation\"", json, StringComparison.Ordinal);
        Assert.Contains("\"exclude_columns\": [", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_preparation_choice_fails_permanently_naming_the_field()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins()) with
        {
            Preparation = new PreparationSpec { Columns = [new ColumnPreparationSpec { Name = "Sex", MissingValues = "average" }] },
        };

        var failed = Assert.IsType<TrainingJobFailed>((await _worker.TrainAsync(job))[^1]);

        Assert.True(failed.Permanent);
        Assert.Equal("preparation.columns[0].missing_values: 'average' is not one of mean, median, most_frequent, drop_row, indicator", failed.Reason);
        Assert.Empty(_worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task A_text_column_of_the_data_set_is_featurised_as_text()
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "spam-assassin-sample.csv"));
        var dataset = _worker.Store.Data.Add("default", "spam.csv", bytes,
            ("label", ColumnType.Categorical), ("subject", ColumnType.Text), ("body", ColumnType.Text), ("group", ColumnType.Categorical));
        var job = WorkerUnderTest.Job(dataset, label: "label", trainer: "averaged_perceptron", hyperparameters: new Dictionary<string, string>()) with
        {
            Task = "binary_classification",
            Preparation = new PreparationSpec { ExcludeColumns = ["group"] },
        };

        var completed = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(job))[^1]);

        var version = Assert.Single(_worker.Store.Data.Registrations).Version;
        Assert.Equal(["subject", "body"], version.PreparationSteps.Single(s => s.Kind == "featurize_text").Columns);
        Assert.True(completed.Metrics["f1[spam]"] > 0.8, $"f1[spam] {completed.Metrics["f1[spam]"]}");
    }

    [Fact]
    public async Task An_invalid_hyperparameter_fails_permanently_naming_the_field()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins(), hyperparameters: new Dictionary<string, string> { ["learning_rate"] = "fast" });

        var failed = Assert.IsType<TrainingJobFailed>((await _worker.TrainAsync(job))[^1]);

        Assert.True(failed.Permanent);
        Assert.StartsWith("hyperparameters.learning_rate:", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_data_set_is_not_found_and_fails_permanently()
    {
        var dataset = _worker.AddPenguins("acme");
        var job = WorkerUnderTest.Job(dataset) with { TenantId = "globex" };

        var failed = Assert.IsType<TrainingJobFailed>((await _worker.TrainAsync(job))[^1]);

        Assert.True(failed.Permanent);
        Assert.Contains("NotFound", failed.Reason, StringComparison.Ordinal);
        Assert.Contains(dataset.Id, failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_store_outage_while_registering_is_not_permanent()
    {
        _worker.Store.Data.FailRegistrationWith = StatusCode.Unavailable;
        var job = WorkerUnderTest.Job(_worker.AddPenguins());

        var events = await _worker.TrainAsync(job);

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.False(failed.Permanent);
        Assert.Contains("Unavailable", failed.Reason, StringComparison.Ordinal);
        Assert.Equal("uploading", events.OfType<TrainingJobProgressed>().Last().Stage);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_worker.Scratch));
    }

    [Fact]
    public async Task A_data_set_whose_bytes_do_not_match_its_checksum_is_not_trained_on()
    {
        var dataset = _worker.AddPenguins();
        var stored = _worker.Store.Data.Datasets[("default", dataset.Id)];
        _worker.Store.Data.Datasets[("default", dataset.Id)] = (stored.Dataset, stored.Bytes[..^10]);

        var events = await _worker.TrainAsync(WorkerUnderTest.Job(dataset));

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.False(failed.Permanent);
        Assert.Contains("SHA-256", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(events.OfType<TrainingJobProgressed>(), e => e.Stage == "training");
    }
}
