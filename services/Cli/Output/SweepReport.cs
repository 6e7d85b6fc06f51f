using Spectre.Console;
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
        var table = Tables.Create("Rank", "Trial", "Trainer", "Parameters", spec.Objective.Metric, "State", "Worker");
        var rank = 0;
        foreach (var trial in sweep.Trials)
            table.Row(trial.HasObjective ? ++rank : null, trial.Number, trial.Trainer,
                string.Join(", ", trial.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")),
                Value(trial), trial.State, trial.Worker);
        terminal.Out.Write(table);
    }

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
