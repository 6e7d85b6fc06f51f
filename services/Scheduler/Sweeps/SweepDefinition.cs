using System.Text.Json.Serialization;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// What a sweep searches and how, as validated at submission (<see cref="SweepSubmission"/>); never changes
/// afterwards. Stored as JSON with the sweep.
/// </summary>
public sealed record SweepDefinition
{
    /// <summary>The trainers to choose between, each with its space; at least one.</summary>
    public required IReadOnlyList<SweepTrainer> Trainers { get; init; }
    public required SweepObjective Objective { get; init; }
    public required SearchAlgorithm Algorithm { get; init; }
    public required int MaxTrials { get; init; }
    public required int MaxParallel { get; init; }
    /// <summary>Failed trials after which the sweep ends Failed; 0 for no limit.</summary>
    public required int MaxFailed { get; init; }
    /// <summary>Seed of the suggestions (each trial trains with the base spec's own seed).</summary>
    public required int Seed { get; init; }
    /// <summary>Seconds after submission when no further trial is suggested (running ones finish); 0 for no limit.</summary>
    public int TimeBudgetSeconds { get; init; }
    /// <summary><see cref="SearchAlgorithm.SuccessiveHalving"/> only: the rungs' budgets.</summary>
    public SweepBudget? Budget { get; init; }
}

/// <summary>
/// The budget of successive halving: rung <c>k</c> trains with <see cref="Min"/> × <see cref="ReductionFactor"/>^k of each
/// trainer's <see cref="SweepTrainer.BudgetHyperparameter"/>, the last rung with <see cref="Max"/>.
/// </summary>
public sealed record SweepBudget(int Min, int Max, int ReductionFactor)
{
    /// <summary>The rungs' budgets, smallest first.</summary>
    public IReadOnlyList<int> Rungs()
    {
        var rungs = new List<int>();
        for (long budget = Min; budget < Max; budget *= ReductionFactor) rungs.Add((int)budget);
        rungs.Add(Max);
        return rungs;
    }
}

/// <summary>How trials are suggested.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SearchAlgorithm>))]
public enum SearchAlgorithm
{
    /// <summary>Independent draws from the space (<see cref="SearchSpace"/>).</summary>
    Random,
    /// <summary>Every combination, trainer by trainer.</summary>
    Grid,
    /// <summary>A few random trials, then the tree-structured Parzen estimator (<see cref="TreeParzenEstimator"/>).</summary>
    Bayesian,
    /// <summary>Asynchronous successive halving over rungs of budget (<see cref="SuccessiveHalving"/>).</summary>
    SuccessiveHalving,
}

/// <summary>One trainer of a sweep: fixed hyperparameters and the searched ones.</summary>
public sealed record SweepTrainer
{
    /// <summary>The catalogue's name of the trainer.</summary>
    public required string Name { get; init; }
    /// <summary>Set on every trial of this trainer, as given (text values).</summary>
    public required IReadOnlyDictionary<string, string> Fixed { get; init; }
    public required IReadOnlyList<SearchDimension> Space { get; init; }
    /// <summary><see cref="SearchAlgorithm.SuccessiveHalving"/> only: the int hyperparameter that is this trainer's budget.</summary>
    public string? BudgetHyperparameter { get; init; }
}

/// <summary>The kind of a dimension's domain.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DimensionKind>))]
public enum DimensionKind
{
    /// <summary>A list of values.</summary>
    Choice,
    /// <summary>Integers from min to max.</summary>
    IntegerRange,
    /// <summary>Numbers from min to max.</summary>
    NumberRange,
}

/// <summary>
/// One searched hyperparameter: a list of <see cref="Values"/> to choose from, or a range from <see cref="Min"/> to
/// <see cref="Max"/> (both included), integers or numbers, on a linear or <see cref="Log"/> scale.
/// </summary>
public sealed record SearchDimension
{
    public required string Name { get; init; }
    public required DimensionKind Kind { get; init; }
    /// <summary>Choice only: the values, as text.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];
    public double Min { get; init; }
    public double Max { get; init; }
    public bool Log { get; init; }
    /// <summary>Grid only: points on the range (0 for an integer range: every integer).</summary>
    public int GridPoints { get; init; }
}

/// <summary>What a sweep optimises: a metric of the trials' evaluation (the fold mean for a cross-validation).</summary>
public sealed record SweepObjective(string Metric, bool Maximize)
{
    /// <summary>Whether <paramref name="candidate"/> is better than <paramref name="incumbent"/> (a NaN never is).</summary>
    public bool IsBetter(double candidate, double incumbent) =>
        !double.IsNaN(candidate) && (double.IsNaN(incumbent) || (Maximize ? candidate > incumbent : candidate < incumbent));
}
