using Platform.Contracts;
using Platform.ServiceDefaults.Errors;
using Proto = Platform.Sweeps.V1;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// A sweep submitted over the message queue (<see cref="SubmitTrainingJob.Sweep"/>) as the <c>platform.sweeps.v1</c>
/// spec <see cref="SweepSubmission"/> validates; only the words of the message (algorithm, scale, direction) are
/// checked here, every rule lives there. Fields are named as in the gRPC API (<c>spec.algorithm</c>); the consumer
/// renames them to the message's.
/// </summary>
public static class SweepRequestMapping
{
    public static Proto.SweepSpec ToProto(this SweepRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var spec = new Proto.SweepSpec
        {
            Objective = request.Objective is { } objective
                ? new Proto.Objective { Metric = objective.Metric ?? "", Direction = Direction(objective.Direction) }
                : null,
            Algorithm = request.Algorithm switch
            {
                null or "" or "random" => Proto.SearchAlgorithm.Random,
                "grid" => Proto.SearchAlgorithm.Grid,
                "bayesian" => Proto.SearchAlgorithm.Bayesian,
                "successive_halving" => Proto.SearchAlgorithm.SuccessiveHalving,
                _ => throw new InvalidArgumentException("spec.algorithm",
                    $"{Echo.Quote(request.Algorithm)} is not an algorithm; use grid, random, bayesian or successive_halving"),
            },
            MaxTrials = request.MaxTrials ?? 0,
            MaxParallel = request.MaxParallel ?? 0,
            MaxFailed = request.MaxFailed ?? 0,
            Seed = request.Seed ?? 0,
            TimeBudgetSeconds = request.TimeBudgetSeconds ?? 0,
        };
        if (request.Budget is { } budget)
            spec.Budget = new Proto.Budget { Hyperparameter = budget.Hyperparameter ?? "", Min = budget.Min, Max = budget.Max, ReductionFactor = budget.ReductionFactor };
        var trainers = request.Trainers ?? [];
        for (var i = 0; i < trainers.Count; i++)
        {
            var trainer = trainers[i] ?? throw new InvalidArgumentException($"spec.trainers[{i}]", "is null");
            var proto = new Proto.SweepTrainer { Name = trainer.Name ?? "", BudgetHyperparameter = trainer.BudgetHyperparameter ?? "" };
            foreach (var (name, value) in trainer.Hyperparameters ?? []) proto.Hyperparameters[name] = value;
            var space = trainer.Space ?? [];
            for (var j = 0; j < space.Count; j++) proto.Space.Add(Dimension(space[j], $"spec.trainers[{i}].space[{j}]"));
            spec.Trainers.Add(proto);
        }
        return spec;
    }

    private static Proto.SearchDimension Dimension(SearchDimensionRequest? dimension, string field)
    {
        if (dimension is null) throw new InvalidArgumentException(field, "is null");
        var proto = new Proto.SearchDimension { Name = dimension.Name ?? "" };
        var domains = (dimension.Choice is null ? 0 : 1) + (dimension.IntRange is null ? 0 : 1) + (dimension.FloatRange is null ? 0 : 1);
        if (domains > 1) throw new InvalidArgumentException(field, "give one domain: choice, int_range or float_range");
        if (dimension.Choice is { } choice)
        {
            proto.Choice = new Proto.Choice();
            proto.Choice.Values.Add(choice.Select(v => v ?? ""));
        }
        else if (dimension.IntRange is { } ints)
        {
            proto.IntRange = new Proto.IntRange { Min = ints.Min, Max = ints.Max, Scale = Scale(ints.Scale, $"{field}.int_range.scale"), GridPoints = ints.GridPoints };
        }
        else if (dimension.FloatRange is { } floats)
        {
            proto.FloatRange = new Proto.FloatRange { Min = floats.Min, Max = floats.Max, Scale = Scale(floats.Scale, $"{field}.float_range.scale"), GridPoints = floats.GridPoints };
        }
        return proto;
    }

    private static Proto.Scale Scale(string? scale, string field) => scale switch
    {
        null or "" or "linear" => Proto.Scale.Linear,
        "log" => Proto.Scale.Log,
        _ => throw new InvalidArgumentException(field, $"{Echo.Quote(scale)} is not a scale; use linear or log"),
    };

    private static Proto.Direction Direction(string? direction) => direction switch
    {
        null or "" => Proto.Direction.Unspecified,
        "maximize" => Proto.Direction.Maximize,
        "minimize" => Proto.Direction.Minimize,
        _ => throw new InvalidArgumentException("spec.objective.direction", $"{Echo.Quote(direction)} is not a direction; use maximize or minimize"),
    };
}
