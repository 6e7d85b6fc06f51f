using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Testing;

namespace Platform.Benchmarks;

/// <summary>
/// The standalone platform (gRPC, scheduler, bus, worker, model store in one host) in its own operating-system
/// process, driven as a user would: upload a data set, submit a job, watch it to Succeeded.
/// </summary>
public sealed class StandalonePlatform : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly ServiceProcess _host;
    private readonly GrpcChannel _channel;

    private StandalonePlatform(string dataDirectory, ServiceProcess host)
    {
        _dataDirectory = dataDirectory;
        _host = host;
        _channel = GrpcChannel.ForAddress(host.GrpcAddress);
        Jobs = new JobService.JobServiceClient(_channel);
        Datasets = new DatasetService.DatasetServiceClient(_channel);
        Models = new ModelService.ModelServiceClient(_channel);
    }

    /// <summary>The public gRPC address (the gateway's APIs and the serving service's), for clients of their own.</summary>
    public Uri Address => _host.GrpcAddress;

    public JobService.JobServiceClient Jobs { get; }

    public DatasetService.DatasetServiceClient Datasets { get; }

    public ModelService.ModelServiceClient Models { get; }

    /// <summary>The host's process id: its peak memory is the worker's (and the rest of the platform's).</summary>
    public int ProcessId => _host.ProcessId;

    /// <param name="environment">Settings of the host's process over the defaults (environment-variable names).</param>
    public static async Task<StandalonePlatform> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("platform-bench").FullName;
        try
        {
            var settings = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["Platform__DataDirectory"] = dataDirectory };
            var host = await ServiceProcess.StartAsync("Standalone", settings);
            return new StandalonePlatform(dataDirectory, host);
        }
        catch
        {
            Directory.Delete(dataDirectory, recursive: true);
            throw;
        }
    }

    /// <summary>Streams the file to the model store in 64 KiB chunks.</summary>
    public async Task<Dataset> UploadAsync(string path, DatasetFormat format)
    {
        using var call = Datasets.UploadDataset();
        try
        {
            await call.RequestStream.WriteAsync(new UploadDatasetRequest
            {
                Header = new UploadDatasetHeader { Name = Path.GetFileName(path), Format = format },
            });
            await using var file = File.OpenRead(path);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await file.ReadAsync(buffer)) > 0)
                await call.RequestStream.WriteAsync(new UploadDatasetRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The store ended the call early (a refused header, say): its own status, awaited below, says why.
        }
        return await call;
    }

    /// <summary>Submits the job and watches it to the end: seconds from submit to Succeeded, and the job as it ended.</summary>
    /// <exception cref="InvalidOperationException">The job did not succeed.</exception>
    public async Task<(double Seconds, Job Job)> TrainAsync(JobSpec spec)
    {
        var (seconds, job, _) = await TrainWithStagesAsync(spec);
        return (seconds, job);
    }

    /// <summary>
    /// As <see cref="TrainAsync"/>, with the time since submission at which the watch stream first showed each state or
    /// stage (<c>queued</c>, <c>downloading</c>, …, <c>uploading</c>, <c>succeeded</c>): where the job's seconds went, as a
    /// user watching it sees them.
    /// </summary>
    public async Task<(double Seconds, Job Job, IReadOnlyList<(string Stage, double At)> Stages)> TrainWithStagesAsync(JobSpec spec)
    {
        var stepLines = StepLines().Count();
        var clock = Stopwatch.StartNew();
        var job = await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec });
        using var watch = Jobs.WatchJob(new WatchJobRequest { JobId = job.Id });
        Job? last = null;
        var stages = new List<(string Stage, double At)>();
        await foreach (var update in watch.ResponseStream.ReadAllAsync())
        {
            last = update.Job;
            var stage = last.State == JobState.Running && last.Stage.Length > 0 ? last.Stage : last.State.ToString().ToLowerInvariant();
            if (stages.Count == 0 || stages[^1].Stage != stage) stages.Add((stage, clock.Elapsed.TotalSeconds));
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (last?.State != JobState.Succeeded)
            throw new InvalidOperationException($"benchmark job ended {last?.State}: {last?.FailureReason}");
        // The host's output is read asynchronously: wait (a little) until this job's step line has arrived.
        for (var waited = 0; StepLines().Count() == stepLines && waited < 100; waited++) await Task.Delay(50);
        return (seconds, last, stages);
    }

    /// <summary>The worker's log line of the last job's step timings (docs/training.md, "Where a job's time goes"), if it logged one.</summary>
    public string? LastWorkerSteps() => StepLines().LastOrDefault()?.Trim();

    private IEnumerable<string> StepLines() => _host.Output.Split('\n').Where(line => line.Contains(" steps: ", StringComparison.Ordinal));

    /// <summary>The stages as one line: each with the seconds until the next one (the last with its start time).</summary>
    public static string DescribeStages(IReadOnlyList<(string Stage, double At)> stages) =>
        string.Join(", ", stages.Select((s, i) => i + 1 < stages.Count ? $"{s.Stage} {stages[i + 1].At - s.At:0.000}" : $"{s.Stage} at {s.At:0.000}"));

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}

/// <summary>Peak resident memory of a Linux process (VmHWM), which can be reset so that one phase is measured alone.</summary>
public static class PeakMemory
{
    /// <summary>Resets the high-water mark (writes 5 to /proc/pid/clear_refs); false where the kernel does not allow it.</summary>
    public static bool Reset(int processId)
    {
        try
        {
            File.WriteAllText($"/proc/{processId}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>VmHWM in MiB, or NaN where /proc is not available.</summary>
    public static double PeakMiB(int processId)
    {
        var path = $"/proc/{processId}/status";
        if (!File.Exists(path)) return double.NaN;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public static int Self => Environment.ProcessId;
}

/// <summary>CPU time a process has used (user and system, every thread): with two cores busy, wall time alone hides what parallel work costs.</summary>
public static class ProcessCpu
{
    public static double Seconds(int processId)
    {
        using var process = Process.GetProcessById(processId);
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>
    /// Waits (at most a minute) until the processes together use under 50 ms of CPU in a second: work left over from
    /// the previous step (compilation at the optimising tier, a job's last writes, a log being flushed) done, so it does
    /// not land on the next step's figures. Returns how long that took.
    /// </summary>
    public static async Task<TimeSpan> SettleAsync(params int[] processIds)
    {
        var clock = Stopwatch.StartNew();
        var before = processIds.Sum(Seconds);
        while (clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = processIds.Sum(Seconds);
            var used = now - before;
            before = now;
            if (used < 0.05) break;
        }
        return clock.Elapsed;
    }
}

public static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
