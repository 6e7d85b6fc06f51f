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
        IEnumerable<(string, object?)> foldOf = job.ParentJobId.Length > 0 ? [("Fold", $"{job.Fold} of job {job.ParentJobId}")] : [];
        terminal.Out.Write(Tables.Details(
        [
            ("Job", job.Id),
            .. rerun,
            .. foldOf,
            ("State", job.State),
            ("Stage", job.Stage),
            ("Dataset", spec.DatasetId),
            .. datasetSha256,
            ("Task", Formats.Task(spec.Task)),
            ("Label", spec.LabelColumn),
            ("Trainer", spec.Trainer),
            ("Parameters", string.Join(", ", spec.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))),
            ("Seed", spec.Seed),
            ("Evaluation", Evaluation(spec)),
            ("Preparation", Preparation(spec.Preparation)),
            ("Source", job.Source),
            ("Created", Formats.Time(job.CreatedAt)),
            ("Started", Formats.Time(job.StartedAt)),
            ("Finished", Formats.Time(job.FinishedAt)),
        ]));
        if (job.Folds.Count > 0)
        {
            // The folds run as jobs of their own: where each is (platformctl jobs show <fold job> for one in full).
            var folds = Tables.Create("Fold", "Job", "State", "Worker", "Reason");
            foreach (var fold in job.Folds)
                folds.Row(fold.Fold.ToString(System.Globalization.CultureInfo.InvariantCulture), fold.JobId, fold.State.ToString(), fold.Worker, fold.FailureReason);
            terminal.Out.Write(folds);
        }
        PrintOutcome(terminal, job);
    }

    /// <summary>The evaluation the spec asks for, defaults spelled out.</summary>
    public static string Evaluation(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var evaluation = spec.Evaluation ?? new EvaluationSpec();
        var method = evaluation.Folds > 0
            ? $"{evaluation.Folds}-fold cross-validation"
            : $"holdout of {Formats.Percent(spec.HoldoutFraction > 0 ? spec.HoldoutFraction : 0.2)}";
        var stratified = evaluation.HasStratified ? (evaluation.Stratified ? ", stratified" : ", not stratified") : ", stratified where there are classes";
        var importance = evaluation.FeatureImportance
            ? $"; feature importance ({(evaluation.Permutations > 0 ? evaluation.Permutations : 5)} permutations)" : "";
        var parallel = evaluation.ParallelFolds ? "; folds in parallel, each a job of its own" : "";
        return method + stratified + importance + parallel;
    }

    /// <summary>The preparation the spec asks for, one choice a line, as the CLI's flags spell them; "defaults" when none.</summary>
    public static string Preparation(Preparation? preparation)
    {
        if (preparation is null || preparation.Equals(new Preparation())) return "defaults";
        var lines = new List<string>();
        void Add(string label, IEnumerable<string> values)
        {
            var list = values.ToArray();
            if (list.Length > 0) lines.Add($"{label} {string.Join(", ", list)}");
        }
        Add("include", preparation.IncludeColumns);
        Add("exclude", preparation.ExcludeColumns);
        Add("use sensitive", preparation.UseSensitiveColumns);
        if (preparation.MissingValues != MissingValuePolicy.Unspecified) lines.Add($"missing values {Choice(preparation.MissingValues)}");
        if (preparation.CategoricalEncoding != CategoricalEncoding.Unspecified) lines.Add($"categorical encoding {Choice(preparation.CategoricalEncoding)}");
        if (preparation.HashingThreshold > 0) lines.Add($"hashing threshold {preparation.HashingThreshold}");
        if (preparation.HashingBits > 0) lines.Add($"hashing bits {preparation.HashingBits}");
        if (preparation.Normalization != Normalization.Unspecified) lines.Add($"normalization {Choice(preparation.Normalization)}");
        foreach (var column in preparation.Columns)
        {
            IEnumerable<string> choices = [
                .. column.MissingValues == MissingValuePolicy.Unspecified ? [] : new[] { Choice(column.MissingValues) },
                .. column.Encoding == ColumnEncoding.Unspecified ? [] : new[] { Choice(column.Encoding) },
                .. column.DateParts.Select(Choice)];
            lines.Add($"column {column.Name}={string.Join(",", choices)}");
        }
        if (preparation.ClassWeighting != ClassWeighting.Unspecified)
        {
            var weights = preparation.ClassWeights.OrderBy(w => w.Key, StringComparer.Ordinal)
                .Select(w => $"{w.Key}={w.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}").ToArray();
            lines.Add($"class weighting {Choice(preparation.ClassWeighting)}{(weights.Length == 0 ? "" : $" ({string.Join(", ", weights)})")}");
        }
        return string.Join("\n", lines);
    }

    /// <summary>An enum choice by its wire name, as the flags take it.</summary>
    private static string Choice<T>(T value) where T : struct, Enum =>
        Commands.JobSpecOptions.WireNames<T>().First(pair => EqualityComparer<T>.Default.Equals(pair.Value, value)).Key;

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
