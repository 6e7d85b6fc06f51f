using Platform.Jobs.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>A job's details and, once it has ended, its outcome.</summary>
public static class JobReport
{
    public static void Print(Terminal terminal, Job job)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(job);
        var spec = job.Spec ?? new JobSpec();
        IEnumerable<(string, object?)> rerun = job.RerunOf.Length > 0 ? [("Re-run of", job.RerunOf)] : [];
        IEnumerable<(string, object?)> datasetSha256 = job.DatasetSha256.Length > 0 ? [("Dataset SHA-256", job.DatasetSha256)] : [];
        terminal.Out.Write(Tables.Details(
        [
            ("Job", job.Id),
            .. rerun,
            ("State", job.State),
            ("Stage", job.Stage),
            ("Dataset", spec.DatasetId),
            .. datasetSha256,
            ("Task", Formats.Task(spec.Task)),
            ("Label", spec.LabelColumn),
            ("Trainer", spec.Trainer),
            ("Parameters", string.Join(", ", spec.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))),
            ("Seed", spec.Seed),
            ("Source", job.Source),
            ("Created", Formats.Time(job.CreatedAt)),
            ("Started", Formats.Time(job.StartedAt)),
            ("Finished", Formats.Time(job.FinishedAt)),
        ]));
        PrintOutcome(terminal, job);
    }

    /// <summary>
    /// For a succeeded job: the registered model version and a table of its metrics. For a job that ended
    /// otherwise: the reason, on standard error.
    /// </summary>
    public static void PrintOutcome(Terminal terminal, Job job)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(job);
        if (job.State == JobState.Succeeded && job.Result is { } result)
        {
            terminal.Out.Write(Tables.Details(
            [
                ("Model", $"{result.ModelName} version {result.ModelVersion}"),
                ("Model SHA-256", result.ModelSha256),
                ("Training time", $"{result.TrainingSeconds:0.00} s on {result.Worker}"),
            ]));
            var metrics = Tables.Create("Metric", "Value");
            foreach (var metric in result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                metrics.Row(metric.Key, Formats.Metric(metric.Value));
            terminal.Out.Write(metrics);
        }
        else if (job.State is JobState.Failed or JobState.Cancelled or JobState.TimedOut)
        {
            var reason = string.IsNullOrEmpty(job.FailureReason) ? "no reason given" : job.FailureReason;
            terminal.Error.WriteLine($"job {job.Id} {job.State.ToString().ToLowerInvariant()}: {reason}");
        }
    }
}
