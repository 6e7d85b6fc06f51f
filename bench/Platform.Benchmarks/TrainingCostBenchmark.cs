using System.Diagnostics;
using System.Globalization;
using System.Text;
using Platform.Training;
using Platform.Training.Catalogue;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// How good the scheduler's estimate of a job's run time is (<see cref="TrainingCost"/>, docs/training.md "Cost
/// estimate"): trains every trainer of each task on the sample data sets (iris, penguins, the spam sample, flights-200k
/// cut to 20,000 rows and whole) with its default hyperparameters and with a heavier setting, in this process
/// (<see cref="TrainingRun"/>, as the worker runs it), and compares the measured run time with the estimate made from the
/// data set's shape and the hyperparameters alone. Each setting runs up to three times and the fastest counts, so that
/// the machine's other work weighs less. Prints each run, the ratio estimate ÷ measured, and per trainer the factor on
/// its seconds per operation that would have made its median fit ratio 1 (how the constants in <see cref="TrainingCost"/>
/// were set). Figures: the median ratio and the share of runs estimated within a factor of 2 and of 4.
/// </summary>
public static class TrainingCostBenchmark
{
    private sealed record Data(string Name, string Path, TrainingTask Task, string Label, IReadOnlyList<DatasetColumn> Columns);

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var root = ServiceProcess.RepositoryRoot();
        var scratch = Directory.CreateTempSubdirectory("training-cost").FullName;
        try
        {
            var sets = new List<Data>
            {
                new("iris", Path.Combine(root, "samples", "data", "iris.csv"), TrainingTask.MulticlassClassification, "species",
                    [.. new[] { "sepal_length", "sepal_width", "petal_length", "petal_width" }.Select(c => new DatasetColumn(c, ColumnKind.Numeric)), new("species", ColumnKind.Categorical)]),
                new("penguins", Path.Combine(root, "samples", "data", "penguins.csv"), TrainingTask.MulticlassClassification, "Species",
                    [new("Species", ColumnKind.Categorical), new("Island", ColumnKind.Categorical), new("Beak Length (mm)", ColumnKind.Numeric),
                     new("Beak Depth (mm)", ColumnKind.Numeric), new("Flipper Length (mm)", ColumnKind.Numeric), new("Body Mass (g)", ColumnKind.Numeric),
                     new("Sex", ColumnKind.Categorical)]),
                new("spam-sample", Path.Combine(root, "samples", "data", "spam-assassin-sample.csv"), TrainingTask.BinaryClassification, "label",
                    [new("label", ColumnKind.Categorical), new("subject", ColumnKind.Text), new("body", ColumnKind.Text), new("group", ColumnKind.Categorical)]),
            };
            var flights = Path.Combine(datasetsFolder, "flights-200k.csv");
            if (File.Exists(flights))
            {
                DatasetColumn[] columns = [new("delay", ColumnKind.Numeric), new("distance", ColumnKind.Numeric), new("time", ColumnKind.Numeric)];
                var cut = Path.Combine(scratch, "flights-20k.csv");
                await File.WriteAllLinesAsync(cut, File.ReadLines(flights).Take(20_001));
                sets.Add(new("flights-20k", cut, TrainingTask.Regression, "delay", columns));
                sets.Add(new("flights-200k", flights, TrainingTask.Regression, "delay", columns));
            }
            else Console.WriteLine($"training cost: flights-200k skipped ({flights} not found; set PLATFORM_DATASETS)");

            // Warm-up: the first run of a process pays for the JIT of ML.NET's pipeline.
            await MeasureAsync(sets[0], "lightgbm", new Dictionary<string, string>(), scratch);
            Console.WriteLine("training cost: estimate from the data set's shape and the hyperparameters vs the measured training run");
            Console.WriteLine($"  {"data",-13} {"trainer",-24} {"hyperparameters",-52} {"estimate",9} {"measured",9} {"ratio",6}");
            var runs = new List<(string Trainer, double EstimatedFit, double MeasuredFit, double Ratio)>();
            foreach (var data in sets)
            {
                // GAM's thousands of rounds over a text vocabulary take many minutes: not measured on text.
                foreach (var trainer in TrainerCatalogue.List(data.Task).Where(t => !(t.Name == "gam" && data.Columns.Any(c => c.Kind == ColumnKind.Text))))
                {
                    foreach (var hyperparameters in Settings(trainer.Name, data))
                    {
                        TrainingCostEstimate estimate;
                        double measured, fit;
                        try
                        {
                            (estimate, measured, fit) = await MeasureAsync(data, trainer.Name, hyperparameters, scratch);
                        }
                        catch (InvalidOperationException e)
                        {
                            // A trainer the data does not suit (Poisson regression on negative delays).
                            Console.WriteLine($"  {data.Name,-13} {trainer.Name,-24} not measured: {e.Message}");
                            continue;
                        }
                        var ratio = estimate.RunSeconds / measured;
                        runs.Add((trainer.Name, estimate.FitSeconds, fit, ratio));
                        var described = hyperparameters.Count == 0 ? "(defaults)" : string.Join(" ", hyperparameters.Select(p => $"{p.Key}={p.Value}"));
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {data.Name,-13} {trainer.Name,-24} {described,-52} {estimate.RunSeconds,8:0.00}s {measured,8:0.00}s {ratio,6:0.00}"));
                    }
                }
            }

            Console.WriteLine("  per trainer, the factor on its seconds per operation that makes its median fit ratio 1 (measured ÷ estimated fit):");
            foreach (var group in runs.GroupBy(r => r.Trainer))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {group.Key,-24} ×{Statistics.Median([.. group.Select(r => r.MeasuredFit / Math.Max(1e-6, r.EstimatedFit))]):0.###} ({group.Count()} runs)"));
            var ratios = runs.Select(r => r.Ratio).ToList();
            var median = Statistics.Median(ratios);
            var within2 = ratios.Count(r => r is >= 0.5 and <= 2) / (double)ratios.Count;
            var within4 = ratios.Count(r => r is >= 0.25 and <= 4) / (double)ratios.Count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {ratios.Count} runs: median estimate ÷ measured {median:0.00}; within 2× {within2:P0}, within 4× {within4:P0}; lowest {ratios.Min():0.00}, highest {ratios.Max():0.00}"));
            var description = $"{ratios.Count} training runs: every trainer on iris, penguins, the spam sample, flights-200k (20k and 200k rows), defaults and a heavier setting";
            return
            [
                new("training_cost_estimate.median_ratio", median, "estimate/measured", null, null, "", description, "in-process"),
                new("training_cost_estimate.within_2x", within2, "share", null, null, "", description, "in-process"),
                new("training_cost_estimate.within_4x", within4, "share", null, null, "", description, "in-process"),
            ];
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The defaults, and a heavier setting of the parameter that drives the trainer's cost.</summary>
    private static IEnumerable<Dictionary<string, string>> Settings(string trainer, Data data)
    {
        yield return [];
        var heavier = trainer switch
        {
            "lightgbm" => new Dictionary<string, string> { ["number_of_iterations"] = "400", ["number_of_leaves"] = "128", ["minimum_example_count_per_leaf"] = "2" },
            "fast_tree" or "fast_forest" => new() { ["number_of_trees"] = "300", ["number_of_leaves"] = "64", ["minimum_example_count_per_leaf"] = "2" },
            // Its default is already 9,500 rounds: lighter and heavier bins instead.
            "gam" => new() { ["number_of_iterations"] = "2000", ["maximum_bin_count_per_feature"] = "1024" },
            "averaged_perceptron" or "online_gradient_descent" => new() { ["number_of_iterations"] = "50" },
            "linear_svm" => new() { ["number_of_iterations"] = "20" },
            "kmeans" => new() { ["number_of_clusters"] = "20" },
            _ => null,
        };
        // The big data set and the text only with the defaults: the heavier settings on them would take minutes each.
        if (heavier is not null && !data.Name.EndsWith("200k", StringComparison.Ordinal) && data.Name != "spam-sample") yield return heavier;
    }

    private static async Task<(TrainingCostEstimate Estimate, double Measured, double Fit)> MeasureAsync(
        Data data, string trainer, Dictionary<string, string> hyperparameters, string scratch)
    {
        var spec = new TrainingSpec { Task = data.Task, LabelColumn = data.Label, Trainer = trainer, Hyperparameters = hyperparameters, Seed = 1 };
        var settings = TrainerCatalogue.Validate(data.Task, trainer, hyperparameters);
        var features = data.Columns.Where(c => c.Name != data.Label).ToList();
        var rows = File.ReadLines(data.Path).Count() - 1L;
        var shape = new DataShape(rows,
            features.Count(c => c.Kind is ColumnKind.Numeric or ColumnKind.Boolean),
            features.Count(c => c.Kind is ColumnKind.Categorical or ColumnKind.Date),
            features.Count(c => c.Kind == ColumnKind.Text));
        var estimate = TrainingCost.Estimate(settings, shape, spec.Evaluation, spec.HoldoutFraction);
        var (measured, fit) = (double.MaxValue, double.MaxValue);
        var spent = Stopwatch.StartNew();
        for (var run = 0; run < 3 && (run == 0 || spent.Elapsed < TimeSpan.FromSeconds(20)); run++)
        {
            var output = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
            var clock = Stopwatch.StartNew();
            var result = await TrainingRun.ExecuteAsync(new DatasetFile(data.Path, data.Columns, DatasetFormat.Csv), spec, output);
            (measured, fit) = (Math.Min(measured, clock.Elapsed.TotalSeconds), Math.Min(fit, result.Timings.Training.TotalSeconds));
            Directory.Delete(output, recursive: true);
        }
        return (estimate, measured, fit);
    }
}
