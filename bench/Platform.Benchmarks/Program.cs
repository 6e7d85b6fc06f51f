using Platform.Benchmarks;
using Platform.Testing;

// make bench: each benchmark prints its figures against a baseline measured in this same run,
// and all of them land in docs/benchmarks.json (see docs/benchmarks.md).
// --filter <text> runs only the benchmarks whose name contains the text ('*' ignored, any case), e.g. --filter Flights;
// a text that is a benchmark's whole name runs that one alone (--filter Quality, not SweepQuality too).
var root = ServiceProcess.RepositoryRoot();
var datasets = Environment.GetEnvironmentVariable("PLATFORM_DATASETS")
    ?? Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets"));
var filterAt = Array.IndexOf(args, "--filter");
var filter = filterAt >= 0 && filterAt + 1 < args.Length ? args[filterAt + 1].Replace("*", "", StringComparison.Ordinal) : "";

(string Name, Func<Task<IReadOnlyList<BenchmarkResult>>> Run)[] benchmarks =
[
    (nameof(TrainingOverhead), () => TrainingOverhead.RunAsync(datasets)),
    (nameof(FlightsParquetBenchmark), () => FlightsParquetBenchmark.RunAsync(datasets)),
    (nameof(RegistryBenchmarks), RegistryBenchmarks.RunAsync),
    (nameof(DatasetProfileBenchmark), () => DatasetProfileBenchmark.RunAsync(datasets)),
    (nameof(DispatchBenchmarks), DispatchBenchmarks.RunAsync),
    (nameof(WatchBenchmark), WatchBenchmark.RunAsync),
    (nameof(TrainingCostBenchmark), () => TrainingCostBenchmark.RunAsync(datasets)),
    (nameof(FitSteadiness), () => FitSteadiness.RunAsync(datasets)),
    (nameof(SweepQuality), () => SweepQuality.RunAsync(datasets)),
    (nameof(SweepOrchestration), SweepOrchestration.RunAsync),
    (nameof(ServingBenchmarks), () => ServingBenchmarks.RunAsync(datasets)),
    (nameof(TextTraining), () => TextTraining.RunAsync(datasets)),
    ("Quality", () => QualityBenchmark.RunAsync(datasets)),
];

var results = new List<BenchmarkResult>();
var exact = benchmarks.Any(b => b.Name.Equals(filter, StringComparison.OrdinalIgnoreCase));
foreach (var benchmark in benchmarks.Where(b => exact ? b.Name.Equals(filter, StringComparison.OrdinalIgnoreCase) : b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
    results.AddRange(await benchmark.Run());

BenchmarkReport.Print(results);
BenchmarkReport.Write(Path.Combine(root, "docs", "benchmarks.json"), results);
return 0;
