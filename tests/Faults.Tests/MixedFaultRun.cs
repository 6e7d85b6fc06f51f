using System.Globalization;
using Grpc.Core;
using Platform.Jobs.V1;
using Xunit.Abstractions;

namespace Platform.Faults.Tests;

/// <summary>
/// A seeded random run: many small jobs, submitted, watched and downloaded through the gateway, on workers of which every
/// other moves its bytes over the store's byte stream, while faults of every kind strike at random moments (workers
/// SIGKILLed and SIGTERMed and replaced, the scheduler and the model store SIGKILLed and started again, the store
/// preferably in the middle of a registration, RabbitMQ and PostgreSQL restarted, messages delivered twice, submissions
/// sent twice, jobs cancelled, poison jobs), then the <see cref="HistoryCheck"/> and, through the gateway's byte stream,
/// every registered model's bytes against the SHA-256 its job reports. The seed is printed; set
/// <c>PLATFORM_FAULTS_SEED</c> to replay a run, <c>PLATFORM_FAULTS_JOBS</c> for its size (<c>make test</c>: 20,
/// <c>make test-faults</c>: 100).
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Faults")]
public sealed class MixedFaultRun(FaultServers servers, ITestOutputHelper output)
{
    private enum Fault { KillWorker, TerminateWorker, RestartRabbitMq, RestartPostgres, KillScheduler, KillModelStore }

    /// <summary>How long a model-store kill waits for a registration to be under way before it strikes anyway.</summary>
    private static readonly TimeSpan RegistrationWait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Many_jobs_under_mixed_faults_each_end_once_with_at_most_one_model()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_FAULTS_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var count = int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_FAULTS_JOBS"), CultureInfo.InvariantCulture, out var n) ? n : 20;
        // Printed at once (not only in the test output) so that a hung or crashed run can be replayed too.
        Console.WriteLine($"MixedFaultRun: PLATFORM_FAULTS_SEED={seed} PLATFORM_FAULTS_JOBS={count}");
        output.WriteLine($"PLATFORM_FAULTS_SEED={seed} PLATFORM_FAULTS_JOBS={count} (set both to replay this run)");
        var random = new Random(seed);

