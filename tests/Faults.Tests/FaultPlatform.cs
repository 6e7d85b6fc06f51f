using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Transfers;

namespace Platform.Faults.Tests;

/// <summary>
/// The platform a fault test runs: the model store, one or more schedulers, named workers and, when asked, the gateway,
/// each its own <c>dotnet Platform.X.dll</c> process, on a fresh database pair, virtual host and blob folder of the
/// suite's dedicated servers. With the gateway, the test's own calls (<see cref="Jobs"/>, <see cref="Models"/>,
/// <see cref="Datasets"/>, <see cref="DownloadModelAsync"/>) go through it, as a user's would. A killed scheduler or
/// model store comes back on the same ports (<see cref="KillSchedulerAsync"/>, <see cref="KillStoreAsync"/>). Leases and
/// backoff are short so that faults resolve in seconds; logs are single-line with UTC timestamps so a test can read when
/// a worker did something.
/// </summary>
public sealed partial class FaultPlatform : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The scopes of the suite's API key at the gateway: what its calls need.</summary>
    private static readonly string[] GatewayScopes = ["datasets:read", "datasets:write", "jobs:submit", "jobs:read", "models:read", "models:write"];
    private readonly List<ServiceProcess> _processes = [];
    private readonly Dictionary<string, string> _common;
    private readonly Dictionary<string, string> _workerSettings;
    private readonly bool _byteStream;
    private readonly List<DateTimeOffset> _kills = [];
    private readonly List<DateTimeOffset> _storeKills = [];
    private GrpcChannel _storeChannel = null!;
    private GrpcChannel _schedulerChannel = null!;
    private HttpClient? _transfers;

    private FaultPlatform(string schedulerDatabase, string storeDatabase, string rabbitMq, string blobRoot,
        Dictionary<string, string> common, Dictionary<string, string> workerSettings, bool byteStream)
    {
        SchedulerDatabase = schedulerDatabase;
        StoreDatabase = storeDatabase;
        RabbitMq = rabbitMq;
        BlobRoot = blobRoot;
        _common = common;
        _workerSettings = workerSettings;
        _byteStream = byteStream;
    }

    public string SchedulerDatabase { get; }
    public string StoreDatabase { get; }
    /// <summary>The amqp:// URI of the platform's virtual host.</summary>
    public string RabbitMq { get; }
    public string BlobRoot { get; }
    public ServiceProcess Store { get; private set; } = null!;
    public List<ServiceProcess> Schedulers { get; } = [];
    /// <summary>The workers started so far by name, dead ones included.</summary>
    public Dictionary<string, ServiceProcess> Workers { get; } = [];
    /// <summary>The gateway, when the platform was started with one.</summary>
    public ServiceProcess? Gateway { get; private set; }
    /// <summary>When a worker or the model store was killed (SIGKILL): what may explain files left in the store's temp folder.</summary>
    public IReadOnlyList<DateTimeOffset> Kills => _kills;
    /// <summary>When the model store was killed (SIGKILL): what may explain an orphan blob (moved into place, rows never committed).</summary>
    public IReadOnlyList<DateTimeOffset> StoreKills => _storeKills;
    /// <summary>How many times a scheduler was killed and started again.</summary>
    public int SchedulerKills { get; private set; }
    public JobService.JobServiceClient Jobs { get; private set; } = null!;
    public ModelService.ModelServiceClient Models { get; private set; } = null!;
    public DatasetService.DatasetServiceClient Datasets { get; private set; } = null!;

    /// <summary>Creates the databases and virtual host, migrates, and starts the services.</summary>
    /// <param name="servers">The suite's servers.</param>
    /// <param name="name">Readable prefix of the databases and virtual host.</param>
    /// <param name="workers">Workers to start (named worker-1, worker-2, …).</param>
    /// <param name="schedulers">Scheduler replicas.</param>
    /// <param name="scheduler">Scheduler settings over the defaults (environment-variable names).</param>
    /// <param name="worker">Worker settings over the defaults.</param>
    /// <param name="gateway">Start the gateway (relaying the store's byte stream too) and send the test's calls through it.</param>
    /// <param name="byteStream">
    /// Every other worker (the first, third, …) moves data sets and artifacts over the store's byte stream, the others
    /// over gRPC, so that both paths run.
    /// </param>
    public static async Task<FaultPlatform> StartAsync(FaultServers servers, string name, int workers = 2, int schedulers = 1,
        IReadOnlyDictionary<string, string>? scheduler = null, IReadOnlyDictionary<string, string>? worker = null, bool gateway = false,
        bool byteStream = false)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var schedulerDb = await servers.Servers.CreateDatabaseAsync($"{name}_scheduler");
        var storeDb = await servers.Servers.CreateDatabaseAsync($"{name}_store");
        var rabbit = await servers.Servers.CreateVirtualHostAsync(name);
        var blobs = Directory.CreateTempSubdirectory("platform-faults-blobs-").FullName;
        var common = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = rabbit,
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ ",
        };
        var workerSettings = new Dictionary<string, string>
        {
            ["Worker__HeartbeatInterval"] = "00:00:01",
            ["Worker__ShutdownGrace"] = "00:00:01",
        };
        foreach (var (key, value) in worker ?? new Dictionary<string, string>()) workerSettings[key] = value;
        var platform = new FaultPlatform(schedulerDb, storeDb, rabbit, blobs, common, workerSettings, byteStream);
        try
        {
            var storeEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__ModelStore"] = storeDb, ["BlobStore__Root"] = blobs };
            var schedulerEnv = new Dictionary<string, string>(common)
            {
                ["ConnectionStrings__Scheduler"] = schedulerDb,
                // Short leases and backoff, so that a lost worker or a failed attempt costs seconds, not minutes.
                ["Scheduler__LeaseDuration"] = "00:00:10",
                ["Scheduler__RetryBackoff"] = "00:00:01",
                ["Scheduler__MaxRetryBackoff"] = "00:00:04",
                ["Scheduler__MaxAttempts"] = "6",
                // One tenant on the suite's own broker: its raw AMQP submissions carry no user_id (docs/messaging.md).
                ["Messaging__Submission__TrustedTenant"] = "default",
            };
            foreach (var (key, value) in scheduler ?? new Dictionary<string, string>()) schedulerEnv[key] = value;
            await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
            await ServiceProcess.RunToCompletionAsync("Scheduler", "migrate", schedulerEnv);

            platform.Store = await ServiceProcess.StartAsync("ModelStore", storeEnv);
            platform._processes.Add(platform.Store);
            schedulerEnv["Services__ModelStore"] = platform.Store.GrpcAddress.ToString();
            for (var i = 0; i < schedulers; i++)
            {
                var replica = await ServiceProcess.StartAsync("Scheduler", schedulerEnv);
                platform._processes.Add(replica);
                platform.Schedulers.Add(replica);
            }
            for (var i = 1; i <= workers; i++) await platform.StartWorkerAsync($"worker-{i}");
            if (gateway)
            {
                var gatewayEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__Gateway"] = await servers.Servers.CreateDatabaseAsync($"{name}_gateway") };
                await ServiceProcess.RunToCompletionAsync("Gateway", "migrate", gatewayEnv);
                // The suite's key, made as an operator makes the first one (docs/security.md): tenant default, the scopes it uses.
                var key = (await ServiceProcess.RunToCompletionAsync("Gateway",
                    "keys create --tenant default --name faults " + string.Join(' ', GatewayScopes.Select(scope => "--scope " + scope)), gatewayEnv)).Trim();
                platform.Gateway = await ServiceProcess.StartAsync("Gateway", new Dictionary<string, string>(gatewayEnv)
                {
                    ["Services__Scheduler"] = platform.Schedulers[0].GrpcAddress.ToString(),
                    ["Services__ModelStore"] = platform.Store.GrpcAddress.ToString(),
                    ["Services__ModelStoreTransfers"] = platform.Store.TransfersAddress.ToString(),
                    // The suite's one key carries every user's traffic (watch streams, byte-stream reads): not rate limited here.
                    ["RateLimits__RequestsPerSecond"] = "10000",
                    ["RateLimits__Burst"] = "10000",
                    ["RateLimits__ConcurrentStreams"] = "1000",
                });
                platform._processes.Add(platform.Gateway);
                platform._transfers = PublicCaller.HttpClient(platform.Gateway.TransfersAddress, key);
                platform._transfers.Timeout = CallTimeout;
                platform._storeChannel = PublicCaller.Channel(platform.Gateway.GrpcAddress, key);
                platform._schedulerChannel = PublicCaller.Channel(platform.Gateway.GrpcAddress, key);
            }
            else
            {
                // The suite calls the backends directly, as the gateway does: with the service credential.
                platform._storeChannel = InternalCaller.Channel(platform.Store.GrpcAddress);
                platform._schedulerChannel = InternalCaller.Channel(platform.Schedulers[0].GrpcAddress);
            }
            platform.Jobs = new JobService.JobServiceClient(platform._schedulerChannel);
            platform.Models = new ModelService.ModelServiceClient(platform._storeChannel);
            platform.Datasets = new DatasetService.DatasetServiceClient(platform._storeChannel);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a worker process with the platform's worker settings (and, every other one, the store's byte stream).</summary>
    public async Task<ServiceProcess> StartWorkerAsync(string name)
    {
        var env = new Dictionary<string, string>(_common) { ["Services__ModelStore"] = Store.GrpcAddress.ToString(), ["Worker__Name"] = name };
        if (_byteStream && Workers.Count % 2 == 0) env["Services__ModelStoreTransfers"] = Store.TransfersAddress.ToString();
        foreach (var (key, value) in _workerSettings) env[key] = value;
        var worker = await ServiceProcess.StartAsync("Worker", env);
        _processes.Add(worker);
        Workers[name] = worker;
        return worker;
    }

    /// <summary>Kills a worker (or the store) at once (SIGKILL), recording when (<see cref="Kills"/>).</summary>
    public void Kill(ServiceProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var now = DateTimeOffset.UtcNow;
        lock (_kills)
        {
            _kills.Add(now);
            if (process == Store) _storeKills.Add(now);
        }
        process.Kill();
    }

    /// <summary>Kills the model store (SIGKILL) and starts it again on the same ports, as a restarted pod would be.</summary>
    public async Task KillStoreAsync()
    {
        Kill(Store);
        await Store.WaitForExitAsync(CancellationToken.None);
        Store = await Store.StartAgainAsync();
        _processes.Add(Store);
    }

    /// <summary>Kills a scheduler replica (SIGKILL) and starts it again on the same ports.</summary>
    public async Task KillSchedulerAsync(int replica = 0)
    {
        var scheduler = Schedulers[replica];
        scheduler.Kill();
        await scheduler.WaitForExitAsync(CancellationToken.None);
        Schedulers[replica] = await scheduler.StartAgainAsync();
        _processes.Add(Schedulers[replica]);
        SchedulerKills++;
    }

    /// <summary>
    /// Waits until a worker has staged an artifact for a registration (a new <c>.staged</c> file in the store's temp folder,
    /// looked for every 5 ms): a registration is under way. False when none came within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForStagedUploadAsync(TimeSpan timeout)
    {
        var temp = Path.Combine(BlobRoot, "tmp");
        var before = Directory.Exists(temp) ? Directory.GetFiles(temp, "*.staged").ToHashSet() : [];
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (Directory.Exists(temp) && Directory.EnumerateFiles(temp, "*.staged").Any(f => !before.Contains(f))) return true;
            await Task.Delay(5);
        }
        return false;
    }

    /// <summary>
    /// Downloads a version's <c>model</c> artifact over the gateway's byte stream (the client checks the bytes against the
    /// SHA-256 the store sends) and returns the SHA-256 of the bytes received.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes do not match the SHA-256 or the length the store announced.</exception>
    public async Task<string> DownloadModelAsync(string model, int version, CancellationToken cancellationToken)
    {
        var client = new ByteStreamClient(_transfers ?? throw new InvalidOperationException("the platform runs without a gateway"), "default");
        var file = Path.Combine(Path.GetTempPath(), $"faults-download-{Guid.NewGuid():N}");
        try
        {
            return (await client.DownloadAsync(ByteStream.ArtifactPath($"{model}:{version}", "model"), file, cancellationToken)).Sha256;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Downloads a data set over the gateway's byte stream and returns the SHA-256 of the bytes received.</summary>
    /// <exception cref="InvalidDataException">The bytes do not match the SHA-256 or the length the store announced.</exception>
    public async Task<string> DownloadDatasetAsync(string datasetId, CancellationToken cancellationToken)
    {
        var client = new ByteStreamClient(_transfers ?? throw new InvalidOperationException("the platform runs without a gateway"), "default");
        var file = Path.Combine(Path.GetTempPath(), $"faults-download-{Guid.NewGuid():N}");
        try
        {
            return (await client.DownloadAsync(ByteStream.DatasetPath(datasetId), file, cancellationToken)).Sha256;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The worker whose log names the job (the one that ran an attempt of it last, if several did).</summary>
    public KeyValuePair<string, ServiceProcess> WorkerRunning(string jobId) =>
        Workers.Where(w => !w.Value.HasExited).Single(w => w.Value.Output.Contains($"Job {jobId} attempt", StringComparison.Ordinal));

    /// <summary>Uploads a CSV data set.</summary>
    public async Task<Dataset> UploadAsync(string name, byte[] csv)
    {
        using var call = Datasets.UploadDataset();
        await call.RequestStream.WriteAsync(new UploadDatasetRequest { Header = new UploadDatasetHeader { Name = name, Format = DatasetFormat.Csv } });
        foreach (var chunk in csv.Chunk(64 * 1024))
            await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(chunk) });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    /// <summary>Submits a job, retrying while a server is restarting (the request id makes the retry safe).</summary>
    public Task<Job> SubmitAsync(JobSpec spec, string requestId, CancellationToken cancellationToken) =>
        RetryAsync(() => Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId },
            deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);

    /// <summary>Reads a job, retrying while a server is restarting.</summary>
    public Task<Job> GetJobAsync(string jobId, CancellationToken cancellationToken) =>
        RetryAsync(() => Jobs.GetJobAsync(new GetJobRequest { JobId = jobId },
            deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);

    /// <summary>Cancels a job, retrying while a server is restarting.</summary>
    public Task<Job> CancelAsync(string jobId, CancellationToken cancellationToken) =>
        RetryAsync(() => Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId, Reason = "fault test" },
            deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);

    /// <summary>
    /// Follows the job with <c>WatchJob</c> to its end, watching again (from the job as it is then) whenever the stream
    /// breaks while a server restarts; returns the last update, which must be the job's terminal state.
    /// </summary>
    public async Task<JobUpdate> WatchToEndAsync(string jobId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
                JobUpdate? last = null;
                while (await call.ResponseStream.MoveNext(cancellationToken)) last = call.ResponseStream.Current;
                if (last is not null) return last;
            }
            catch (RpcException e) when (attempt < 200 && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled)
            {
                // The scheduler (or the gateway's connection to it) went away: watch again.
            }
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>Polls a job until <paramref name="condition"/> holds; fails with the logs if it ends first.</summary>
    public async Task<Job> WaitForAsync(string jobId, Func<Job, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var job = await GetJobAsync(jobId, cancellationToken);
            if (condition(job)) return job;
            if (job.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.TimedOut)
                throw new Xunit.Sdk.XunitException($"job {jobId} ended {job.State} ({job.FailureReason}) before the awaited condition\n{Logs()}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Polls every job until all are in a terminal state; returns them.</summary>
    public async Task<IReadOnlyList<Job>> WaitForEndAsync(IEnumerable<string> jobIds, CancellationToken cancellationToken)
    {
        var pending = jobIds.Distinct().ToList();
        var ended = new Dictionary<string, Job>();
        try
        {
            while (pending.Count > 0)
            {
                foreach (var id in pending.ToList())
                {
                    var job = await GetJobAsync(id, cancellationToken);
                    if (job.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.TimedOut)
                    {
                        ended[id] = job;
                        pending.Remove(id);
                    }
                }
                if (pending.Count > 0) await Task.Delay(250, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"{pending.Count} job(s) did not end in time, e.g. {pending[0]}\n{Logs()}");
        }
        return [.. ended.Values];
    }

    /// <summary>The history check (<see cref="HistoryCheck"/>) on this platform's stores.</summary>
    public async Task<HistoryCheck.Report> CheckHistoryAsync(IReadOnlyCollection<string> submitted)
    {
        try
        {
            return await HistoryCheck.AssertAsync(SchedulerDatabase, StoreDatabase, BlobRoot, submitted, new HistoryCheck.Kills(Kills, StoreKills));
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{Logs()}");
        }
    }

    /// <summary>
    /// When a worker logged a line containing <paramref name="text"/>, by the worker's own clock (the UTC timestamp
    /// that starts each log line); null if it did not.
    /// </summary>
    public static DateTimeOffset? LoggedAt(ServiceProcess process, string text)
    {
        ArgumentNullException.ThrowIfNull(process);
        var line = process.Output.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
        var match = line is null ? null : TimestampPattern().Match(line);
        return match is { Success: true }
            ? DateTimeOffset.ParseExact(match.Value, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;
    }

    /// <summary>Every process's output, for failure messages (the last lines of each).</summary>
    public string Logs() => string.Join("\n", _processes.Select(p =>
        $"--- {p.Name}{(Workers.FirstOrDefault(w => w.Value == p).Key is { } n ? $" {n}" : "")} ---\n{Tail(p.Output, 60)}"));

    public async ValueTask DisposeAsync()
    {
        _transfers?.Dispose();
        _storeChannel?.Dispose();
        _schedulerChannel?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        try
        {
            Directory.Delete(BlobRoot, recursive: true);
        }
        catch (IOException) { }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            // A server restarting: PostgreSQL or RabbitMQ behind the service, or the call timing out meanwhile.
            catch (RpcException e) when (attempt < 60 && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded or StatusCode.Unknown)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")]
    private static partial Regex TimestampPattern();
}
