using System.Globalization;
using Platform.Jobs.V1;
using Platform.Training.Data;

namespace Platform.Benchmarks;

/// <summary>
/// An A/B of the worker's LightGBM fit under host settings, for a machine too loaded for absolute figures: one standalone
/// platform per variant of its environment (<c>PLATFORM_BENCH_FIT_VARIANTS</c>: <c>;</c>-separated, each <c>default</c> or
/// <c>NAME=value,NAME=value</c>, e.g. <c>OMP_WAIT_POLICY=ACTIVE;default</c>), and raw ML.NET in this process, the same
/// flights-200k regression on each, interleaved round by round (<c>PLATFORM_BENCH_FIT_RUNS</c> rounds, default 11, after
/// one warm-up), so that the machine's load hits every variant alike. Prints each fit (the worker's <c>fit</c> step; raw's
/// includes its read of the file) and min / median / max per variant, and records per variant the median fit and the
/// spread (max / min), each against raw ML.NET's. Runs only when the variants are given.
/// </summary>
public static class FitSteadiness
{
    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var csv = Path.Combine(datasetsFolder, "flights-200k.csv");
        if (Environment.GetEnvironmentVariable("PLATFORM_BENCH_FIT_VARIANTS") is not { Length: > 0 } variants || !File.Exists(csv))
        {
            Console.WriteLine("fit steadiness: skipped (set PLATFORM_BENCH_FIT_VARIANTS; needs flights-200k.csv)");
            return [];
        }
        // Hyperparameters of the worker's job (name=value,…); raw ML.NET keeps the defaults.
        var hyperparameters = (Environment.GetEnvironmentVariable("PLATFORM_BENCH_FIT_HYPERPARAMETERS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_FIT_RUNS"), CultureInfo.InvariantCulture, out var r) ? r : 11;
        var platforms = new List<(string Name, StandalonePlatform Platform, string DatasetId)>();
        try
        {
            foreach (var variant in variants.Split(';'))
            {
                var environment = variant == "default"
                    ? new Dictionary<string, string>()
                    : variant.Split(',').Select(setting => setting.Split('=', 2)).ToDictionary(setting => setting[0], setting => setting[1]);
                var platform = await StandalonePlatform.StartAsync(environment);
                platforms.Add((variant, platform, (await platform.UploadAsync(csv, Datasets.V1.DatasetFormat.Csv)).Id));
            }
            var dataset = await platforms[0].Platform.Datasets.GetDatasetAsync(new Datasets.V1.GetDatasetRequest { DatasetId = platforms[0].DatasetId });
            var file = new DatasetFile(csv, [.. dataset.Columns.Select(c => new DatasetColumn(c.Name, c.Type == Datasets.V1.ColumnType.Numeric ? ColumnKind.Numeric : ColumnKind.Categorical))],
                Training.Data.DatasetFormat.Csv);
            string[] numeric = [.. file.Columns.Where(c => c.Name != "delay").Select(c => c.Name)];

            var fits = platforms.Select(p => p.Name).Append("raw ML.NET").ToDictionary(name => name, _ => new List<double>());
            Console.WriteLine($"fit steadiness: {rounds} rounds after a warm-up, interleaved; load average {TrainingOverhead.LoadAverage()}");
            for (var round = 0; round <= rounds; round++)
            {
                var raw = RawLightGbmRegression.Run(ml => DatasetReader.Open(ml, file).Rows, "delay", numeric, [], 42);
                var line = $"  {(round == 0 ? "warm-up" : $"round {round}")}: raw ML.NET {raw.Steps.Single(s => s.Step == "fit").Elapsed.TotalSeconds:0.000} s";
                if (round > 0) fits["raw ML.NET"].Add(raw.Steps.Single(s => s.Step == "fit").Elapsed.TotalSeconds);
                foreach (var (name, platform, datasetId) in platforms)
                {
                    var spec = new JobSpec { DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "delay", Trainer = "lightgbm", Seed = 42 };
                    foreach (var (parameter, value) in hyperparameters) spec.Hyperparameters[parameter] = value;
                    await platform.TrainAsync(spec);
                    var fit = TrainingOverhead.WorkerFit(platform.LastWorkerSteps()) ?? double.NaN;
                    line += $", {name} {fit:0.000} s";
                    if (round > 0) fits[name].Add(fit);
                }
                Console.WriteLine(line);
            }
            foreach (var (name, list) in fits)
                Console.WriteLine($"  {name}: fit min {list.Min():0.000} s, median {Statistics.Median(list):0.000} s, max {list.Max():0.000} s");
            var load = TrainingOverhead.LoadAverage();
            Console.WriteLine($"  load average {load}");

            // Per variant: the median fit against raw ML.NET's median, and the spread (max / min) against raw's spread.
            var rawFits = fits["raw ML.NET"];
            var mode = $"standalone, {rounds} rounds interleaved, load average at the end {load}";
            return [.. platforms.SelectMany(p =>
            {
                var list = fits[p.Name];
                var key = p.Name == "default" ? "default" : p.Name.Replace('=', '_').Replace(',', '.').ToLowerInvariant();
                return new[]
                {
                    new BenchmarkResult($"fit_steadiness.{key}.median_fit", Statistics.Median(list), "s", Statistics.Median(rawFits),
                        Statistics.Median(list) / Statistics.Median(rawFits), "<= 1.15", "flights-200k.csv", mode),
                    new BenchmarkResult($"fit_steadiness.{key}.spread", list.Max() / list.Min(), "max/min", rawFits.Max() / rawFits.Min(),
                        list.Max() / list.Min() / (rawFits.Max() / rawFits.Min()), "<= 1.5", "flights-200k.csv", mode),
                };
            })];
        }
        finally
        {
            foreach (var (_, platform, _) in platforms) await platform.DisposeAsync();
        }
    }
}
