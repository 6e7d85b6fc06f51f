namespace Platform.Scheduler.Sweeps;

/// <summary>A stored trial as the search algorithms see it.</summary>
/// <param name="Number">The trial number.</param>
/// <param name="Trainer">Its trainer.</param>
/// <param name="Parameters">The searched hyperparameters' values (not the budget), as stored.</param>
/// <param name="Budget">Successive halving: the budget it trains with; null otherwise.</param>
/// <param name="Ended">Whether it has ended (succeeded, failed, timed out or cancelled).</param>
/// <param name="Loss">Its objective as a loss (negated when maximising); null until it succeeded with a value.</param>
public sealed record TrialRecord(int Number, string Trainer, IReadOnlyDictionary<string, string> Parameters, int? Budget, bool Ended, double? Loss);

/// <summary>
/// Asynchronous successive halving (ASHA; Li et al., 2018) over rungs of a budget (<see cref="SweepBudget"/>). A trial is
/// one fit that reports its metrics once at the end (ML.NET's trainers report no intermediate evaluations), so the
/// rungs are separate trials: whenever a trial may start, the best configuration of the highest rung that has one to
/// give is promoted (trained again with the next rung's budget), where a rung gives the best ⌊completed ÷ η⌋ of its
/// ended trials not yet promoted; if no rung has one, a new configuration is drawn at random with the smallest budget.
/// Nothing waits for a rung to fill, so every worker stays busy. The decision reads only the stored trials (in number
/// order), so a restarted scheduler makes the same one.
/// </summary>
public static class SuccessiveHalving
{
    /// <summary>The suggestion for trial <paramref name="trialNumber"/> after the stored <paramref name="trials"/>.</summary>
    public static Suggestion Suggest(SweepDefinition definition, int trialNumber, IReadOnlyList<TrialRecord> trials)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(trials);
        var budget = definition.Budget ?? throw new InvalidOperationException("successive halving needs a budget");
        var rungs = budget.Rungs();
        var byRung = trials.Where(t => t.Budget is not null).ToLookup(t => RungOf(rungs, t.Budget!.Value));

        for (var rung = rungs.Count - 2; rung >= 0; rung--)
        {
            var ended = byRung[rung].Where(t => t.Ended).ToList();
            var promotable = ended.Count / budget.ReductionFactor;
            if (promotable == 0) continue;
            var promoted = byRung[rung + 1].Select(Configuration).ToHashSet(StringComparer.Ordinal);
            var candidate = ended.Where(t => t.Loss is not null)
                .OrderBy(t => t.Loss!.Value).ThenBy(t => t.Number)
                .Take(promotable)
                .FirstOrDefault(t => !promoted.Contains(Configuration(t)));
            if (candidate is not null) return new Suggestion(candidate.Trainer, candidate.Parameters, rungs[rung + 1]);
        }
        return SearchSpace.Draw(definition, trialNumber) with { Budget = rungs[0] };
    }

    /// <summary>The rung of <paramref name="value"/>: the highest whose budget it reaches.</summary>
    public static int RungOf(IReadOnlyList<int> rungs, int value)
    {
        ArgumentNullException.ThrowIfNull(rungs);
        var rung = 0;
        while (rung + 1 < rungs.Count && value >= rungs[rung + 1]) rung++;
        return rung;
    }

    private static string Configuration(TrialRecord trial) =>
        trial.Trainer + "\n" + string.Join("\n", trial.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
