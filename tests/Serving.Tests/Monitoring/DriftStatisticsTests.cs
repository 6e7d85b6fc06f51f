using Platform.Datasets.V1;
using Platform.Serving.Monitoring;

namespace Platform.Serving.Tests.Monitoring;

/// <summary>The drift statistics on cases small enough to compute by hand (the hand computation is in each test).</summary>
public sealed class DriftStatisticsTests
{
    [Fact]
    public void Psi_of_a_known_case_equals_the_hand_computed_value()
    {
        // Expected shares 0.5, 0.3, 0.2; observed 40, 30, 30 of 100, i.e. 0.4, 0.3, 0.3:
        //   (0.4 − 0.5) · ln(0.4 / 0.5) = −0.1 · −0.2231436 = 0.0223144
        //   (0.3 − 0.3) · ln(1)         =                     0
        //   (0.3 − 0.2) · ln(0.3 / 0.2) =  0.1 ·  0.4054651 = 0.0405465
        //   PSI                                               = 0.0628609
        var psi = DriftStatistics.PopulationStabilityIndex([0.5, 0.3, 0.2], [40, 30, 30]);
        Assert.Equal(0.0628609, psi, 6);
    }

    [Fact]
    public void Psi_over_a_numeric_profile_buckets_served_values_by_its_quantiles()
    {
        // Quantiles p5..p95 = 10, 20, 30, 40, 50 give buckets (−∞,10], (10,20], (20,30], (30,40], (40,50], (50,∞) and
        // missing, expected 0.05, 0.20, 0.25, 0.25, 0.20, 0.05, 0. Served: 10, 20, 20, 20, 20, 10 values, none missing,
        // i.e. 0.10, 0.20, 0.20, 0.20, 0.20, 0.10, 0:
        //   2 · (0.10 − 0.05) · ln(0.10 / 0.05) = 2 · 0.05 · 0.6931472 = 0.0693147
        //   2 · (0.20 − 0.25) · ln(0.20 / 0.25) = 2 · 0.05 · 0.2231436 = 0.0223144
        //   missing: both empty, floored to the same share, adds 0;  PSI = 0.0916291
        var reference = new NumericReference(Summary(0, 10, 20, 30, 40, 50, 60), missingShare: 0);
        var values = Spread((5, 10), (15, 20), (25, 20), (35, 20), (45, 20), (55, 10));
        var measure = reference.Measure("x", values);
        Assert.Equal(0.0916291, measure.Psi, 6);
        Assert.Equal(100, measure.Rows);
    }

    [Fact]
    public void Ks_distance_to_the_profile_cdf_is_the_largest_gap()
    {
        // The profile of a uniform 0..100 column: its CDF is x / 100. Served 10, 20, 30, 40: the empirical CDF reaches
        // 0.25, 0.5, 0.75, 1 at them, against 0.1, 0.2, 0.3, 0.4; the largest gap is 1 − 0.4 = 0.6 (at 40).
        var reference = new NumericReference(Summary(0, 5, 25, 50, 75, 95, 100), missingShare: 0);
        var (d, p) = DriftStatistics.KolmogorovSmirnov([10, 20, 30, 40], reference.Cdf);
        Assert.Equal(0.6, d, 10);
        Assert.InRange(p, 0, 0.1);
    }

    [Fact]
    public void Values_drawn_like_the_training_data_are_stable_and_shifted_ones_are_not()
    {
        var reference = new NumericReference(Summary(0, 5, 25, 50, 75, 95, 100), missingShare: 0);
        var random = new Random(7);
        var same = Enumerable.Range(0, 2000).Select(_ => (double?)(random.NextDouble() * 100)).ToList();
        var shifted = same.Select(v => v + 30).ToList();

        var stable = reference.Measure("x", same);
        var drifted = reference.Measure("x", shifted);

        Assert.InRange(stable.Psi, 0, 0.02);
        Assert.True(stable.KsPValue > 0.01, $"p = {stable.KsPValue}");
        Assert.True(drifted.Psi > 0.25, $"PSI = {drifted.Psi}");
        Assert.True(drifted.KsPValue < 1e-6, $"p = {drifted.KsPValue}");
    }

