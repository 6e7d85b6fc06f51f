using System.IO.Compression;
using System.Text;
using Platform.Contracts;
using Platform.Datasets.V1;

namespace Platform.Worker.Tests;

/// <summary>A data set's sensitive columns: not trained on unless the job opts in, and their values never logged or shown.</summary>
public sealed class SensitiveColumnTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_sensitive_column_is_not_trained_on_by_default_and_its_values_reach_no_log_or_card()
    {
        var dataset = _worker.AddPenguins("acme");
        dataset.Columns.Single(c => c.Name == "Island").Sensitive = true;

        Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(WorkerUnderTest.Job(dataset)))[^1]);

        var registration = Assert.Single(_worker.Store.Data.Registrations);
        var features = Assert.Single(registration.Version.PreparationSteps, s => s.Kind == "concatenate_features").Columns;
        Assert.DoesNotContain("Island", features);
        Assert.Contains("Sex", features);
        var card = CardMarkdown(registration);
        Assert.Contains("Marked sensitive on the data set, so left out of training (the job did not opt in with `use_sensitive_columns`): `Island`.",
            card, StringComparison.Ordinal);
        foreach (var island in new[] { "Torgersen", "Biscoe", "Dream" })
        {
            Assert.DoesNotContain(island, card, StringComparison.Ordinal);
            Assert.DoesNotContain(island, _worker.Logs.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_job_that_opts_in_trains_on_the_column_and_a_bad_value_in_it_is_named_by_line_not_repeated()
    {
        // Before the fix the failure reason quoted the field ("line 18 of the file holds 'SECRET-4711'"), and the
        // worker logs failure reasons.
        var rows = Enumerable.Range(0, 40).Select(i => $"{i},{(i == 16 ? "SECRET-4711" : (1000 + i * 10).ToString(System.Globalization.CultureInfo.InvariantCulture))},{(i % 2 == 0 ? "yes" : "no")}");
        var bytes = Encoding.UTF8.GetBytes("x,salary,y\n" + string.Join("\n", rows) + "\n");
        var dataset = _worker.Store.Data.Add("acme", "salaries.csv", bytes, ("x", ColumnType.Numeric), ("salary", ColumnType.Numeric), ("y", ColumnType.Categorical));
        dataset.Columns.Single(c => c.Name == "salary").Sensitive = true;
        var job = WorkerUnderTest.Job(dataset, label: "y", trainer: "lbfgs_logistic", hyperparameters: new Dictionary<string, string>()) with
        {
            Task = "binary_classification",
            ModelName = "salaries",
            Preparation = new PreparationSpec { UseSensitiveColumns = ["salary"] },
        };

        var failed = Assert.IsType<TrainingJobFailed>((await _worker.TrainAsync(job))[^1]);

        Assert.True(failed.Permanent);
        Assert.Contains("Column 'salary' is numeric, but line 18 of the file's value is not a number", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-4711", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-4711", _worker.Logs.Text, StringComparison.Ordinal);
        Assert.Contains("salary", _worker.Logs.Text, StringComparison.Ordinal); // the log did see the failure
    }

    private static string CardMarkdown(FakeModelStore.Registration registration)
    {
        var (_, bytes) = Assert.Single(registration.Artifacts, a => a.Header.Kind == ModelCardBundle.ArtifactKind);
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry(ModelCardBundle.MarkdownEntry)!.Open());
        return reader.ReadToEnd();
    }
}
