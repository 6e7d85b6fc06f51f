using System.Diagnostics;
using System.Globalization;
using Platform.Scheduler.Sweeps;
using Platform.Training;
using Platform.Training.Data;
using Platform.Training.Preparation;

namespace Platform.Benchmarks;

/// <summary>
/// Issue 17, acceptance 3, search quality: the best objective after 20 and 50 trials of a LightGBM sweep, Bayesian (TPE)
/// against random and grid, the mean over 5 seeds of the suggestions, on flights-200k (regression, RMSE of the delay)
/// and the spam sample (binary classification, AUC; its <c>group</c> column, which gives the label away, excluded).
/// The suggestions are the scheduler's own (<see cref="SearchSpace"/>); each trial is trained and evaluated in this
/// process with the training library (<see cref="TrainingRun"/>, as a worker runs an evaluate-only trial) one at a
/// time, so every suggestion sees every earlier result (a sweep with max_parallel above 1 sees fewer). Identical
/// suggestions are trained once (training is deterministic). The grid does not depend on the seed, so it is run once.
/// Baseline: random search in the same run; the ratio is Bayesian's mean best ÷ random's (below 1 is better for RMSE,
/// above 1 for AUC). <c>PLATFORM_BENCH_SWEEP_SEEDS</c> sets the number of seeds (default 5);
/// <c>PLATFORM_BENCH_SWEEP_PROBLEMS</c> (comma-separated: flights-200k, spam-sample) runs some of the problems.
/// </summary>
public static class SweepQuality
{
    private const int Trials = 50;
    private static readonly int[] Checkpoints = [20, 50];

    private sealed record Problem(string Name, string Path, TrainingTask Task, string Label, IReadOnlyList<DatasetColumn> Columns, string Metric, bool Maximize,
        IReadOnlyList<string>? Excluded = null);

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var root = Platform.Testing.ServiceProcess.RepositoryRoot();
        var seeds = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_SWEEP_SEEDS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 5;
        var problems = new List<Problem>
        {
            new("spam-sample", Path.Combine(root, "samples", "data", "spam-assassin-sample.csv"), TrainingTask.BinaryClassification, "label",
                [new("label", ColumnKind.Categorical), new("subject", ColumnKind.Text), new("body", ColumnKind.Text), new("group", ColumnKind.Categorical)],
                // group (the folder each mail came from) gives the label away: excluded, as the profile's warning tells a user,
                // or every algorithm's best AUC would be 1 and the comparison say nothing.
                "auc", Maximize: true, Excluded: ["group"]),
        };
        var flights = Path.Combine(datasetsFolder, "flights-200k.csv");
        if (File.Exists(flights))
            problems.Insert(0, new("flights-200k", flights, TrainingTask.Regression, "delay",
                [new("delay", ColumnKind.Numeric), new("distance", ColumnKind.Numeric), new("time", ColumnKind.Numeric)], "rmse", Maximize: false));
        else Console.WriteLine($"sweep quality: flights-200k skipped ({flights} not found; set PLATFORM_DATASETS)");

        if (Environment.GetEnvironmentVariable("PLATFORM_BENCH_SWEEP_PROBLEMS") is { Length: > 0 } chosen)
            problems.RemoveAll(p => !chosen.Split(',', StringSplitOptions.TrimEntries).Contains(p.Name));

