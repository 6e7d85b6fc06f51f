using Google.Protobuf.WellKnownTypes;
using Platform.Scheduler.Grpc;
using Platform.Scheduler.Jobs;
using Proto = Platform.Sweeps.V1;

namespace Platform.Scheduler.Sweeps;

/// <summary>Between the domain and the <c>platform.sweeps.v1</c> messages.</summary>
internal static class SweepMapping
{
    /// <summary>The sweep with its counts and best trial; with <paramref name="withTrials"/>, the whole leaderboard.</summary>
    public static Proto.Sweep ToProto(this Sweep sweep, SweepLeaderboard board, bool withTrials)
    {
        var proto = new Proto.Sweep
        {
            Id = sweep.Id.ToString(),
            TenantId = sweep.TenantId,
            RequestId = sweep.RequestId ?? "",
            Spec = ToProtoSpec(sweep),
            State = sweep.State switch
            {
                SweepState.Running => Proto.SweepState.Running,
                SweepState.Registering => Proto.SweepState.Registering,
                SweepState.Succeeded => Proto.SweepState.Succeeded,
                SweepState.Failed => Proto.SweepState.Failed,
                _ => Proto.SweepState.Cancelled,
            },
            FailureReason = sweep.FailureReason ?? "",
            CreatedAt = Timestamp.FromDateTimeOffset(sweep.CreatedAt),
            PlannedTrials = SearchSpace.PlannedTrials(sweep.Definition),
            TrialsCreated = sweep.TrialsCreated,
            TrialsSucceeded = board.Succeeded,
            TrialsFailed = board.Failed,
            TrialsActive = board.Active,
            FinalJobId = sweep.FinalJobId?.ToString() ?? "",
            ModelName = sweep.ModelName ?? "",
            ModelVersion = sweep.ModelVersion ?? 0,
        };
        if (sweep.FinishedAt is { } finished) proto.FinishedAt = Timestamp.FromDateTimeOffset(finished);
        if (sweep.Deadline is { } deadline) proto.Deadline = Timestamp.FromDateTimeOffset(deadline);
        if (board.Best is { } best) proto.BestTrial = best.ToProto(sweep.Definition);
        if (withTrials) proto.Trials.Add(board.Trials.Select(t => t.ToProto(sweep.Definition)));
        return proto;
    }

    private static Proto.Trial ToProto(this TrialStanding trial, SweepDefinition definition)
    {
        var job = trial.Job;
        var proto = new Proto.Trial
        {
            Number = trial.Number,
            JobId = job.Id.ToString(),
            Trainer = job.Spec.Trainer,
            State = job.State.ToProto(),
            Worker = job.Worker ?? "",
            FailureReason = job.State.IsTerminal() ? job.FailureReason ?? "" : "",
        };
        // Only the searched values: the fixed and default ones are the same on every trial of the trainer.
        var searched = definition.Trainers.Single(t => t.Name == job.Spec.Trainer).Space.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in job.Spec.Hyperparameters.Where(p => searched.Contains(p.Key))) proto.Parameters[name] = value;
        if (trial.Objective is { } objective) proto.Objective = objective;
        if (SweepLeaderboard.BudgetOf(definition, job) is { } budget) proto.Budget = budget;
        return proto;
    }

    private static Proto.SweepSpec ToProtoSpec(Sweep sweep)
    {
        var definition = sweep.Definition;
        var baseSpec = sweep.BaseSpec.ToProto();
        baseSpec.Trainer = "";
        baseSpec.Hyperparameters.Clear();
        var spec = new Proto.SweepSpec
        {
            Base = baseSpec,
            Objective = new Proto.Objective
            {
                Metric = definition.Objective.Metric,
                Direction = definition.Objective.Maximize ? Proto.Direction.Maximize : Proto.Direction.Minimize,
            },
            Algorithm = definition.Algorithm switch
            {
                SearchAlgorithm.Grid => Proto.SearchAlgorithm.Grid,
                SearchAlgorithm.Bayesian => Proto.SearchAlgorithm.Bayesian,
                SearchAlgorithm.SuccessiveHalving => Proto.SearchAlgorithm.SuccessiveHalving,
                _ => Proto.SearchAlgorithm.Random,
            },
            MaxTrials = definition.MaxTrials,
            MaxParallel = definition.MaxParallel,
            MaxFailed = definition.MaxFailed,
            Seed = definition.Seed,
            TimeBudgetSeconds = definition.TimeBudgetSeconds,
        };
        if (definition.Budget is { } budget)
        {
            // The sweep-wide name is the first trainer's; a trainer with another one names it itself.
            var common = definition.Trainers[0].BudgetHyperparameter ?? "";
            spec.Budget = new Proto.Budget { Hyperparameter = common, Min = budget.Min, Max = budget.Max, ReductionFactor = budget.ReductionFactor };
        }
        foreach (var trainer in definition.Trainers)
        {
            var proto = new Proto.SweepTrainer { Name = trainer.Name };
            if (definition.Budget is not null && trainer.BudgetHyperparameter != spec.Budget.Hyperparameter)
                proto.BudgetHyperparameter = trainer.BudgetHyperparameter ?? "";
            foreach (var (name, value) in trainer.Fixed) proto.Hyperparameters[name] = value;
            proto.Space.Add(trainer.Space.Select(ToProto));
            spec.Trainers.Add(proto);
        }
        return spec;
    }

    private static Proto.SearchDimension ToProto(SearchDimension dimension)
    {
        var proto = new Proto.SearchDimension { Name = dimension.Name };
        var scale = dimension.Log ? Proto.Scale.Log : Proto.Scale.Linear;
        switch (dimension.Kind)
        {
            case DimensionKind.Choice:
                proto.Choice = new Proto.Choice();
                proto.Choice.Values.Add(dimension.Values);
                break;
            case DimensionKind.IntegerRange:
                proto.IntRange = new Proto.IntRange { Min = (int)dimension.Min, Max = (int)dimension.Max, Scale = scale, GridPoints = dimension.GridPoints };
                break;
            default:
                proto.FloatRange = new Proto.FloatRange { Min = dimension.Min, Max = dimension.Max, Scale = scale, GridPoints = dimension.GridPoints };
                break;
        }
        return proto;
    }
}
