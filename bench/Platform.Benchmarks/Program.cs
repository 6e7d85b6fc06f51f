using Platform.Benchmarks;
using Platform.Testing;

// make bench: each benchmark prints its figures against a baseline measured in this same run,
// and all of them land in docs/benchmarks.json (see docs/benchmarks.md).
// --filter <substring> runs only the benchmarks whose name contains it (`--filter registry`).
var root = ServiceProcess.RepositoryRoot();
var datasets = Environment.GetEnvironmentVariable("PLATFORM_DATASETS")
    ?? Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets"));
var at = Array.IndexOf(args, "--filter");
var filter = at >= 0 && at + 1 < args.Length ? args[at + 1].Replace("*", "", StringComparison.Ordinal) : "";

(string Name, Func<Task<IReadOnlyList<BenchmarkResult>>> Run)[] benchmarks =
[
    ("training-overhead", () => TrainingOverhead.RunAsync(datasets)),
    ("registry", RegistryBenchmarks.RunAsync),
];
var results = new List<BenchmarkResult>();
foreach (var (name, run) in benchmarks.Where(b => b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
    results.AddRange(await run());

BenchmarkReport.Print(results);
BenchmarkReport.Write(Path.Combine(root, "docs", "benchmarks.json"), results);
return 0;
