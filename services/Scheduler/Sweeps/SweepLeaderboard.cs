using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Sweeps;

/// <summary>One trial of a sweep as the leaderboard shows it.</summary>
/// <param name="Job">The trial's job.</param>
/// <param name="Objective">The objective metric of a succeeded trial; null otherwise (or when it is not a number).</param>
public sealed record TrialStanding(TrainingJob Job, double? Objective)
{
    public int Number => Job.TrialNumber ?? 0;
}

/// <summary>
/// A sweep's trials counted and ranked: best objective first (ties to the earlier trial; with successive halving,
/// the largest budget first), then the trials without one by number. The only place that decides which trial is best.
/// </summary>
public sealed class SweepLeaderboard
{
    private SweepLeaderboard(IReadOnlyList<TrialStanding> trials, int succeeded, int failed, int active)
    {
        Trials = trials;
        Succeeded = succeeded;
        Failed = failed;
        Active = active;
    }

    /// <summary>Ranked, best first.</summary>
    public IReadOnlyList<TrialStanding> Trials { get; }
    public int Succeeded { get; }
    /// <summary>Trials that ended Failed, TimedOut or Cancelled.</summary>
    public int Failed { get; }
    /// <summary>Trials queued or running.</summary>
    public int Active { get; }
    public TrialStanding? Best => Trials.Count > 0 && Trials[0].Objective is not null ? Trials[0] : null;

    /// <summary>Ranks the trials among <paramref name="jobs"/> (a sweep's jobs; the final job is left out).</summary>
    public static SweepLeaderboard Of(SweepDefinition definition, IEnumerable<TrainingJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var objective = definition.Objective;
        var trials = jobs.Where(j => j.EvaluateOnly).Select(j => new TrialStanding(j, ObjectiveOf(j, objective.Metric))).ToList();
        // Successive halving: a trial with more budget ranks above one with less (its value is what the full model gets).
        var ranked = trials.Where(t => t.Objective is not null)
            .OrderByDescending(t => BudgetOf(definition, t.Job) ?? 0)
            .ThenBy(t => objective.Maximize ? -t.Objective!.Value : t.Objective!.Value).ThenBy(t => t.Number)
            .Concat(trials.Where(t => t.Objective is null).OrderBy(t => t.Number))
            .ToList();
        return new SweepLeaderboard(ranked,
            trials.Count(t => t.Job.State == JobState.Succeeded),
            trials.Count(t => CountsAsFailed(t.Job.State)),
            trials.Count(t => IsActive(t.Job.State)));
    }

    /// <summary>Whether a trial in <paramref name="state"/> counts as failed (towards <c>max_failed</c>).</summary>
    public static bool CountsAsFailed(JobState state) => state is JobState.Failed or JobState.TimedOut or JobState.Cancelled;

    /// <summary>Whether a trial in <paramref name="state"/> is queued or running (one of the <c>max_parallel</c>).</summary>
    public static bool IsActive(JobState state) => !state.IsTerminal();

    /// <summary>Every trial in number order, as the search algorithms read them (searched values and budget only).</summary>
    public IReadOnlyList<TrialRecord> Records(SweepDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var result = new List<TrialRecord>();
        foreach (var trial in Trials.OrderBy(t => t.Number))
        {
            var trainer = definition.Trainers.FirstOrDefault(t => t.Name == trial.Job.Spec.Trainer);
            if (trainer is null) continue;
            var searched = trainer.Space.Where(d => trial.Job.Spec.Hyperparameters.ContainsKey(d.Name))
                .ToDictionary(d => d.Name, d => trial.Job.Spec.Hyperparameters[d.Name], StringComparer.Ordinal);
            var loss = trial.Objective is { } value ? definition.Objective.Maximize ? -value : value : (double?)null;
            result.Add(new TrialRecord(trial.Number, trainer.Name, searched, BudgetOf(definition, trial.Job), trial.Job.State.IsTerminal(), loss));
        }
        return result;
    }

    /// <summary>Successive halving: the budget <paramref name="job"/> trains with (its trainer's budget hyperparameter); null otherwise.</summary>
    public static int? BudgetOf(SweepDefinition definition, TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(job);
        if (definition.Budget is null) return null;
        var name = definition.Trainers.FirstOrDefault(t => t.Name == job.Spec.Trainer)?.BudgetHyperparameter;
        return name is not null && job.Spec.Hyperparameters.TryGetValue(name, out var text)
            && int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var budget)
            ? budget : null;
    }

    private static double? ObjectiveOf(TrainingJob job, string metric) =>
        job.State == JobState.Succeeded && job.Result?.Metrics.TryGetValue(metric, out var value) == true && double.IsFinite(value) ? value : null;
}
