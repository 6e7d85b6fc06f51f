using Platform.Benchmarks;
using Platform.Testing;

// make bench: each benchmark prints its figures against a baseline measured in this same run,
// and all of them land in docs/benchmarks.json (see docs/benchmarks.md).
var root = ServiceProcess.RepositoryRoot();
var datasets = Environment.GetEnvironmentVariable("PLATFORM_DATASETS")
    ?? Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets"));

var results = new List<BenchmarkResult>();
results.AddRange(await TrainingOverhead.RunAsync(datasets));
results.AddRange(await RegistryBenchmarks.RunAsync());
results.AddRange(await DatasetProfileBenchmark.RunAsync(datasets));

BenchmarkReport.Print(results);
BenchmarkReport.Write(Path.Combine(root, "docs", "benchmarks.json"), results);
return 0;
