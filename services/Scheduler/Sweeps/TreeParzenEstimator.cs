using System.Globalization;
using MathNet.Numerics.Distributions;
using Platform.Training.Evaluation;

namespace Platform.Scheduler.Sweeps;

/// <summary>A finished trial as the Bayesian search learns from it: what was tried and how it did.</summary>
/// <param name="Trainer">The trainer of the trial.</param>
/// <param name="Parameters">The searched hyperparameters' values, as stored on the trial.</param>
/// <param name="Loss">The objective turned into a loss: the value when minimising, its negation when maximising.</param>
public sealed record TrialObservation(string Trainer, IReadOnlyDictionary<string, string> Parameters, double Loss);

/// <summary>
/// The tree-structured Parzen estimator (Bergstra et al., 2011; the default sampler of Optuna and Hyperopt): the
/// finished trials are split into the best <c>γ</c> and the others, each group becomes a density over the space, and
/// of <see cref="Candidates"/> candidates drawn from the good density the one with the highest ratio good ÷ others is
/// suggested. The space is a tree: first the trainer, drawn in proportion to its share of the good trials (one
/// pseudo-count each, so a trainer unlucky in the first random trials is still tried now and then), then its own
/// dimensions, modelled jointly (Optuna's multivariate TPE) from the trials of that trainer alone: each trial is a
/// kernel over all dimensions, so a value that did well only together with another is credited as such.
/// Everything random comes from a <see cref="SeededRandom"/> seeded by the sweep's seed and the trial number, and
/// the trials are read in number order: the same seed, space and results give the same suggestion.
/// </summary>
public static class TreeParzenEstimator
{
    /// <summary>Candidates drawn from the good density (Optuna's and Hyperopt's default).</summary>
    public const int Candidates = 24;
    /// <summary>Trials of a trainer needed before its space is modelled; fewer and its values are drawn at random.</summary>
    public const int MinObservations = 2;

    /// <summary>
    /// Trials drawn at random before the estimator takes over: a quarter of <c>max_trials</c>, from 3 to 10
    /// (Optuna starts after 10; a short sweep should not spend half its budget at random).
    /// </summary>
    public static int StartupTrials(int maxTrials) => Math.Clamp(maxTrials / 4, 3, 10);

    /// <summary>How many of <paramref name="count"/> observations form the good group: a quarter, rounded up, 1 to 25 (Hyperopt's γ).</summary>
    public static int GoodCount(int count) => Math.Clamp((int)Math.Ceiling(0.25 * count), 1, 25);

