using System.Globalization;
using Platform.Scheduler.Sweeps;

namespace Platform.Scheduler.Tests.Sweeps;

public sealed class SearchSpaceTests
{
    private static SweepDefinition Definition(SearchAlgorithm algorithm, int seed, int maxTrials = 1000) => new()
    {
        Trainers =
        [
            new SweepTrainer
            {
                Name = "lightgbm",
                Fixed = new Dictionary<string, string>(),
                Space =
                [
                    new SearchDimension { Name = "learning_rate", Kind = DimensionKind.NumberRange, Min = 0.001, Max = 0.5, Log = true, GridPoints = 3 },
                    new SearchDimension { Name = "number_of_leaves", Kind = DimensionKind.IntegerRange, Min = 4, Max = 128, Log = true, GridPoints = 4 },
                    new SearchDimension { Name = "use_categorical_split", Kind = DimensionKind.Choice, Values = ["true", "false"] },
                ],
            },
            new SweepTrainer
            {
                Name = "fast_tree",
                Fixed = new Dictionary<string, string> { ["number_of_trees"] = "20" },
                Space = [new SearchDimension { Name = "number_of_leaves", Kind = DimensionKind.IntegerRange, Min = 2, Max = 6 }],
            },
        ],
        Objective = new SweepObjective("accuracy", Maximize: true),
        Algorithm = algorithm,
        MaxTrials = maxTrials,
        MaxParallel = 4,
        MaxFailed = 0,
        Seed = seed,
    };

    private static List<Suggestion> Trials(SweepDefinition definition, int count) =>
        [.. Enumerable.Range(1, count).Select(n => SearchSpace.Suggest(definition, n))];

    private static string Describe(Suggestion s) =>
        s.Trainer + ":" + string.Join(",", s.Parameters.Select(p => $"{p.Key}={p.Value}"));

    [Fact]
    public void The_same_seed_and_space_give_the_same_suggestions_and_another_seed_others()
    {
        var first = Trials(Definition(SearchAlgorithm.Random, seed: 7), 50).Select(Describe).ToList();
        var again = Trials(Definition(SearchAlgorithm.Random, seed: 7), 50).Select(Describe).ToList();
        var other = Trials(Definition(SearchAlgorithm.Random, seed: 8), 50).Select(Describe).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // Trial n does not depend on the trials asked for before it (a restarted scheduler asks for n alone).
        Assert.Equal(first[36], Describe(SearchSpace.Suggest(Definition(SearchAlgorithm.Random, seed: 7), 37)));
        // Both trainers are drawn, and distinct trials differ.
        Assert.Equal(2, first.Select(d => d.Split(':')[0]).Distinct().Count());
        var lightgbm = first.Where(d => d.StartsWith("lightgbm:", StringComparison.Ordinal)).ToList();
        Assert.Equal(lightgbm.Count, lightgbm.Distinct().Count());
    }

    [Fact]
    public void Random_values_stay_in_their_ranges_and_a_log_scale_favours_no_magnitude()
    {
        var lightgbm = Trials(Definition(SearchAlgorithm.Random, seed: 3), 2000).Where(s => s.Trainer == "lightgbm").ToList();
        var rates = lightgbm.Select(s => double.Parse(s.Parameters["learning_rate"], CultureInfo.InvariantCulture)).ToList();
        var leaves = lightgbm.Select(s => int.Parse(s.Parameters["number_of_leaves"], CultureInfo.InvariantCulture)).ToList();

        Assert.All(rates, r => Assert.InRange(r, 0.001, 0.5));
        Assert.All(leaves, l => Assert.InRange(l, 4, 128));
        // On a log scale 0.001..0.5, values below 0.0224 (the geometric middle) are about half, not 4 % as on a linear one.
        var below = rates.Count(r => r < Math.Sqrt(0.001 * 0.5)) / (double)rates.Count;
        Assert.InRange(below, 0.4, 0.6);
        Assert.Contains(4, leaves);
        Assert.Contains(128, leaves);
    }

    [Fact]
    public void A_grid_suggests_every_combination_once_trainer_by_trainer()
    {
        var definition = Definition(SearchAlgorithm.Grid, seed: 0);
        // lightgbm: 3 learning rates x 4 leaf counts x 2 choices; fast_tree: the 5 integers 2..6.
        Assert.Equal(24 + 5, SearchSpace.GridSize(definition));
        Assert.Equal(29, SearchSpace.PlannedTrials(definition));

        var grid = Trials(definition, 29);
        Assert.Equal(29, grid.Select(Describe).Distinct().Count());
        Assert.All(grid.Take(24), s => Assert.Equal("lightgbm", s.Trainer));
        Assert.Equal(["2", "3", "4", "5", "6"], grid.Skip(24).Select(s => s.Parameters["number_of_leaves"]));
        Assert.Equal(["0.001", "0.022360679774997897", "0.5"],
            grid.Take(24).Select(s => s.Parameters["learning_rate"]).Distinct());
        Assert.Equal(["4", "13", "40", "128"], SearchSpace.GridValues(definition.Trainers[0].Space[1]));
    }
}
