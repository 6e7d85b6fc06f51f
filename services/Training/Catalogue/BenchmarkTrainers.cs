using System.Globalization;
using static Platform.Training.Catalogue.HyperparameterDefinition;

namespace Platform.Training.Catalogue;

/// <summary>
/// Trainers that do no ML work, for the platform's own sweep benchmarks (docs/benchmarks.md, "Sweep orchestration"):
/// a trial of <c>benchmark_wait</c> waits <c>wait_ms</c> milliseconds without using a core (0: it returns at once) and
/// reports a deterministic objective of <c>x</c> (<see cref="Metrics"/>), so what a sweep of them costs is the platform's
/// orchestration alone. The worker runs them itself, without reading the data set or calling ML.NET, and only as sweep
/// trials (evaluate-only): they train no model, so a sweep of them ends Failed when its final job would register one.
/// </summary>
/// <remarks>
/// Off by default, twice: the scheduler knows them (accepts, lists and validates them) only in a process started with
/// <c>Scheduler:BenchmarkTrainers=true</c> (<see cref="TrainerCatalogue.OfferBenchmarkTrainers"/>), and a worker runs
/// them only with <c>Worker:BenchmarkTrainers=true</c>. Neither is a value of the Helm chart: a production deployment
/// refuses them (INVALID_ARGUMENT naming the trainer) and does not list them.
/// </remarks>
public static class BenchmarkTrainers
{
    /// <summary>The waiting trainer's name.</summary>
    public const string Wait = "benchmark_wait";

    /// <summary>Where <see cref="Metrics"/> is best.</summary>
    public const double BestX = 0.3;

    /// <summary>Every benchmark trainer (regression only: a benchmark needs one task).</summary>
    public static IReadOnlyList<TrainerDefinition> All { get; } =
    [
        new(Wait, "Benchmarks only: waits wait_ms without using a core, reports a deterministic objective of x; trains no model.",
            [
                Int("wait_ms", 0, 0, 3_600_000, "Milliseconds the trial waits (0: it returns at once)."),
                Double("x", 0.5, 0, 1, $"A searchable number: rmse = 1 + (x - {BestX.ToString(CultureInfo.InvariantCulture)})²."),
            ],
            [
                new(TrainingTask.Regression, NormalizeFeatures: false, Calibrated: false,
                    _ => throw new InvalidOperationException($"{Wait} has no ML.NET estimator: the worker runs it without a training run")),
            ]),
    ];

    /// <summary>Whether <paramref name="name"/> is a benchmark trainer (whether or not this process offers them).</summary>
    public static bool IsBenchmarkTrainer(string? name) => name is not null && All.Any(t => t.Name == name);

    /// <summary>What a trial of <c>benchmark_wait</c> asks for: its wait and its <c>x</c>, range-checked as the catalogue checks them.</summary>
    /// <exception cref="SpecValidationException">A hyperparameter is unknown, of the wrong type or out of range.</exception>
    public static (TimeSpan Wait, double X) Trial(IReadOnlyDictionary<string, string>? hyperparameters)
    {
        var settings = TrainerCatalogue.Resolve(All[0], TrainingTask.Regression, hyperparameters);
        return (TimeSpan.FromMilliseconds(settings.GetInt("wait_ms")), settings.GetDouble("x"));
    }

    /// <summary>The metrics a trial reports: <c>rmse</c> = <c>mae</c> = 1 + (x − 0.3)², <c>r2</c> = 1 − (x − 0.3)².</summary>
    public static IReadOnlyDictionary<string, double> Metrics(double x)
    {
        var loss = (x - BestX) * (x - BestX);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [MetricNames.Rmse] = 1 + loss,
            [MetricNames.Mae] = 1 + loss,
            [MetricNames.R2] = 1 - loss,
        };
    }
}