    /// <summary>The suggestion after <paramref name="observations"/> (in trial order), with <paramref name="random"/> for every draw.</summary>
    public static Suggestion Suggest(SweepDefinition definition, IReadOnlyList<TrialObservation> observations, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(random);

        var trainer = definition.Trainers.Count == 1 ? definition.Trainers[0] : definition.Trainers[DrawTrainer(definition, observations, random)];
        var own = observations.Where(o => o.Trainer == trainer.Name && trainer.Space.All(d => o.Parameters.ContainsKey(d.Name))).ToList();
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (trainer.Space.Count == 0) return new Suggestion(trainer.Name, parameters);
        if (own.Count < MinObservations)
        {
            foreach (var dimension in trainer.Space) parameters[dimension.Name] = SearchSpace.Draw(dimension, random);
            return new Suggestion(trainer.Name, parameters);
        }

        var (good, others) = Split(own);
        var space = trainer.Space;
        var l = new ParzenEstimator(space, good);
        var g = new ParzenEstimator(space, others);
        double[]? best = null;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < Candidates; c++)
        {
            var x = l.Sample(random);
            var score = l.LogDensity(x) - g.LogDensity(x);
            if (score > bestScore)
            {
                bestScore = score;
                best = x;
            }
        }
        for (var d = 0; d < space.Count; d++)
            parameters[space[d].Name] = space[d].Kind == DimensionKind.Choice ? space[d].Values[(int)best![d]] : SearchSpace.FromInternal(space[d], best![d]);
        return new Suggestion(trainer.Name, parameters);
    }

    /// <summary>The best and the others, by loss (ties: the earlier trial first, as the input is in trial order).</summary>
    private static (List<TrialObservation> Good, List<TrialObservation> Others) Split(IReadOnlyList<TrialObservation> observations)
    {
        var ranked = observations.Select((o, i) => (o, i)).OrderBy(p => p.o.Loss).ThenBy(p => p.i).Select(p => p.o).ToList();
        var good = GoodCount(ranked.Count);
        return (ranked[..good], ranked[good..]);
    }

    /// <summary>A trainer drawn with weight one plus its number of good trials.</summary>
    private static int DrawTrainer(SweepDefinition definition, IReadOnlyList<TrialObservation> observations, SeededRandom random)
    {
        var weights = new double[definition.Trainers.Count];
        Array.Fill(weights, 1.0);
        foreach (var observation in Split(observations).Good)
        {
            for (var i = 0; i < weights.Length; i++)
            {
                if (definition.Trainers[i].Name == observation.Trainer) weights[i] += 1;
            }
        }
        var u = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
    }

    /// <summary>
    /// A density over a trainer's space: an equal mixture of one kernel per observation plus a wide prior (as in
    /// Optuna). A kernel is, per dimension, a normal truncated to the range (on the search scale of
    /// <see cref="SearchSpace.InternalBounds"/>) with Scott's bandwidth <c>0.2 · n^(−1/(d+4))</c> of the range, or for
    /// a choice, the observed value with weight 1 and every value with weight 1/k more. The prior is the uniform
    /// choice, and a normal at the middle of each range as wide as the range.
    /// </summary>
    private sealed class ParzenEstimator
    {
        private readonly IReadOnlyList<SearchDimension> _space;
        private readonly (double Low, double High)[] _bounds;
        // Per component: the centre per dimension (the value's index for a choice), NaN for the prior.
        private readonly double[][] _centres;
        private readonly double[] _bandwidth;

        public ParzenEstimator(IReadOnlyList<SearchDimension> space, IReadOnlyList<TrialObservation> observations)
        {
            _space = space;
            _bounds = [.. space.Select(d => d.Kind == DimensionKind.Choice ? (0.0, d.Values.Count) : SearchSpace.InternalBounds(d))];
            _centres = [.. observations.Select(Centre), .. new[] { Enumerable.Repeat(double.NaN, space.Count).ToArray() }];
            var scott = 0.2 * Math.Pow(Math.Max(observations.Count, 1), -1.0 / (space.Count + 4));
            _bandwidth = [.. _bounds.Select(b => scott * (b.High - b.Low))];
        }

        private double[] Centre(TrialObservation observation)
        {
            var centre = new double[_space.Count];
            for (var d = 0; d < _space.Count; d++)
            {
                var dimension = _space[d];
                var text = observation.Parameters[dimension.Name];
                if (dimension.Kind == DimensionKind.Choice)
                {
                    var index = dimension.Values.ToList().IndexOf(text);
                    centre[d] = index >= 0 ? index : double.NaN;
                    continue;
                }
                var (low, high) = _bounds[d];
                centre[d] = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && (!dimension.Log || value > 0)
                    ? Math.Clamp(dimension.Log ? Math.Log(value) : value, low, high)
                    : double.NaN;
            }
            return centre;
        }

        public double[] Sample(SeededRandom random)
        {
            var centre = _centres[random.NextBelow(_centres.Length)];
            var x = new double[_space.Count];
            for (var d = 0; d < _space.Count; d++)
            {
                var (low, high) = _bounds[d];
                if (_space[d].Kind == DimensionKind.Choice)
                {
                    var k = _space[d].Values.Count;
                    // Half the kernel's weight on the observed value, the other half spread (the prior: all spread).
                    x[d] = !double.IsNaN(centre[d]) && random.NextDouble() < 0.5 ? centre[d] : random.NextBelow(k);
                    continue;
                }
                var (mu, sigma) = Kernel(centre[d], d);
                x[d] = TruncatedNormal(mu, sigma, low, high, random);
            }
            return x;
        }

        public double LogDensity(double[] x)
        {
            var sum = 0.0;
            foreach (var centre in _centres)
            {
                var density = 1.0;
                for (var d = 0; d < _space.Count; d++)
                {
                    if (_space[d].Kind == DimensionKind.Choice)
                    {
                        var k = _space[d].Values.Count;
                        density *= double.IsNaN(centre[d]) ? 1.0 / k : (0.5 * (x[d] == centre[d] ? 1 : 0)) + (0.5 / k);
                        continue;
                    }
                    var (low, high) = _bounds[d];
                    var (mu, sigma) = Kernel(centre[d], d);
                    var mass = Math.Max(Normal.CDF(mu, sigma, high) - Normal.CDF(mu, sigma, low), 1e-12);
                    density *= Normal.PDF(mu, sigma, x[d]) / mass;
                }
                sum += density;
            }
            return Math.Log(Math.Max(sum / _centres.Length, double.Epsilon));
        }

        /// <summary>An observation's kernel, or the prior's (the middle, as wide as the range) for NaN.</summary>
        private (double Mu, double Sigma) Kernel(double centre, int d)
        {
            var (low, high) = _bounds[d];
            return double.IsNaN(centre) ? ((low + high) / 2, high - low) : (centre, _bandwidth[d]);
        }

        /// <summary>Rejection from the normal (the kernel's centre lies in the range, so at least a third is kept), clamped if unlucky.</summary>
        private static double TruncatedNormal(double mu, double sigma, double low, double high, SeededRandom random)
        {
            for (var attempt = 0; attempt < 64; attempt++)
            {
                var x = mu + (sigma * StandardNormal(random));
                if (x >= low && x <= high) return x;
            }
            return Math.Clamp(mu, low, high);
        }

        /// <summary>Box–Muller from two uniforms of the seeded generator (not <see cref="Random"/>: its stream may change between releases).</summary>
        private static double StandardNormal(SeededRandom random)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }
    }
}
