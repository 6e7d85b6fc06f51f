using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Faults.Tests;

/// <summary>
/// A worker dies (SIGKILL) in the middle of a training: its lease expires, the scheduler runs the job again as a
/// new attempt on the other worker, and the job ends with exactly one registered model. Every service runs as
/// its own process on real PostgreSQL and RabbitMQ.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Faults")]
public sealed class WorkerLossTests(PlatformServers servers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_job_whose_worker_is_killed_mid_training_completes_on_another_worker_with_one_model()
    {
        var schedulerDb = await servers.CreateDatabaseAsync("faults_scheduler");
        var storeDb = await servers.CreateDatabaseAsync("faults_store");
        var rabbit = await servers.CreateVirtualHostAsync("faults");
        var blobs = Directory.CreateTempSubdirectory("platform-faults-blobs-").FullName;
        var common = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = rabbit,
        };
        var storeEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__ModelStore"] = storeDb, ["BlobStore__Root"] = blobs };
        var schedulerEnv = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Scheduler"] = schedulerDb,
            // Short leases and backoff, so the test does not wait half a minute for the lost worker.
            ["Scheduler__LeaseDuration"] = "00:00:05",
            ["Scheduler__RetryBackoff"] = "00:00:01",
        };
        await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
        await ServiceProcess.RunToCompletionAsync("Scheduler", "migrate", schedulerEnv);

        var processes = new List<ServiceProcess>();
        try
        {
            var store = await ServiceProcess.StartAsync("ModelStore", storeEnv);
            processes.Add(store);
            schedulerEnv["Services__ModelStore"] = store.GrpcAddress.ToString();
            var scheduler = await ServiceProcess.StartAsync("Scheduler", schedulerEnv);
            processes.Add(scheduler);
            var workers = new Dictionary<string, ServiceProcess>();
            foreach (var name in new[] { "worker-a", "worker-b" })
            {
                workers[name] = await ServiceProcess.StartAsync("Worker", new Dictionary<string, string>(common)
                {
                    ["Services__ModelStore"] = store.GrpcAddress.ToString(),
                    ["Worker__Name"] = name,
                    ["Worker__HeartbeatInterval"] = "00:00:01",
                });
                processes.Add(workers[name]);
            }

            using var storeChannel = GrpcChannel.ForAddress(store.GrpcAddress);
            using var schedulerChannel = GrpcChannel.ForAddress(scheduler.GrpcAddress);
            var jobs = new JobService.JobServiceClient(schedulerChannel);
            var dataset = await UploadAsync(new DatasetService.DatasetServiceClient(storeChannel), SyntheticRegressionCsv(rows: 20_000));
            var submitted = await jobs.SubmitJobAsync(new SubmitJobRequest
            {
                Spec = new JobSpec
                {
                    DatasetId = dataset.Id, Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", ModelName = "worker-loss",
                    Hyperparameters = { ["number_of_iterations"] = "400", ["number_of_leaves"] = "64", ["minimum_example_count_per_leaf"] = "1" },
                },
            });
            using var timeout = new CancellationTokenSource(Patience);

            // Kill the worker that is training it, once it is really training.
            var job = submitted;
            while (!(job.State == JobState.Running && job.Stage == "training"))
            {
                Assert.False(job.State is JobState.Succeeded or JobState.Failed, $"ended {job.State} before the fault: {job.FailureReason}");
                await Task.Delay(50, timeout.Token);
                job = await jobs.GetJobAsync(new GetJobRequest { JobId = submitted.Id }, cancellationToken: timeout.Token);
            }
            var victim = workers.Single(w => w.Value.Output.Contains(submitted.Id, StringComparison.Ordinal));
            victim.Value.Kill();
            var survivor = workers.Keys.Single(name => name != victim.Key);

            while (job.State is JobState.Queued or JobState.Running && !timeout.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None);
                job = await jobs.GetJobAsync(new GetJobRequest { JobId = submitted.Id });
            }

            var logs = $"attempt {job.Attempt}, stage {job.Stage}, pending {job.Pending}\n" +
                string.Join("\n", processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));
            Assert.True(job.State == JobState.Succeeded, $"ended {job.State}: {job.FailureReason}\n{logs}");
            Assert.Equal(2, job.Attempt);
            Assert.Equal(survivor, job.Result.Worker);
            // The history check: one terminal state, and exactly one registered version, the one the job reports.
            var versions = await new ModelService.ModelServiceClient(storeChannel).ListModelVersionsAsync(
                new ListModelVersionsRequest { ModelName = "worker-loss" }, cancellationToken: timeout.Token);
            var version = Assert.Single(versions.Versions);
            Assert.Equal((submitted.Id, job.Result.ModelVersion), (version.JobId, version.Version));
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes)) await process.DisposeAsync();
            Directory.Delete(blobs, recursive: true);
        }
    }

    private static async Task<Dataset> UploadAsync(DatasetService.DatasetServiceClient datasets, byte[] bytes)
    {
        using var call = datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest
        {
            Header = new UploadDatasetHeader { Name = "synthetic.csv", Format = DatasetFormat.Csv },
        });
        foreach (var chunk in bytes.Chunk(64 * 1024))
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(chunk) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    /// <summary>y = sum of eight features plus noise, deterministic.</summary>
    private static byte[] SyntheticRegressionCsv(int rows)
    {
        var random = new Random(7);
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', Enumerable.Range(0, 8).Select(i => $"x{i}").Append("y")));
        for (var row = 0; row < rows; row++)
        {
            var x = Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray();
            csv.AppendLine(string.Join(',', x.Append(x.Sum() + random.NextDouble() * 0.1).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }
}