        var scratch = Directory.CreateTempSubdirectory("sweep-quality").FullName;
        var results = new List<BenchmarkResult>();
        try
        {
            foreach (var problem in problems)
            {
                var cache = new Dictionary<string, double>(StringComparer.Ordinal);
                var clock = Stopwatch.StartNew();
                var best = new Dictionary<SearchAlgorithm, List<double[]>>();
                foreach (var algorithm in new[] { SearchAlgorithm.Random, SearchAlgorithm.Bayesian, SearchAlgorithm.Grid })
                {
                    best[algorithm] = [];
                    foreach (var seed in algorithm == SearchAlgorithm.Grid ? [1] : Enumerable.Range(1, seeds))
                    {
                        var curve = await SweepAsync(problem, Definition(problem, algorithm, seed), cache, scratch);
                        best[algorithm].Add([.. Checkpoints.Select(c => curve[c - 1])]);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  sweep quality {problem.Name,-13} {algorithm,-9} seed {seed}: best {problem.Metric} after 20 {curve[19]:0.#####}, after 50 {curve[49]:0.#####} ({cache.Count} fits so far, {clock.Elapsed.TotalMinutes:0.0} min)"));
                    }
                }
                var data = $"{problem.Name}, LightGBM, {problem.Metric} ({(problem.Maximize ? "higher" : "lower")} is better); learning_rate, number_of_leaves, "
                    + $"minimum_example_count_per_leaf searched; mean over {seeds} seeds (grid: one), one trial at a time, in-process; load {Load()}";
                for (var c = 0; c < Checkpoints.Length; c++)
                {
                    var random = best[SearchAlgorithm.Random].Average(b => b[c]);
                    var bayesian = best[SearchAlgorithm.Bayesian].Average(b => b[c]);
                    var grid = best[SearchAlgorithm.Grid].Average(b => b[c]);
                    var target = problem.Maximize ? ">= 1" : "<= 1";
                    var name = $"sweeps.quality_{problem.Name.Replace("-", "_", StringComparison.Ordinal)}.best_{problem.Metric}_after_{Checkpoints[c]}";
                    results.Add(new($"{name}.bayesian", bayesian, problem.Metric, random, bayesian / random, target, data, "in-process"));
                    results.Add(new($"{name}.grid", grid, problem.Metric, random, grid / random, "", data, "in-process"));
                    results.Add(new($"{name}.random", random, problem.Metric, null, null, "baseline", data, "in-process"));
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        return results;
    }

    /// <summary>The sweep's objective after each trial, best so far (in the metric's own units).</summary>
    private static async Task<double[]> SweepAsync(Problem problem, SweepDefinition definition, Dictionary<string, double> cache, string scratch)
    {
        var records = new List<TrialRecord>();
        var curve = new double[Trials];
        var best = double.NaN;
        // A grid smaller than the trial budget ends when it is exhausted, as a sweep does: its best stays for the rest.
        var trials = (int)Math.Min(Trials, definition.Algorithm == SearchAlgorithm.Grid ? SearchSpace.GridSize(definition) : Trials);
        for (var number = 1; number <= Trials; number++)
        {
            if (number > trials)
            {
                curve[number - 1] = best;
                continue;
            }
            var suggestion = SearchSpace.Suggest(definition, number, records);
            var key = string.Join(",", suggestion.Parameters.Select(p => $"{p.Key}={p.Value}"));
            if (!cache.TryGetValue(key, out var value))
            {
                value = await EvaluateAsync(problem, suggestion.Parameters, scratch);
                cache[key] = value;
            }
            if (double.IsFinite(value) && definition.Objective.IsBetter(value, best)) best = value;
            curve[number - 1] = best;
            records.Add(new TrialRecord(number, suggestion.Trainer, suggestion.Parameters, null, Ended: true,
                double.IsFinite(value) ? (problem.Maximize ? -value : value) : null));
        }
        return curve;
    }

    private static SweepDefinition Definition(Problem problem, SearchAlgorithm algorithm, int seed) => new()
    {
        Trainers =
        [
            new SweepTrainer
            {
                Name = "lightgbm",
                Fixed = new Dictionary<string, string> { ["number_of_iterations"] = "100" },
                Space =
                [
                    // Grid: 4 x 4 x 3 = 48 points, the last dimension varying fastest.
                    new SearchDimension { Name = "learning_rate", Kind = DimensionKind.NumberRange, Min = 0.005, Max = 0.5, Log = true, GridPoints = 4 },
                    new SearchDimension { Name = "number_of_leaves", Kind = DimensionKind.IntegerRange, Min = 2, Max = 256, Log = true, GridPoints = 4 },
                    new SearchDimension { Name = "minimum_example_count_per_leaf", Kind = DimensionKind.IntegerRange, Min = 1, Max = 200, Log = true, GridPoints = 3 },
                ],
            },
        ],
        Objective = new SweepObjective(problem.Metric, problem.Maximize),
        Algorithm = algorithm,
        MaxTrials = Trials,
        MaxParallel = 1,
        MaxFailed = 0,
        Seed = seed,
    };

    private static async Task<double> EvaluateAsync(Problem problem, IReadOnlyDictionary<string, string> parameters, string scratch)
    {
        var hyperparameters = new Dictionary<string, string>(parameters) { ["number_of_iterations"] = "100" };
        var spec = new TrainingSpec
        {
            Task = problem.Task, LabelColumn = problem.Label, Trainer = "lightgbm", Hyperparameters = hyperparameters, Seed = 1,
            Preparation = DataPreparation.Default with { ExcludeColumns = problem.Excluded ?? [] },
        };
        var output = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
        try
        {
            var result = await TrainingRun.ExecuteAsync(new DatasetFile(problem.Path, problem.Columns, DatasetFormat.Csv), spec, output);
            return result.Metrics.TryGetValue(problem.Metric, out var value) ? value : double.NaN;
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
