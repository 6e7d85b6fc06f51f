using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// The platform's price over raw ML.NET: LightGBM regression of <c>delay</c> on flights-200k.csv, submit to
/// Succeeded through the standalone platform (gRPC, scheduler, bus, worker, model store), divided by the same
/// training and holdout evaluation written directly against ML.NET in this process, same data, trainer settings
/// and seed. Both sides are warmed up once, then measured <see cref="Repetitions"/> times, interleaved; medians are compared.
/// </summary>
public static class TrainingOverhead
{
    private const int Repetitions = 5;
    private const int Seed = 42;
    private const string Data = "flights-200k.csv";

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync(string datasetsFolder)
    {
        var csv = Path.Combine(datasetsFolder, Data);
        if (!File.Exists(csv))
        {
            Console.WriteLine($"skipped training overhead: {csv} not found (set PLATFORM_DATASETS)");
            return [];
        }

        // Interleaved (raw, platform, raw, platform, ...) so that drift in machine load hits both sides alike.
        var dataDirectory = Directory.CreateTempSubdirectory("platform-bench").FullName;
        double raw, platform, upload;
        try
        {
            await using var host = await ServiceProcess.StartAsync("Standalone", new Dictionary<string, string>
            {
                ["Platform__DataDirectory"] = dataDirectory,
            });
            using var channel = GrpcChannel.ForAddress(host.GrpcAddress);
            var jobs = new JobService.JobServiceClient(channel);

            var uploadClock = Stopwatch.StartNew();
            var dataset = await UploadAsync(new DatasetService.DatasetServiceClient(channel), csv);
            upload = uploadClock.Elapsed.TotalSeconds;

            Console.WriteLine($"LightGBM regression on {Data}: raw ML.NET vs platform (standalone, submit → Succeeded), 1 warm-up + {Repetitions} runs each");
            RawMlNet(csv);
            await TrainAsync(jobs, dataset.Id);
            var raws = new List<double>();
            var platforms = new List<double>();
            for (var i = 0; i < Repetitions; i++)
            {
                raws.Add(RawMlNet(csv));
                platforms.Add(await TrainAsync(jobs, dataset.Id));
            }
            (raw, platform) = (Median(raws), Median(platforms));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }

        return
        [
            new("training.lightgbm_regression.submit_to_succeeded", platform, "s", raw, platform / raw, "<= 1.15", Data, "standalone"),
            new("training.lightgbm_regression.raw_mlnet", raw, "s", null, null, "baseline", Data, "in-process"),
            new("datasets.upload", upload, "s", null, null, "", Data, "standalone"),
        ];
    }

    /// <summary>Load, split, train and evaluate with ML.NET alone: what a user would write without the platform.</summary>
    private static double RawMlNet(string csv)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(Seed);
        var data = ml.Data.LoadFromTextFile(csv,
        [
            new TextLoader.Column("delay", DataKind.Single, 0),
            new TextLoader.Column("distance", DataKind.Single, 1),
            new TextLoader.Column("time", DataKind.Single, 2),
        ], separatorChar: ',', hasHeader: true, allowQuoting: true);
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: Seed);
        var pipeline = ml.Transforms.Concatenate("Features", "distance", "time")
            .Append(ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = "delay",
                FeatureColumnName = "Features",
                NumberOfIterations = 100,
                LearningRate = 0.1,
                NumberOfLeaves = 31,
                MinimumExampleCountPerLeaf = 20,
                Booster = new GradientBooster.Options { L2Regularization = 0.01, L1Regularization = 0 },
                Seed = Seed,
                Deterministic = true,
                ForceColumnWise = true,
            }));
        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.Regression.Evaluate(model.Transform(split.TestSet), labelColumnName: "delay");
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  raw: {seconds:0.000} s (rmse {metrics.RootMeanSquaredError:0.###})");
        return seconds;
    }

    private static async Task<double> TrainAsync(JobService.JobServiceClient jobs, string datasetId)
    {
        var clock = Stopwatch.StartNew();
        var job = await jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = datasetId,
                Task = TrainingTask.Regression,
                LabelColumn = "delay",
                Trainer = "lightgbm",
                Seed = Seed,
                ModelName = "flights-bench",
            },
        });
        using var watch = jobs.WatchJob(new WatchJobRequest { JobId = job.Id });
        Job? last = null;
        await foreach (var update in watch.ResponseStream.ReadAllAsync()) last = update.Job;
        var seconds = clock.Elapsed.TotalSeconds;
        if (last?.State != JobState.Succeeded)
            throw new InvalidOperationException($"benchmark job ended {last?.State}: {last?.FailureReason}");
        Console.WriteLine($"  platform: {seconds:0.000} s (rmse {last.Result.Metrics["rmse"]:0.###}, worker {last.Result.TrainingSeconds:0.000} s)");
        return seconds;
    }

    private static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient datasets, string path)
    {
        using var call = datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest
        {
            Header = new UploadDatasetHeader { Name = Path.GetFileName(path), Format = DatasetFormat.Csv },
        });
        await using var file = File.OpenRead(path);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await file.ReadAsync(buffer)) > 0)
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
