using Platform.Contracts;

namespace Platform.Worker.Tests;

/// <summary>
/// The benchmark trainers (docs/benchmarks.md) run only on a worker with <c>Worker:BenchmarkTrainers</c> on, and only as
/// sweep trials: no data set read, no model, a deterministic objective.
/// </summary>
public sealed class BenchmarkTrialTests
{
    private static TrainModel Trial(Datasets.V1.Dataset dataset, string x = "0.5", bool evaluateOnly = true) =>
        WorkerUnderTest.Job(dataset, label: "Body Mass (g)", trainer: "benchmark_wait",
            hyperparameters: new Dictionary<string, string> { ["wait_ms"] = "0", ["x"] = x }) with
        {
            Task = "regression",
            EvaluateOnly = evaluateOnly,
        };

    [Fact]
    public async Task Without_the_setting_a_benchmark_trainer_fails_for_good_naming_the_trainer_and_the_setting()
    {
        await using var worker = await WorkerUnderTest.StartAsync();
        var job = Trial(worker.AddPenguins());

        var events = await worker.TrainAsync(job);

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.True(failed.Permanent);
        Assert.StartsWith("trainer: 'benchmark_wait' is a benchmark trainer", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("Worker:BenchmarkTrainers=true", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(worker.Store.Data.Registrations);
    }

    [Fact]
    public async Task With_the_setting_a_trial_reports_the_objective_of_its_x_and_registers_nothing()
    {
        await using var worker = await WorkerUnderTest.StartAsync(new Dictionary<string, string?> { ["Worker:BenchmarkTrainers"] = "true" });
        var dataset = worker.AddPenguins();

        var best = Assert.IsType<TrainingJobCompleted>((await worker.TrainAsync(Trial(dataset, x: "0.3")))[^1]);
        var worse = Assert.IsType<TrainingJobCompleted>((await worker.TrainAsync(Trial(dataset, x: "0.8")))[^1]);
        var model = Assert.IsType<TrainingJobFailed>((await worker.TrainAsync(Trial(dataset, evaluateOnly: false)))[^1]);

        Assert.Equal((1.0, 1.0), (best.Metrics["rmse"], best.Metrics["r2"]));
        Assert.Equal((1.25, 0.75), (worse.Metrics["rmse"], worse.Metrics["r2"]), new ToleranceComparer());
        Assert.Equal(0, best.ModelVersion);
        Assert.True(model.Permanent);
        Assert.Contains("trains no model", model.Reason, StringComparison.Ordinal);
        Assert.Empty(worker.Store.Data.Registrations);
        Assert.Empty(Directory.EnumerateFileSystemEntries(worker.Scratch));
    }

    private sealed class ToleranceComparer : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) < 1e-12 && Math.Abs(x.Item2 - y.Item2) < 1e-12;

        public int GetHashCode((double, double) obj) => 0;
    }
}