        await using var platform = await FaultPlatform.StartAsync(servers, "mixed", workers: 3,
            scheduler: new Dictionary<string, string> { ["Scheduler__MaxAttempts"] = "10" }, gateway: true, byteStream: true);
        await using var duplicator = await Duplicator.StartAsync(platform.RabbitMq, probability: 0.3, seed: seed);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8 + count / 4.0));
        var data = await platform.UploadAsync("quick.csv", FaultData.RegressionCsv(rows: 300));
        var poisonData = await platform.UploadAsync("poison.csv", FaultData.SingleClassCsv());
        using var readers = new CancellationTokenSource();
        var reading = ReadDatasetAsync(platform, data, readers.Token);

        // A fault every ten jobs or so: each kind at least once, the rest drawn at random.
        var kinds = Enum.GetValues<Fault>();
        var faults = kinds.Concat(Enumerable.Range(0, Math.Max(0, count / 10 - kinds.Length)).Select(_ => kinds[random.Next(kinds.Length)]))
            .OrderBy(_ => random.Next()).ToList();
        var faultAt = faults.Select((_, i) => (i + 1) * count / (faults.Count + 1)).ToList();
        var submitted = new List<string>();
        var poison = new HashSet<string>();
        var cancels = new List<Task>();
        var watches = new List<Task<JobUpdate>>();
        var nextWorker = platform.Workers.Count + 1;
        for (var i = 0; i < count; i++)
        {
            for (var f = faultAt.IndexOf(i); f >= 0 && f < faults.Count && faultAt[f] == i; f++)
                nextWorker = await InjectAsync(platform, faults[f], random, nextWorker);

            var isPoison = random.NextDouble() < 0.05;
            var spec = isPoison ? FaultData.PoisonJob(poisonData.Id, $"poison-{i}") : FaultData.QuickJob(data.Id, $"mixed-{i % 5}");
            var job = await platform.SubmitAsync(spec, $"mixed-{i}", timeout.Token);
            if (random.NextDouble() < 0.1) // the client retries its submission: the same job comes back
                Assert.Equal(job.Id, (await platform.SubmitAsync(spec, $"mixed-{i}", timeout.Token)).Id);
            submitted.Add(job.Id);
            // Every fourth job is also followed by a watch stream, through the gateway, across the faults.
            if (i % 4 == 0) watches.Add(platform.WatchToEndAsync(job.Id, timeout.Token));
            if (isPoison) poison.Add(job.Id);
            else if (random.NextDouble() < 0.1)
            {
                var delay = TimeSpan.FromMilliseconds(random.Next(0, 3000));
                cancels.Add(Task.Run(async () =>
                {
                    await Task.Delay(delay, timeout.Token);
                    try
                    {
                        await platform.CancelAsync(job.Id, timeout.Token);
                    }
                    // Too late: the job already ended, or is registering its model (cancel is refused from then on,
                    // docs/scheduling.md); it then ends as it would have without the cancel.
                    catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
                    {
                    }
                }));
            }
            await Task.Delay(random.Next(0, 400), timeout.Token);
        }
        await Task.WhenAll(cancels);

        var jobs = await platform.WaitForEndAsync(submitted, timeout.Token);
        // Each watch stream ended with its job's terminal state, as GetJob has it.
        var ended = jobs.ToDictionary(j => j.Id);
        foreach (var watched in await Task.WhenAll(watches))
            Assert.Equal(ended[watched.Job.Id].State, watched.Job.State);
        await readers.CancelAsync();
        var reads = await reading;
        var report = await platform.CheckHistoryAsync(submitted);
        // What a user downloads through the gateway is what the job reported it trained.
        var succeeded = jobs.Where(j => j.State == JobState.Succeeded).ToList();
        foreach (var job in succeeded)
        {
            var sha256 = await platform.DownloadModelAsync(job.Result.ModelName, job.Result.ModelVersion, timeout.Token);
            Assert.True(sha256 == job.Result.ModelSha256,
                $"job {job.Id} reports model SHA-256 {job.Result.ModelSha256}, the gateway's byte stream served {job.Result.ModelName} v{job.Result.ModelVersion} as {sha256}");
        }
        output.WriteLine($"{report}; {poison.Count} poison jobs; {watches.Count} jobs watched to their end; {succeeded.Count} models downloaded through the gateway and checked; faults: {string.Join(", ", faults)} " +
            $"({platform.SchedulerKills} scheduler kills, {platform.Kills.Count} worker or store kills); data set read {reads.Succeeded} times through " +
            $"the gateway's byte stream ({reads.Refused} refused or cut off during faults); delivered twice: " +
            string.Join(", ", duplicator.Doubled.Select(d => $"{d.Value} {d.Key}")));
        foreach (var job in jobs.Where(j => j.State is JobState.Failed or JobState.TimedOut && !poison.Contains(j.Id)))
            output.WriteLine($"job {job.Id} ended {job.State} at attempt {job.Attempt}: {job.FailureReason}");
        Assert.All(jobs.Where(j => poison.Contains(j.Id)), job => Assert.Equal(JobState.Failed, job.State));
        // Cancelled or (rarely) out of attempts under the faults; but most jobs must still have trained.
        Assert.True(succeeded.Count >= count / 2, $"only {succeeded.Count} of {count} jobs succeeded; seed {seed}\n{platform.Logs()}");
        Assert.True(reads.Succeeded > 0, "the data set was never read through the gateway's byte stream");
    }

    private async Task<int> InjectAsync(FaultPlatform platform, Fault fault, Random random, int nextWorker)
    {
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} fault: {fault}");
        switch (fault)
        {
            case Fault.KillWorker or Fault.TerminateWorker:
                var alive = platform.Workers.Where(w => !w.Value.HasExited).ToList();
                var victim = alive[random.Next(alive.Count)].Value;
                if (fault == Fault.KillWorker) platform.Kill(victim);
                else
                {
                    victim.Terminate();
                    await victim.WaitForExitAsync(CancellationToken.None);
                }
                await platform.StartWorkerAsync($"worker-{nextWorker}");
                return nextWorker + 1;
            case Fault.RestartRabbitMq:
                await servers.RestartRabbitMqAsync();
                return nextWorker;
            case Fault.RestartPostgres:
                await servers.RestartPostgresAsync();
                return nextWorker;
            case Fault.KillScheduler:
                await platform.KillSchedulerAsync();
                return nextWorker;
            default:
                var during = await platform.WaitForStagedUploadAsync(RegistrationWait);
                output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} killing the model store {(during ? "during a registration" : "(no registration seen)")}");
                await platform.KillStoreAsync();
                return nextWorker;
        }
    }

    /// <summary>
    /// Reads the data set through the gateway's byte stream over and over while the run goes on: a read may be refused or cut
    /// off while a server is down, but bytes that arrive must be the data set's.
    /// </summary>
    private static async Task<(int Succeeded, int Refused)> ReadDatasetAsync(FaultPlatform platform, Datasets.V1.Dataset data, CancellationToken stop)
    {
        var (succeeded, refused) = (0, 0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var sha256 = await platform.DownloadDatasetAsync(data.Id, stop);
                Assert.Equal(data.Sha256, sha256);
                succeeded++;
            }
            catch (Exception ex) when (ex is Transfers.ByteStreamException or HttpRequestException or IOException
                                       || (ex is OperationCanceledException && !stop.IsCancellationRequested))
            {
                refused++;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await Task.Delay(500, CancellationToken.None);
        }
        return (succeeded, refused);
    }
}
