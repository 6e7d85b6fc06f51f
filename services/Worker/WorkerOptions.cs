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
}
