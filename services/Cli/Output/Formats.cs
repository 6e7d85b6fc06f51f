using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Platform.Jobs.V1;

namespace Platform.Cli.Output;

/// <summary>How values read on screen.</summary>
public static class Formats
{
    /// <summary>The task names the CLI accepts, and the API values they stand for.</summary>
    public static readonly IReadOnlyDictionary<string, TrainingTask> Tasks = new Dictionary<string, TrainingTask>
    {
        ["binary"] = TrainingTask.BinaryClassification,
        ["multiclass"] = TrainingTask.MulticlassClassification,
        ["regression"] = TrainingTask.Regression,
    };

    public static string Task(TrainingTask task) =>
        Tasks.FirstOrDefault(pair => pair.Value == task).Key ?? task.ToString();

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };

    /// <summary>A timestamp in local time, or empty when unset.</summary>
    public static string Time(Timestamp? at) =>
        at is null ? "" : at.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Metric(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    public static string Metrics(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join("\n", metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={Metric(m.Value)}"));

    public static string Percent(double fraction) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Clamp(fraction, 0, 1) * 100:0}%");

    public static bool IsTerminal(JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.TimedOut;
}
