using Platform.Benchmarks;
using Platform.Testing;

// make bench: each benchmark prints its figures against a baseline measured in this same run,
// and all of them land in docs/benchmarks.json (see docs/benchmarks.md).
var root = ServiceProcess.RepositoryRoot();
var datasets = Environment.GetEnvironmentVariable("PLATFORM_DATASETS")
    ?? Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets"));

// --filter <substring>: run only the benchmarks whose name contains it (e.g. --filter Dispatch).
var filter = (args.SkipWhile(a => a != "--filter").Skip(1).FirstOrDefault() ?? "").Trim('*');
bool Selected(string name) => name.Contains(filter, StringComparison.OrdinalIgnoreCase);

var results = new List<BenchmarkResult>();
if (Selected(nameof(TrainingOverhead))) results.AddRange(await TrainingOverhead.RunAsync(datasets));
if (Selected(nameof(RegistryBenchmarks))) results.AddRange(await RegistryBenchmarks.RunAsync());
if (Selected(nameof(DispatchBenchmarks))) results.AddRange(await DispatchBenchmarks.RunAsync());

BenchmarkReport.Print(results);
BenchmarkReport.Write(Path.Combine(root, "docs", "benchmarks.json"), results);
return 0;
