namespace Platform.Worker;

/// <summary>Settings of a worker process (configuration section <c>Worker</c>).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Jobs trained at once by this process (<c>Worker:Concurrency</c>, default 1).</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>
    /// Folder for downloaded data sets and artifacts being written (<c>Worker:ScratchDirectory</c>,
    /// default the system temp folder). Each job gets a subfolder, deleted when the job ends.
    /// </summary>
    public string ScratchDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "platform-worker");

    /// <summary>How this worker names itself in job events (<c>Worker:Name</c>, default host name and process id).</summary>
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// How often the worker renews its attempts' leases and announces its capacity (<c>Worker:HeartbeatInterval</c>,
    /// default 2 s). Also how soon it learns that an attempt was cancelled. Well below <c>Scheduler:LeaseDuration</c>.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// On shutdown, how long running attempts may take to finish before they are handed back to the scheduler
    /// (<c>Worker:ShutdownGrace</c>, default 20 s). Keep it below the orchestrator's kill timeout.
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Whether this worker runs the <see cref="Platform.Training.Catalogue.BenchmarkTrainers"/>, trainers that do no ML
    /// work, for the platform's own sweep benchmarks (<c>Worker:BenchmarkTrainers</c>, default false); without it an
    /// attempt of one fails for good, naming the trainer. Never in production: the chart has no value for it.
    /// </summary>
    public bool BenchmarkTrainers { get; set; }

    /// <summary>How long to wait for the scheduler's answer before registering a model (<c>Worker:CommitTimeout</c>, default 30 s).</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
