using System.Globalization;
using Platform.Scheduler.Sweeps;

namespace Platform.Scheduler.Tests.Sweeps;

public sealed class SuccessiveHalvingTests
{
    private static SweepDefinition Definition(int seed, int maxTrials = 40) => new()
    {
        Trainers =
        [
            new SweepTrainer
            {
                Name = "lightgbm",
                Fixed = new Dictionary<string, string>(),
                Space = [new SearchDimension { Name = "learning_rate", Kind = DimensionKind.NumberRange, Min = 1e-3, Max = 1, Log = true }],
                BudgetHyperparameter = "number_of_iterations",
            },
        ],
        Objective = new SweepObjective("rmse", Maximize: false),
        Algorithm = SearchAlgorithm.SuccessiveHalving,
        MaxTrials = maxTrials,
        MaxParallel = 1,
        MaxFailed = 0,
        Seed = seed,
        Budget = new SweepBudget(10, 270, 3),
    };

    /// <summary>Lower with more budget, lowest at a learning rate of 0.05.</summary>
    private static double Loss(Suggestion s) =>
        Math.Abs(Math.Log(double.Parse(s.Parameters["learning_rate"], CultureInfo.InvariantCulture) / 0.05)) + (10.0 / s.Budget!.Value);

    /// <summary>One trial at a time, each ended before the next is suggested.</summary>
    private static List<TrialRecord> Run(SweepDefinition definition, int trials)
    {
        var records = new List<TrialRecord>();
        for (var n = 1; n <= trials; n++)
        {
            var suggestion = SearchSpace.Suggest(definition, n, records);
            records.Add(new TrialRecord(n, suggestion.Trainer, suggestion.Parameters, suggestion.Budget, Ended: true, Loss(suggestion)));
        }
        return records;
    }

    [Fact]
    public void Rungs_grow_by_the_reduction_factor_up_to_the_maximum()
    {
        Assert.Equal([10, 30, 90, 270], new SweepBudget(10, 270, 3).Rungs());
        Assert.Equal([10, 30, 90, 100], new SweepBudget(10, 100, 3).Rungs());
        Assert.Equal([1, 2], new SweepBudget(1, 2, 4).Rungs());
    }

    [Fact]
    public void The_best_of_each_rung_are_promoted_once_each_and_the_rest_stop_at_their_rung()
    {
        var records = Run(Definition(seed: 3), 40);
        var rungs = new SweepBudget(10, 270, 3).Rungs().ToList();

        // Three new configurations at the smallest budget, then the best of them goes on to 30.
        Assert.All(records.Take(3), r => Assert.Equal(10, r.Budget));
        Assert.Equal(30, records[3].Budget);
        Assert.Equal(records.Take(3).MinBy(r => r.Loss)!.Parameters, records[3].Parameters);

        string Configuration(TrialRecord r) => r.Parameters["learning_rate"];
        foreach (var promoted in records.Where(r => r.Budget > 10))
        {
            var rung = rungs.IndexOf(promoted.Budget!.Value);
            var before = records.Where(r => r.Number < promoted.Number && r.Budget == rungs[rung - 1]).ToList();
            // Ran at the rung below, among the best 1/3 of that rung's trials when it was promoted.
            var rank = before.OrderBy(r => r.Loss).ThenBy(r => r.Number).Select(Configuration).ToList().IndexOf(Configuration(promoted));
            Assert.InRange(rank, 0, (before.Count / 3) - 1);
        }
        // Never twice at one budget; the largest budget is reached; fewer trials the higher the rung.
        Assert.Equal(records.Count, records.Select(r => (Configuration(r), r.Budget)).Distinct().Count());
        var counts = rungs.Select(b => records.Count(r => r.Budget == b)).ToList();
        Assert.True(counts[3] >= 1, $"rung sizes {string.Join(", ", counts)}");
        Assert.Equal(counts.OrderDescending(), counts);
    }

    [Fact]
    public void Trials_still_running_are_not_promoted_and_the_same_rows_give_the_same_suggestion()
    {
        var definition = Definition(seed: 5);
        var records = Run(definition, 12);
        var running = records.Select(r => r with { Ended = false }).ToList();

        // Nothing ended: nothing to promote, so a new configuration at the smallest budget.
        Assert.Equal(10, SearchSpace.Suggest(definition, 13, running).Budget);
        Assert.Equal(SearchSpace.Suggest(definition, 13, records), SearchSpace.Suggest(definition, 13, records.ToList()), new SuggestionComparer());
    }

    private sealed class SuggestionComparer : IEqualityComparer<Suggestion>
    {
        public bool Equals(Suggestion? x, Suggestion? y) =>
            x!.Trainer == y!.Trainer && x.Budget == y.Budget && x.Parameters.OrderBy(p => p.Key).SequenceEqual(y.Parameters.OrderBy(p => p.Key));

        public int GetHashCode(Suggestion obj) => obj.Trainer.GetHashCode(StringComparison.Ordinal);
    }
}