    [Fact]
    public void Categorical_drift_counts_unseen_values_as_other_and_missing_apart()
    {
        // Frequent values A 50 %, B 30 %, C 20 % of the present values, 10 % missing: buckets A 0.45, B 0.27, C 0.18,
        // other 0, missing 0.10. Served exactly that: PSI 0 and chi-square 0.
        var reference = new CategoricalReference([Count("A", 0.5), Count("B", 0.3), Count("C", 0.2)], missingShare: 0.1);
        Assert.Equal([0.45, 0.27, 0.18, 0, 0.1], reference.ExpectedShares.Select(s => Math.Round(s, 10)));
        var same = Repeat(("A", 45), ("B", 27), ("C", 18), (null, 10));
        var stable = reference.Measure("island", same);
        Assert.Equal(0, stable.Psi, 10);
        Assert.Equal(0, stable.ChiSquare, 6);
        Assert.Equal(1, stable.ChiSquarePValue, 6);

        // Half the rows now carry a value never seen in training.
        var shifted = Repeat(("A", 25), ("B", 15), ("D", 50), (null, 10));
        var drifted = reference.Measure("island", shifted);
        Assert.True(drifted.Psi > 0.25, $"PSI = {drifted.Psi}");
        Assert.True(drifted.ChiSquarePValue < 1e-6);
    }

    [Theory]
    [InlineData(3.841459, 1, 0.05)]
    [InlineData(5.991465, 2, 0.05)]
    [InlineData(6.634897, 1, 0.01)]
    [InlineData(15.50731, 8, 0.05)]
    public void Chi_square_p_values_match_the_table(double statistic, int degrees, double p) =>
        Assert.Equal(p, DriftStatistics.ChiSquareSurvival(statistic, degrees), 5);

    [Fact]
    public void Kolmogorov_distribution_matches_its_table() =>
        // λ = 1.3581 is the 5 % critical value, 1.6276 the 1 % one.
        Assert.Equal([0.05, 0.01], [Math.Round(DriftStatistics.KolmogorovSurvival(1.3581), 4), Math.Round(DriftStatistics.KolmogorovSurvival(1.6276), 4)]);

    [Fact]
    public void Live_quality_of_classes_is_accuracy_and_macro_f1()
    {
        // (a,a) (a,b) (b,b) (b,b) as (predicted, actual): accuracy 3/4. Class a: TP 1, predicted 2, actual 1: F1 2/3.
        // Class b: TP 2, predicted 2, actual 3: F1 4/5. Macro-F1 (2/3 + 4/5) / 2 = 0.733333.
        var quality = LiveQuality.OfClasses([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]);
        Assert.Equal(4, quality.Outcomes);
        Assert.Equal(0.75, quality.Accuracy, 10);
        Assert.Equal(0.733333, quality.MacroF1, 6);
    }

    [Fact]
    public void Live_quality_of_values_is_rmse_and_r2()
    {
        // (1,2) (2,2) (3,5): squared errors 1, 0, 4: RMSE √(5/3) = 1.290994. Mean truth 3, SStot 1 + 1 + 4 = 6: R² 1/6.
        var quality = LiveQuality.OfValues([(1, 2), (2, 2), (3, 5)]);
        Assert.Equal(1.290994, quality.Rmse, 6);
        Assert.Equal(1 / 6.0, quality.R2, 10);
    }

    [Theory]
    [InlineData(0.05, 500, DriftLevel.Stable)]
    [InlineData(0.1, 500, DriftLevel.Moderate)]
    [InlineData(0.25, 500, DriftLevel.Significant)]
    [InlineData(3.0, 99, DriftLevel.Unknown)]
    public void Thresholds_follow_the_psi_conventions_by_default(double psi, long rows, DriftLevel level) =>
        Assert.Equal(level, new MonitoringOptions().LevelOf(psi, rows));

    internal static NumericSummary Summary(double min, double p5, double p25, double p50, double p75, double p95, double max) =>
        new() { Min = min, P5 = p5, P25 = p25, P50 = p50, P75 = p75, P95 = p95, Max = max };

    private static ValueCount Count(string value, double share) => new() { Value = value, Share = share };

    private static List<double?> Spread(params (double Value, int Count)[] groups) =>
        [.. groups.SelectMany(g => Enumerable.Repeat((double?)g.Value, g.Count))];

    private static List<string?> Repeat(params (string? Value, int Count)[] groups) =>
        [.. groups.SelectMany(g => Enumerable.Repeat(g.Value, g.Count))];
}
