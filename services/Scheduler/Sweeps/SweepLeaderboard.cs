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
/// A sweep's trials counted and ranked: best objective first (ties to the earlier trial), then the trials without
/// one by number. The only place that decides which trial is best.
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
        var ranked = trials.Where(t => t.Objective is not null)
            .OrderBy(t => objective.Maximize ? -t.Objective!.Value : t.Objective!.Value).ThenBy(t => t.Number)
            .Concat(trials.Where(t => t.Objective is null).OrderBy(t => t.Number))
            .ToList();
        return new SweepLeaderboard(ranked,
            trials.Count(t => t.Job.State == JobState.Succeeded),
            trials.Count(t => t.Job.State is JobState.Failed or JobState.TimedOut or JobState.Cancelled),
            trials.Count(t => !t.Job.State.IsTerminal()));
    }

    /// <summary>The trials with an objective, in trial order, as the Bayesian search learns from them (searched values only).</summary>
    public IReadOnlyList<TrialObservation> Observations(SweepDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var result = new List<TrialObservation>();
        foreach (var trial in Trials.Where(t => t.Objective is not null).OrderBy(t => t.Number))
        {
            var trainer = definition.Trainers.FirstOrDefault(t => t.Name == trial.Job.Spec.Trainer);
            if (trainer is null) continue;
            var searched = trainer.Space.Where(d => trial.Job.Spec.Hyperparameters.ContainsKey(d.Name))
                .ToDictionary(d => d.Name, d => trial.Job.Spec.Hyperparameters[d.Name], StringComparer.Ordinal);
            var value = trial.Objective!.Value;
            result.Add(new TrialObservation(trainer.Name, searched, definition.Objective.Maximize ? -value : value));
        }
        return result;
    }

    private static double? ObjectiveOf(TrainingJob job, string metric) =>
        job.State == JobState.Succeeded && job.Result?.Metrics.TryGetValue(metric, out var value) == true && double.IsFinite(value) ? value : null;
}
