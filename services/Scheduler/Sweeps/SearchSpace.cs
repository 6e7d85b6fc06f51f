using System.Globalization;
using Platform.Training.Evaluation;

namespace Platform.Scheduler.Sweeps;

/// <summary>One suggested trial: a trainer, the values of its searched hyperparameters and (successive halving) its budget.</summary>
public sealed record Suggestion(string Trainer, IReadOnlyDictionary<string, string> Parameters, int? Budget = null);

/// <summary>
/// The suggestions of every <see cref="SearchAlgorithm"/>. Random and grid are pure functions of the definition and the
/// trial number; Bayesian also of the results stored so far (<see cref="TreeParzenEstimator"/>). The sweep stores each
/// trial before it is dispatched, and after a restart the next number gives the same suggestion it would have given
/// before from the same rows, so nothing is lost or repeated.
/// Random draws its values from a <see cref="SeededRandom"/> seeded by the sweep's seed and the trial number, so the
/// same seed and space give the same trials on any machine and in any order of completion.
/// </summary>
public static class SearchSpace
{
    /// <summary>Largest grid accepted (also bounded by the sweep's <c>max_trials</c>).</summary>
    public const int MaxGridPoints = 100;

    /// <summary>Trials the sweep runs in all: <see cref="SweepDefinition.MaxTrials"/>, or the grid's size.</summary>
    public static int PlannedTrials(SweepDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Algorithm == SearchAlgorithm.Grid
            ? (int)Math.Min(GridSize(definition), definition.MaxTrials)
            : definition.MaxTrials;
    }

    /// <summary>Combinations of the grid, summed over the trainers (saturating, so a huge grid cannot overflow).</summary>
    public static long GridSize(SweepDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        long total = 0;
        foreach (var trainer in definition.Trainers)
        {
            long product = 1;
            foreach (var dimension in trainer.Space) product = Math.Min(product * GridValues(dimension).Count, int.MaxValue);
            total = Math.Min(total + product, int.MaxValue);
        }
        return total;
    }

    /// <summary>Whether the suggestions depend on the trials stored so far (Bayesian, successive halving), not only on their number.</summary>
    public static bool LearnsFromTrials(SweepDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Algorithm is SearchAlgorithm.Bayesian or SearchAlgorithm.SuccessiveHalving;
    }

