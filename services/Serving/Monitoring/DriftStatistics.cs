namespace Platform.Serving.Monitoring;

/// <summary>
/// The statistics drift is measured with, pure functions of a reference distribution (the training data's profile) and
/// what was served. How each is computed and read: docs/monitoring.md, "How drift is computed".
/// </summary>
public static class DriftStatistics
{
    /// <summary>
    /// The share a bucket is given when it is empty on either side, so that PSI stays finite (ln 0 is −∞). 0.0001 is the
    /// usual choice (Evidently, NannyML); an empty bucket on one side with 5 % on the other then adds about 0.2.
    /// </summary>
    public const double EmptyBucketShare = 1e-4;

    /// <summary>
    /// Population stability index: Σ (actualᵢ − expectedᵢ) · ln(actualᵢ / expectedᵢ) over the buckets, with shares (each
    /// side sums to 1) and empty buckets floored at <see cref="EmptyBucketShare"/>. 0 when the two agree; by convention
    /// below 0.1 is stable, 0.1 to 0.25 a moderate shift, above 0.25 a significant one.
    /// </summary>
    /// <param name="expected">The reference shares per bucket.</param>
    /// <param name="actualCounts">What was observed per bucket, in the same order.</param>
    public static double PopulationStabilityIndex(IReadOnlyList<double> expected, IReadOnlyList<long> actualCounts)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actualCounts);
        if (expected.Count != actualCounts.Count) throw new ArgumentException("One expected share per bucket is needed.", nameof(expected));
        var total = actualCounts.Sum();
        if (total == 0) return double.NaN;
        var psi = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var e = Math.Max(expected[i], EmptyBucketShare);
            var a = Math.Max(actualCounts[i] / (double)total, EmptyBucketShare);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    /// <summary>
    /// Pearson's chi-square goodness of fit of observed counts to expected shares, and its p-value (degrees of freedom:
    /// buckets used − 1; a bucket empty on both sides is left out). Expected shares are floored at <see cref="EmptyBucketShare"/> so that a value the reference never
    /// saw gives a large statistic rather than an infinite one.
    /// </summary>
    public static (double Statistic, double PValue) ChiSquare(IReadOnlyList<double> expected, IReadOnlyList<long> actualCounts)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actualCounts);
        if (expected.Count != actualCounts.Count) throw new ArgumentException("One expected share per bucket is needed.", nameof(expected));
        var total = actualCounts.Sum();
        if (total == 0 || expected.Count < 2) return (double.NaN, double.NaN);
        // A bucket empty on both sides carries no information and no degree of freedom.
        var used = Enumerable.Range(0, expected.Count).Where(i => expected[i] > 0 || actualCounts[i] > 0).ToArray();
        if (used.Length < 2) return (0, 1);
        var floored = used.Select(i => Math.Max(expected[i], EmptyBucketShare)).ToArray();
        var sum = floored.Sum();
        var statistic = 0.0;
        for (var j = 0; j < used.Length; j++)
        {
            var e = total * floored[j] / sum;
            var o = actualCounts[used[j]];
            statistic += (o - e) * (o - e) / e;
        }
        return (statistic, ChiSquareSurvival(statistic, used.Length - 1));
    }

    /// <summary>
    /// One-sample Kolmogorov–Smirnov: the largest distance between the empirical CDF of <paramref name="values"/> and the
    /// reference CDF, and its asymptotic p-value (Kolmogorov's distribution with Stephens' small-sample correction).
    /// </summary>
    public static (double Statistic, double PValue) KolmogorovSmirnov(IReadOnlyList<double> values, Func<double, double> referenceCdf)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(referenceCdf);
        if (values.Count == 0) return (double.NaN, double.NaN);
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        var d = 0.0;
        for (var i = 0; i < n; i++)
        {
            // Ties: the empirical CDF jumps once, after the last of equal values.
            if (i + 1 < n && sorted[i + 1] == sorted[i]) continue;
            var first = i;
            while (first > 0 && sorted[first - 1] == sorted[i]) first--;
            var f = referenceCdf(sorted[i]);
            d = Math.Max(d, Math.Max(Math.Abs((i + 1.0) / n - f), Math.Abs((double)first / n - f)));
        }
        var root = Math.Sqrt(n);
        return (d, KolmogorovSurvival((root + 0.12 + 0.11 / root) * d));
    }

    /// <summary>P(K &gt; λ) for Kolmogorov's distribution: 2 Σₖ (−1)ᵏ⁻¹ e^(−2k²λ²).</summary>
    internal static double KolmogorovSurvival(double lambda)
    {
        if (lambda < 0.2) return 1;
        var sum = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += (k % 2 == 1 ? 1 : -1) * term;
            if (term < 1e-12) break;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    /// <summary>P(X² &gt; x) with <paramref name="degrees"/> degrees of freedom: the regularized upper incomplete gamma Q(k/2, x/2).</summary>
    internal static double ChiSquareSurvival(double x, int degrees)
    {
        if (degrees < 1 || double.IsNaN(x)) return double.NaN;
        if (x <= 0) return 1;
        return UpperRegularizedGamma(degrees / 2.0, x / 2.0);
    }

    // Q(a, x) by its series (x < a + 1) or Lentz's continued fraction (Numerical Recipes, "gammq").
    private static double UpperRegularizedGamma(double a, double x)
    {
        var logPrefix = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            double term = 1 / a, sum = term;
            for (var n = 1; n < 1000 && Math.Abs(term) > Math.Abs(sum) * 1e-15; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Clamp(1 - sum * Math.Exp(logPrefix), 0, 1);
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return Math.Clamp(Math.Exp(logPrefix) * h, 0, 1);
    }

    // Lanczos approximation (g = 7, n = 9), accurate to about 15 digits for a > 0.
    private static double LogGamma(double a)
    {
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (a < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * a))) - LogGamma(1 - a);
        a -= 1;
        var x = c[0];
        for (var i = 1; i < 9; i++) x += c[i] / (a + i);
        var t = a + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (a + 0.5) * Math.Log(t) - t + Math.Log(x);
    }
}
