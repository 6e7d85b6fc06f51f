using System.Globalization;
using Platform.Scheduler.Sweeps;

namespace Platform.Scheduler.Tests.Sweeps;

public sealed class TreeParzenEstimatorTests
{
    private static SweepDefinition Definition(SearchAlgorithm algorithm, int seed, int maxTrials = 40) => new()
    {
        Trainers =
        [
            new SweepTrainer
            {
                Name = "lightgbm",
                Fixed = new Dictionary<string, string>(),
                Space =
                [
                    new SearchDimension { Name = "learning_rate", Kind = DimensionKind.NumberRange, Min = 1e-4, Max = 1, Log = true },
                    new SearchDimension { Name = "number_of_leaves", Kind = DimensionKind.IntegerRange, Min = 2, Max = 128 },
                    new SearchDimension { Name = "use_categorical_split", Kind = DimensionKind.Choice, Values = ["true", "false"] },
                ],
            },
            new SweepTrainer
            {
                Name = "fast_tree",
                Fixed = new Dictionary<string, string>(),
                Space = [new SearchDimension { Name = "number_of_leaves", Kind = DimensionKind.IntegerRange, Min = 2, Max = 128 }],
            },
        ],
        Objective = new SweepObjective("rmse", Maximize: false),
        Algorithm = algorithm,
        MaxTrials = maxTrials,
        MaxParallel = 1,
        MaxFailed = 0,
        Seed = seed,
    };

    /// <summary>
    /// A synthetic loss with its optimum at lightgbm, learning rate 0.01, 40 leaves, categorical splits on: smooth on the
    /// log of the rate, so a searcher that learns where the good trials are gets closer than independent draws.
    /// </summary>
    private static double Loss(Suggestion s)
    {
        var leaves = double.Parse(s.Parameters["number_of_leaves"], CultureInfo.InvariantCulture);
        var loss = Math.Pow((leaves - 40) / 40, 2);
        if (s.Trainer != "lightgbm") return loss + 1;
        var rate = double.Parse(s.Parameters["learning_rate"], CultureInfo.InvariantCulture);
        return loss + Math.Pow(Math.Log10(rate) + 2, 2) + (s.Parameters["use_categorical_split"] == "true" ? 0 : 0.5);
    }

    /// <summary>A sweep run one trial at a time: each suggestion sees every earlier trial's result.</summary>
    private static List<(Suggestion Suggestion, double Loss)> Run(SweepDefinition definition, int trials)
    {
        var history = new List<(Suggestion, double)>();
        var records = new List<TrialRecord>();
        for (var n = 1; n <= trials; n++)
        {
            var suggestion = SearchSpace.Suggest(definition, n, records);
            var loss = Loss(suggestion);
            history.Add((suggestion, loss));
            records.Add(new TrialRecord(n, suggestion.Trainer, suggestion.Parameters, null, Ended: true, loss));
        }
        return history;
    }

    private static string Describe(Suggestion s) => s.Trainer + ":" + string.Join(",", s.Parameters.Select(p => $"{p.Key}={p.Value}"));

    [Fact]
    public void The_same_seed_space_and_results_give_the_same_suggestions()
    {
        var first = Run(Definition(SearchAlgorithm.Bayesian, seed: 5), 30).Select(t => Describe(t.Suggestion)).ToList();
        var again = Run(Definition(SearchAlgorithm.Bayesian, seed: 5), 30).Select(t => Describe(t.Suggestion)).ToList();
        var other = Run(Definition(SearchAlgorithm.Bayesian, seed: 6), 30).Select(t => Describe(t.Suggestion)).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);

        // Trial n asked for alone, from the stored results of trials 1 to n-1 (a restarted scheduler), is the same.
        var definition = Definition(SearchAlgorithm.Bayesian, seed: 5);
        var history = Run(definition, 30);
        var earlier = history.Take(24).Select((t, i) => new TrialRecord(i + 1, t.Suggestion.Trainer, t.Suggestion.Parameters, null, true, t.Loss)).ToList();
        Assert.Equal(first[24], Describe(SearchSpace.Suggest(definition, 25, earlier)));
    }

    [Fact]
    public void The_start_up_trials_are_the_random_ones_and_later_ones_stay_in_range()
    {
        var definition = Definition(SearchAlgorithm.Bayesian, seed: 9);
        var startup = TreeParzenEstimator.StartupTrials(definition.MaxTrials);
        var bayesian = Run(definition, 40);
        var random = Run(Definition(SearchAlgorithm.Random, seed: 9), startup);

        Assert.Equal(random.Select(t => Describe(t.Suggestion)), bayesian.Take(startup).Select(t => Describe(t.Suggestion)));
        foreach (var (suggestion, _) in bayesian)
        {
            Assert.InRange(int.Parse(suggestion.Parameters["number_of_leaves"], CultureInfo.InvariantCulture), 2, 128);
            if (suggestion.Trainer == "lightgbm")
            {
                Assert.InRange(double.Parse(suggestion.Parameters["learning_rate"], CultureInfo.InvariantCulture), 1e-4, 1);
                Assert.Contains(suggestion.Parameters["use_categorical_split"], new[] { "true", "false" });
            }
        }
    }

    [Fact]
    public void On_a_smooth_objective_bayesian_search_beats_random_on_average_over_seeds()
    {
        const int Seeds = 10;
        const int Trials = 40;
        double BestAfter(SearchAlgorithm algorithm, int seed) => Run(Definition(algorithm, seed, Trials), Trials).Min(t => t.Loss);

        var bayesian = Enumerable.Range(1, Seeds).Select(seed => BestAfter(SearchAlgorithm.Bayesian, seed)).ToList();
        var random = Enumerable.Range(1, Seeds).Select(seed => BestAfter(SearchAlgorithm.Random, seed)).ToList();

        Assert.True(bayesian.Average() < random.Average(),
            $"mean best loss: bayesian {bayesian.Average():F4}, random {random.Average():F4}");
        // Not a lucky seed or two: better on most seeds.
        Assert.True(Enumerable.Range(0, Seeds).Count(i => bayesian[i] < random[i]) >= Seeds * 6 / 10,
            $"bayesian {string.Join(", ", bayesian.Select(b => b.ToString("F4", CultureInfo.InvariantCulture)))}; random {string.Join(", ", random.Select(b => b.ToString("F4", CultureInfo.InvariantCulture)))}");
    }
}