    /// <summary>
    /// The suggestion for trial <paramref name="trialNumber"/> (from 1) after the stored <paramref name="trials"/> (in
    /// number order). Grid and random ignore them; Bayesian search draws at random until
    /// <see cref="TreeParzenEstimator.StartupTrials"/> trials have a result, then learns from those; successive
    /// halving promotes or draws (<see cref="SuccessiveHalving"/>).
    /// </summary>
    public static Suggestion Suggest(SweepDefinition definition, int trialNumber, IReadOnlyList<TrialRecord>? trials = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trialNumber);
        trials ??= [];
        switch (definition.Algorithm)
        {
            case SearchAlgorithm.Grid:
                return GridPoint(definition, trialNumber - 1);
            case SearchAlgorithm.SuccessiveHalving:
                return SuccessiveHalving.Suggest(definition, trialNumber, trials);
            case SearchAlgorithm.Bayesian:
                var observations = trials.Where(t => t.Loss is not null).Select(t => new TrialObservation(t.Trainer, t.Parameters, t.Loss!.Value)).ToList();
                if (observations.Count >= TreeParzenEstimator.StartupTrials(definition.MaxTrials))
                    return TreeParzenEstimator.Suggest(definition, observations, TrialRandom(definition, trialNumber));
                return Draw(definition, trialNumber);
            default:
                return Draw(definition, trialNumber);
        }
    }

    /// <summary>
    /// One generator per trial, not one per sweep: trial n's draws do not depend on which trials were asked for
    /// before it, so a restarted scheduler asking for trial n alone gets the same values.
    /// </summary>
    private static SeededRandom TrialRandom(SweepDefinition definition, int trialNumber) =>
        new(unchecked((definition.Seed * 1_000_003) + trialNumber));

    /// <summary>Trial <paramref name="trialNumber"/>'s random draw: a trainer uniformly, then each dimension on its scale.</summary>
    public static Suggestion Draw(SweepDefinition definition, int trialNumber)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var random = TrialRandom(definition, trialNumber);
        var trainer = definition.Trainers[random.NextBelow(definition.Trainers.Count)];
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var dimension in trainer.Space) parameters[dimension.Name] = Draw(dimension, random);
        return new Suggestion(trainer.Name, parameters);
    }

    /// <summary>A value of <paramref name="dimension"/> drawn uniformly on its scale.</summary>
    public static string Draw(SearchDimension dimension, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        ArgumentNullException.ThrowIfNull(random);
        switch (dimension.Kind)
        {
            case DimensionKind.Choice:
                return dimension.Values[random.NextBelow(dimension.Values.Count)];
            case DimensionKind.IntegerRange when !dimension.Log:
                return ((long)dimension.Min + random.NextBelow((int)(dimension.Max - dimension.Min) + 1)).ToString(CultureInfo.InvariantCulture);
            case DimensionKind.IntegerRange:
                // Uniform in log space over [min - 0.5, max + 0.5), rounded: each integer gets its share of the log scale.
                var low = Math.Log(dimension.Min - 0.5 <= 0 ? dimension.Min : dimension.Min - 0.5);
                var high = Math.Log(dimension.Max + 0.5);
                var drawn = Math.Round(Math.Exp(low + (random.NextDouble() * (high - low))), MidpointRounding.AwayFromZero);
                return Math.Clamp((long)drawn, (long)dimension.Min, (long)dimension.Max).ToString(CultureInfo.InvariantCulture);
            default:
                var value = dimension.Log
                    ? Math.Exp(Math.Log(dimension.Min) + (random.NextDouble() * (Math.Log(dimension.Max) - Math.Log(dimension.Min))))
                    : dimension.Min + (random.NextDouble() * (dimension.Max - dimension.Min));
                return Math.Clamp(value, dimension.Min, dimension.Max).ToString("R", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// A range's bounds on the scale the search works on: the logarithm on a log scale, and for integers widened by
    /// half a unit so that rounding gives each integer its share (as <see cref="Draw(SearchDimension, SeededRandom)"/> does).
    /// </summary>
    public static (double Low, double High) InternalBounds(SearchDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        var (low, high) = dimension.Kind == DimensionKind.IntegerRange
            ? (dimension.Log && dimension.Min - 0.5 <= 0 ? dimension.Min : dimension.Min - 0.5, dimension.Max + 0.5)
            : (dimension.Min, dimension.Max);
        return dimension.Log ? (Math.Log(low), Math.Log(high)) : (low, high);
    }

    /// <summary>The hyperparameter's value, as text, at <paramref name="x"/> on the scale of <see cref="InternalBounds"/>.</summary>
    public static string FromInternal(SearchDimension dimension, double x)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        var value = dimension.Log ? Math.Exp(x) : x;
        return dimension.Kind == DimensionKind.IntegerRange
            ? Math.Clamp((long)Math.Round(value, MidpointRounding.AwayFromZero), (long)dimension.Min, (long)dimension.Max).ToString(CultureInfo.InvariantCulture)
            : Math.Clamp(value, dimension.Min, dimension.Max).ToString("R", CultureInfo.InvariantCulture);
    }

    private static Suggestion GridPoint(SweepDefinition definition, int index)
    {
        foreach (var trainer in definition.Trainers)
        {
            var axes = trainer.Space.Select(GridValues).ToList();
            var size = axes.Aggregate(1L, (product, axis) => product * axis.Count);
            if (index >= size)
            {
                index -= (int)size;
                continue;
            }
            // The last dimension varies fastest, as in nested loops written in the space's order.
            var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var rest = (long)index;
            for (var d = axes.Count - 1; d >= 0; d--)
            {
                parameters[trainer.Space[d].Name] = axes[d][(int)(rest % axes[d].Count)];
                rest /= axes[d].Count;
            }
            return new Suggestion(trainer.Name, parameters);
        }
        throw new ArgumentOutOfRangeException(nameof(index), index, "beyond the grid");
    }

    /// <summary>A dimension's values on the grid, in order.</summary>
    public static IReadOnlyList<string> GridValues(SearchDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(dimension);
        if (dimension.Kind == DimensionKind.Choice) return dimension.Values;
        if (dimension.Kind == DimensionKind.IntegerRange && dimension.GridPoints == 0)
        {
            var count = (int)Math.Min(dimension.Max - dimension.Min + 1, int.MaxValue);
            return [.. Enumerable.Range(0, count).Select(i => ((long)dimension.Min + i).ToString(CultureInfo.InvariantCulture))];
        }
        var points = new List<string>();
        for (var i = 0; i < dimension.GridPoints; i++)
        {
            var t = dimension.GridPoints == 1 ? 0 : (double)i / (dimension.GridPoints - 1);
            var value = dimension.Log
                ? Math.Exp(Math.Log(dimension.Min) + (t * (Math.Log(dimension.Max) - Math.Log(dimension.Min))))
                : dimension.Min + (t * (dimension.Max - dimension.Min));
            // The ends exactly: exp(log(x)) need not give x back.
            value = i == 0 ? dimension.Min : i == dimension.GridPoints - 1 ? dimension.Max : Math.Clamp(value, dimension.Min, dimension.Max);
            var text = dimension.Kind == DimensionKind.IntegerRange
                ? ((long)Math.Round(value, MidpointRounding.AwayFromZero)).ToString(CultureInfo.InvariantCulture)
                : value.ToString("R", CultureInfo.InvariantCulture);
            if (!points.Contains(text)) points.Add(text);
        }
        return points;
    }
}
