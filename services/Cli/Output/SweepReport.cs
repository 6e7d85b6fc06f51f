using Spectre.Console;
using Spectre.Console.Rendering;
using System.Globalization;
using Platform.Sweeps.V1;

namespace Platform.Cli.Output;

/// <summary>A sweep as <c>sweeps show</c> prints it: its details, then the leaderboard.</summary>
public static class SweepReport
{
    public static void Print(Terminal terminal, Sweep sweep)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(sweep);
        var spec = sweep.Spec;
        terminal.Out.Write(Tables.Details(
        [
            ("Id", sweep.Id),
            ("State", sweep.State),
            ("Failure", sweep.FailureReason),
            ("Algorithm", $"{spec.Algorithm} (seed {spec.Seed})"),
            ("Objective", Objective(spec.Objective)),
            ("Trials", $"{Progress(sweep)}; at most {spec.MaxParallel} at once"),
            ("Data set", spec.Base.DatasetId),
            ("Model", Model(sweep)),
            ("Created", Formats.Time(sweep.CreatedAt)),
        ]));
        terminal.Out.WriteLine();
        terminal.Out.Write(Leaderboard(sweep, int.MaxValue));
    }

    /// <summary>The leaderboard's first <paramref name="rows"/> trials, best first.</summary>
    public static Table Leaderboard(Sweep sweep, int rows)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var budgeted = sweep.Trials.Any(t => t.Budget > 0);
        var table = budgeted
            ? Tables.Create("Rank", "Trial", "Trainer", "Parameters", "Budget", sweep.Spec.Objective.Metric, "State", "Worker")
            : Tables.Create("Rank", "Trial", "Trainer", "Parameters", sweep.Spec.Objective.Metric, "State", "Worker");
        var rank = 0;
        foreach (var trial in sweep.Trials.Take(rows))
        {
            object?[] cells = [trial.HasObjective ? ++rank : null, trial.Number, trial.Trainer, Parameters(trial)];
            table.Row([.. cells, .. budgeted ? new object?[] { trial.Budget } : [], Value(trial), trial.State, trial.Worker]);
        }
        if (sweep.Trials.Count > rows) table.Caption($"{sweep.Trials.Count - rows} more trials");
        return table;
    }

    public static string Parameters(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return string.Join(", ", trial.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    /// <summary>
    /// <c>sweeps watch</c> on a terminal: a progress bar of the trials that have ended, the counts and the best so far,
    /// then the leaderboard's top.
    /// </summary>
    public static IRenderable Live(Sweep sweep, int rows = 15)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        const int Width = 30;
        var ended = sweep.TrialsSucceeded + sweep.TrialsFailed;
        var share = sweep.PlannedTrials == 0 ? 0 : Math.Clamp((double)ended / sweep.PlannedTrials, 0, 1);
        var filled = (int)Math.Round(share * Width);
        var best = sweep.BestTrial is { } b ? $"  best trial {b.Number}: {Value(b)}" : "";
        var header = new Markup($"[bold]{Markup.Escape(sweep.State.ToString())}[/] [green]{new string('━', filled)}[/][grey]{new string('─', Width - filled)}[/] "
            + $"{share * 100,3:0}%  {Markup.Escape(Progress(sweep))}{Markup.Escape(best)}");
        return new Rows(header, Leaderboard(sweep, rows));
    }

    /// <summary>
    /// <c>sweeps report</c>: writes <c>report.md</c>, <c>objective.png</c> and one <c>parameter-&lt;name&gt;.png</c> per searched
    /// hyperparameter into <paramref name="folder"/>; returns the files written.
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(Sweep sweep, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        async Task WriteAsync(string name, byte[] content)
        {
            var path = Path.Combine(folder, name);
            await File.WriteAllBytesAsync(path, content, cancellationToken);
            files.Add(path);
        }

        var spec = sweep.Spec;
        var md = new System.Text.StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Sweep {sweep.Id}").AppendLine();
        md.AppendLine("| | |").AppendLine("| --- | --- |");
        foreach (var (label, value) in new (string, string)[]
        {
            ("State", sweep.State + (string.IsNullOrEmpty(sweep.FailureReason) ? "" : $": {sweep.FailureReason}")),
            ("Algorithm", $"{spec.Algorithm} (seed {spec.Seed})"),
            ("Objective", Objective(spec.Objective)),
            ("Trials", Progress(sweep)),
            ("Best trial", sweep.BestTrial is { } best ? $"{best.Number}: {Value(best)} ({best.Trainer}; {Parameters(best)})" : "none yet"),
            ("Model", Model(sweep)),
            ("Data set", spec.Base.DatasetId),
        })
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {Cell(value)} |");
        md.AppendLine().AppendLine("## Objective per trial").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![{Cell(spec.Objective.Metric)} per trial, with the best so far](objective.png)").AppendLine();
        await WriteAsync("objective.png", SweepCharts.Objective(sweep));
        var dimensions = SweepCharts.Dimensions(sweep);
        if (dimensions.Count > 0) md.AppendLine("## Hyperparameters against the objective").AppendLine();
        foreach (var (name, choices, log) in dimensions)
        {
            var file = $"parameter-{string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'))}.png";
            await WriteAsync(file, SweepCharts.Parameter(sweep, name, choices, log));
            md.AppendLine(CultureInfo.InvariantCulture, $"![{Cell(spec.Objective.Metric)} against {Cell(name)}]({file})").AppendLine();
        }
        md.AppendLine("## Leaderboard").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| rank | trial | trainer | parameters | budget | {Cell(spec.Objective.Metric)} | state |");
        md.AppendLine("| ---: | ---: | --- | --- | ---: | ---: | --- |");
        var rank = 0;
        foreach (var trial in sweep.Trials)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {(trial.HasObjective ? (++rank).ToString(CultureInfo.InvariantCulture) : "")} | {trial.Number} | {Cell(trial.Trainer)} | {Cell(Parameters(trial))} | {(trial.Budget > 0 ? trial.Budget.ToString(CultureInfo.InvariantCulture) : "")} | {Value(trial)} | {trial.State} |");
        await WriteAsync("report.md", System.Text.Encoding.UTF8.GetBytes(md.ToString()));
        return files;
    }

    /// <summary>Text in a markdown table cell: no pipe or line break can break the table.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    public static string Progress(Sweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        return $"{sweep.TrialsSucceeded + sweep.TrialsFailed}/{sweep.PlannedTrials} ended ({sweep.TrialsFailed} failed, {sweep.TrialsActive} active)";
    }

    public static string Objective(Objective objective)
    {
        ArgumentNullException.ThrowIfNull(objective);
        return $"{(objective.Direction == Direction.Minimize ? "minimize" : "maximize")} {objective.Metric}";
    }

    public static string Value(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return trial.HasObjective ? trial.Objective.ToString("0.#####", CultureInfo.InvariantCulture) : "";
    }

    public static string Model(Sweep sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        return sweep.ModelVersion > 0 ? $"{sweep.ModelName} v{sweep.ModelVersion}" : "";
    }
}
