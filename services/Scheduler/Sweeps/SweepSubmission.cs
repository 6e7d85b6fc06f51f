using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Scheduler.Data;
using Platform.Scheduler.Grpc;
using Platform.Scheduler.Jobs;
using Platform.ServiceDefaults.Errors;
using Platform.Training;
using Platform.Training.Catalogue;
using Proto = Platform.Sweeps.V1;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// The one way a sweep comes into being: validates the whole <see cref="Proto.SweepSpec"/> (the base job spec exactly as
/// <see cref="JobSubmission"/> validates a job, once per trainer; the trainers, their spaces, the objective, the
/// algorithm and the limits), throwing <see cref="InvalidArgumentException"/> naming the field before anything is
/// stored, then stores the sweep and wakes the <see cref="SweepSupervisor"/>, which suggests and stores its first trials.
/// </summary>
public sealed class SweepSubmission(
    SchedulerDbContext db,
    JobSubmission jobs,
    SweepSignal signal,
    TimeProvider time,
    ILogger<SweepSubmission> logger)
{
    /// <summary>Most trials one sweep may run.</summary>
    public const int MaxTrials = 10_000;
    /// <summary>Longest time budget: 30 days.</summary>
    public const int MaxTimeBudgetSeconds = 30 * 24 * 3600;
    /// <summary>Most trainers one sweep may choose between.</summary>
    public const int MaxTrainers = 20;
    /// <summary>Most values of one choice, and most points of one grid dimension.</summary>
    public const int MaxValues = SearchSpace.MaxGridPoints;

    /// <summary>Validates and stores the sweep; a request id already used in the tenant returns that sweep unchanged.</summary>
    public Task<Sweep> SubmitAsync(string tenantId, string? requestId, Proto.SweepSpec? spec, CancellationToken cancellationToken)
    {
        if (spec is null) throw new InvalidArgumentException("spec", "is required");
        if (spec.Base is null) throw new InvalidArgumentException("spec.base", "is required: the job spec every trial trains with");
        return SubmitAsync(spec.Base.ToSubmissionRequest(tenantId, requestId, JobSources.Sweep), spec, cancellationToken);
    }

    /// <summary>
    /// Validates and stores the sweep whose base is <paramref name="baseRequest"/> (its tenant, request id and job
    /// fields; a gRPC spec's <c>base</c> or a message's job fields) and whose search is <paramref name="spec"/> (its
    /// <c>base</c> ignored). A request id already used in the tenant returns that sweep unchanged.
    /// </summary>
    public async Task<Sweep> SubmitAsync(JobSubmissionRequest baseRequest, Proto.SweepSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseRequest);
        ArgumentNullException.ThrowIfNull(spec);
        var tenantId = baseRequest.TenantId;
        var requestId = JobSubmission.ValidateRequestId(baseRequest.RequestId);
        if (requestId is not null && await FindAsync(tenantId, requestId, cancellationToken) is { } existing) return existing;

        if (!string.IsNullOrEmpty(baseRequest.Trainer) || baseRequest.Hyperparameters is { Count: > 0 })
            throw new InvalidArgumentException(string.IsNullOrEmpty(baseRequest.Trainer) ? "spec.base.hyperparameters" : "spec.base.trainer",
                "must be empty: each trial's trainer and hyperparameters come from spec.trainers");
        var task = TrainingTasks.TryParse(baseRequest.Task, out var parsed)
            ? parsed
            : throw new InvalidArgumentException("spec.base.task", $"is required: one of {string.Join(", ", TrainingTasks.All.Select(t => t.ToWireName()))}");

        var definition = new SweepDefinition
        {
            Trainers = ValidateTrainers(task, spec.Trainers),
            Objective = ValidateObjective(task, spec.Objective),
            Algorithm = spec.Algorithm switch
            {
                Proto.SearchAlgorithm.Unspecified or Proto.SearchAlgorithm.Random => SearchAlgorithm.Random,
                Proto.SearchAlgorithm.Grid => SearchAlgorithm.Grid,
                Proto.SearchAlgorithm.Bayesian => SearchAlgorithm.Bayesian,
                Proto.SearchAlgorithm.SuccessiveHalving => SearchAlgorithm.SuccessiveHalving,
                _ => throw new InvalidArgumentException("spec.algorithm",
                    $"{(int)spec.Algorithm} is not an algorithm; use grid, random, bayesian or successive_halving"),
            },
            MaxTrials = spec.MaxTrials is >= 1 and <= MaxTrials ? spec.MaxTrials
                : throw new InvalidArgumentException("spec.max_trials", $"{spec.MaxTrials} is not between 1 and {MaxTrials}"),
            MaxParallel = spec.MaxParallel >= 1 ? spec.MaxParallel
                : throw new InvalidArgumentException("spec.max_parallel", $"{spec.MaxParallel}: at least one trial must be able to run"),
            MaxFailed = spec.MaxFailed >= 0 ? spec.MaxFailed
                : throw new InvalidArgumentException("spec.max_failed", $"{spec.MaxFailed} is negative; 0 means no limit"),
            Seed = spec.Seed,
            TimeBudgetSeconds = spec.TimeBudgetSeconds is >= 0 and <= MaxTimeBudgetSeconds ? spec.TimeBudgetSeconds
                : throw new InvalidArgumentException("spec.time_budget_seconds",
                    $"{spec.TimeBudgetSeconds} is not between 0 (no limit) and {MaxTimeBudgetSeconds} (30 days)"),
        };
        if (definition.Algorithm == SearchAlgorithm.SuccessiveHalving)
            definition = definition with { Budget = ValidateBudget(spec.Budget), Trainers = WithBudgets(task, definition.Trainers, spec) };
        else if (spec.Budget is not null)
            throw new InvalidArgumentException("spec.budget", "is only for successive_halving");
        if (definition.Algorithm == SearchAlgorithm.Grid)
        {
            ValidateGrid(definition);
            if (SearchSpace.GridSize(definition) is var size && size > definition.MaxTrials)
                throw new InvalidArgumentException("spec.max_trials",
                    $"the grid has {size} points, more than max_trials = {definition.MaxTrials}; raise max_trials or make the grid smaller");
        }

        // The base spec as a job would be validated, with each trainer (preparation and evaluation may depend on it).
        (TrainingJobSpec Spec, Datasets.V1.Dataset Dataset)? validated = null;
        foreach (var trainer in definition.Trainers)
        {
            var result = await ValidateBaseAsync(baseRequest, trainer, cancellationToken);
            validated ??= result;
        }
        var (baseSpec, dataset) = validated!.Value;

        var now = Now();
        var sweep = new Sweep(Guid.CreateVersion7(now), tenantId, requestId, baseSpec, definition,
            string.IsNullOrEmpty(dataset.Sha256) ? null : dataset.Sha256, now);
        db.Sweeps.Add(sweep);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (requestId is not null)
        {
            // Two submissions with one request id raced; the unique index let one through.
            db.ChangeTracker.Clear();
            return await FindAsync(tenantId, requestId, cancellationToken) ?? throw new InvalidOperationException("the stored sweep vanished");
        }
        logger.LogInformation("Sweep {SweepId} started for tenant {TenantId}: {Algorithm}, {Planned} trials, {Parallel} at once, objective {Metric}",
            sweep.Id, tenantId, definition.Algorithm, SearchSpace.PlannedTrials(definition), definition.MaxParallel, definition.Objective.Metric);
        signal.Wake();
        return sweep;
    }

    private Task<Sweep?> FindAsync(string tenantId, string requestId, CancellationToken cancellationToken) =>
        db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.TenantId == tenantId && s.RequestId == requestId, cancellationToken);

    private async Task<(TrainingJobSpec, Datasets.V1.Dataset)> ValidateBaseAsync(
        JobSubmissionRequest baseRequest, SweepTrainer trainer, CancellationToken cancellationToken)
    {
        try
        {
            // Each trainer with its fixed hyperparameters, as a job of that trainer would be submitted.
            var request = baseRequest with
            {
                RequestId = null,
                Trainer = trainer.Name,
                Hyperparameters = trainer.Fixed,
                Source = JobSources.Sweep,
            };
            var (validated, dataset, _) = await jobs.ValidateAsync(request, cancellationToken);
            return (validated, dataset);
        }
        catch (InvalidArgumentException ex) when (ex.Field.StartsWith("spec.", StringComparison.Ordinal))
        {
            // The job's fields live under spec.base in a sweep.
            throw new InvalidArgumentException("spec.base." + ex.Field["spec.".Length..], ex.Message[(ex.Field.Length + 2)..]);
        }
    }

    private static List<SweepTrainer> ValidateTrainers(TrainingTask task, Google.Protobuf.Collections.RepeatedField<Proto.SweepTrainer> trainers)
    {
        if (trainers.Count == 0) throw new InvalidArgumentException("spec.trainers", "name at least one trainer to search");
        if (trainers.Count > MaxTrainers) throw new InvalidArgumentException("spec.trainers", $"{trainers.Count} trainers; at most {MaxTrainers}");
        var result = new List<SweepTrainer>();
        for (var i = 0; i < trainers.Count; i++)
        {
            var field = $"spec.trainers[{i}]";
            var trainer = trainers[i];
            var fixedValues = new Dictionary<string, string>(trainer.Hyperparameters);
            var settings = Catalogue(field, () => TrainerCatalogue.Validate(task, trainer.Name, fixedValues), "name");
            if (result.Any(t => t.Name == settings.Trainer.Name))
                throw new InvalidArgumentException($"{field}.name", $"trainer {Echo.Quote(trainer.Name)} is named twice; give it one space");
            var space = new List<SearchDimension>();
            for (var j = 0; j < trainer.Space.Count; j++)
                space.Add(ValidateDimension(task, settings.Trainer, fixedValues, space, trainer.Space[j], $"{field}.space[{j}]"));
            result.Add(new SweepTrainer { Name = settings.Trainer.Name, Fixed = fixedValues, Space = space });
        }
        return result;
    }

    private static SearchDimension ValidateDimension(
        TrainingTask task, TrainerDefinition trainer, Dictionary<string, string> fixedValues, List<SearchDimension> earlier,
        Proto.SearchDimension dimension, string field)
    {
        var declared = trainer.Hyperparameters.FirstOrDefault(h => h.Name == dimension.Name)
            ?? throw new InvalidArgumentException($"{field}.name",
                $"{Echo.Quote(trainer.Name)} has no hyperparameter {Echo.Quote(dimension.Name)}; it accepts {string.Join(", ", trainer.Hyperparameters.Select(h => h.Name))}");
        if (fixedValues.ContainsKey(declared.Name) || earlier.Any(d => d.Name == declared.Name))
            throw new InvalidArgumentException($"{field}.name", $"{Echo.Quote(declared.Name)} is already fixed or searched for this trainer");

        // Each value the dimension can take is checked by the catalogue, as a job's would be: the bounds suffice for a range.
        string Value(string subfield, string text) =>
            Catalogue($"{field}.{subfield}", () => TrainerCatalogue.Validate(task, trainer.Name, new Dictionary<string, string> { [declared.Name] = text }).Hyperparameters[declared.Name]);

        switch (dimension.DomainCase)
        {
            case Proto.SearchDimension.DomainOneofCase.Choice:
                var values = dimension.Choice.Values;
                if (values.Count == 0 || values.Count > MaxValues)
                    throw new InvalidArgumentException($"{field}.choice.values", $"{values.Count} values; give 1 to {MaxValues}");
                var canonical = new List<string>();
                for (var k = 0; k < values.Count; k++)
                {
                    var value = Value($"choice.values[{k}]", values[k]);
                    if (canonical.Contains(value))
                        throw new InvalidArgumentException($"{field}.choice.values[{k}]", $"{Echo.Quote(values[k])} is listed twice");
                    canonical.Add(value);
                }
                return new SearchDimension { Name = declared.Name, Kind = DimensionKind.Choice, Values = canonical };

            case Proto.SearchDimension.DomainOneofCase.IntRange:
                var ints = dimension.IntRange;
                if (declared.Type != HyperparameterType.Int)
                    throw new InvalidArgumentException($"{field}.int_range", $"{Echo.Quote(declared.Name)} is a {declared.TypeName}; use {(declared.Type == HyperparameterType.Double ? "float_range" : "choice")}");
                CheckRange(field + ".int_range", ints.Min, ints.Max, ints.Scale);
                Value("int_range.min", ints.Min.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Value("int_range.max", ints.Max.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (ints.GridPoints is < 0 or > MaxValues)
                    throw new InvalidArgumentException($"{field}.int_range.grid_points", $"{ints.GridPoints} is not between 0 and {MaxValues}");
                return new SearchDimension
                {
                    Name = declared.Name, Kind = DimensionKind.IntegerRange, Min = ints.Min, Max = ints.Max,
                    Log = ints.Scale == Proto.Scale.Log, GridPoints = ints.GridPoints,
                };

            case Proto.SearchDimension.DomainOneofCase.FloatRange:
                var floats = dimension.FloatRange;
                if (declared.Type != HyperparameterType.Double)
                    throw new InvalidArgumentException($"{field}.float_range", $"{Echo.Quote(declared.Name)} is a {declared.TypeName}; use {(declared.Type == HyperparameterType.Int ? "int_range" : "choice")}");
                if (!double.IsFinite(floats.Min) || !double.IsFinite(floats.Max))
                    throw new InvalidArgumentException($"{field}.float_range", "min and max must be finite numbers");
                CheckRange(field + ".float_range", floats.Min, floats.Max, floats.Scale);
                Value("float_range.min", floats.Min.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                Value("float_range.max", floats.Max.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                if (floats.GridPoints is < 0 or > MaxValues)
                    throw new InvalidArgumentException($"{field}.float_range.grid_points", $"{floats.GridPoints} is not between 0 and {MaxValues}");
                return new SearchDimension
                {
                    Name = declared.Name, Kind = DimensionKind.NumberRange, Min = floats.Min, Max = floats.Max,
                    Log = floats.Scale == Proto.Scale.Log, GridPoints = floats.GridPoints,
                };

            default:
                throw new InvalidArgumentException(field, "give the domain: choice, int_range or float_range");
        }
    }

    private static void CheckRange(string field, double min, double max, Proto.Scale scale)
    {
        if (scale is not (Proto.Scale.Unspecified or Proto.Scale.Linear or Proto.Scale.Log))
            throw new InvalidArgumentException($"{field}.scale", $"{(int)scale} is not a scale; use linear or log");
        if (min >= max)
            throw new InvalidArgumentException($"{field}.max",
                min == max ? $"the range {min}..{max} is empty; use a choice for one value" : $"the range {min}..{max} is inverted: max must be above min");
        if (scale == Proto.Scale.Log && min <= 0)
            throw new InvalidArgumentException($"{field}.min", $"{min}: a log scale needs values above 0");
    }

    /// <summary>Grid dimensions must be finite and small: every integer of a short int range, or grid_points of a range.</summary>
    private static void ValidateGrid(SweepDefinition definition)
    {
        for (var i = 0; i < definition.Trainers.Count; i++)
        {
            var space = definition.Trainers[i].Space;
            for (var j = 0; j < space.Count; j++)
            {
                var dimension = space[j];
                var field = $"spec.trainers[{i}].space[{j}]";
                if (dimension.Kind == DimensionKind.NumberRange && dimension.GridPoints < 2)
                    throw new InvalidArgumentException($"{field}.float_range.grid_points", "a grid over a float range needs 2 or more grid_points");
                if (dimension.Kind == DimensionKind.IntegerRange && dimension.GridPoints == 0 && dimension.Max - dimension.Min + 1 > MaxValues)
                    throw new InvalidArgumentException($"{field}.int_range.grid_points",
                        $"the range holds {dimension.Max - dimension.Min + 1} integers, more than {MaxValues}; set grid_points");
            }
        }
    }

    private static SweepBudget ValidateBudget(Proto.Budget? budget)
    {
        if (budget is null) throw new InvalidArgumentException("spec.budget", "is required for successive_halving: the budget hyperparameter, min and max");
        if (budget.Min < 1) throw new InvalidArgumentException("spec.budget.min", $"{budget.Min}: the smallest budget is at least 1");
        if (budget.Max <= budget.Min)
            throw new InvalidArgumentException("spec.budget.max", $"{budget.Max} is not above min = {budget.Min}");
        var eta = budget.ReductionFactor == 0 ? 3 : budget.ReductionFactor;
        if (eta is < 2 or > 10) throw new InvalidArgumentException("spec.budget.reduction_factor", $"{budget.ReductionFactor} is not between 2 and 10 (0 for 3)");
        return new SweepBudget(budget.Min, budget.Max, eta);
    }

    /// <summary>Each trainer's budget hyperparameter: declared as an int, neither fixed nor searched, and taking min and max.</summary>
    private static List<SweepTrainer> WithBudgets(TrainingTask task, IReadOnlyList<SweepTrainer> trainers, Proto.SweepSpec spec)
    {
        var result = new List<SweepTrainer>();
        for (var i = 0; i < trainers.Count; i++)
        {
            var trainer = trainers[i];
            var own = spec.Trainers[i].BudgetHyperparameter;
            var (field, name) = string.IsNullOrWhiteSpace(own)
                ? ("spec.budget.hyperparameter", spec.Budget.Hyperparameter)
                : ($"spec.trainers[{i}].budget_hyperparameter", own);
            var declared = TrainerCatalogue.Find(trainer.Name)?.Hyperparameters.FirstOrDefault(h => h.Name == name);
            if (declared is not { Type: HyperparameterType.Int })
                throw new InvalidArgumentException(field,
                    $"{Echo.Quote(trainer.Name)} has no int hyperparameter {Echo.Quote(name)} to spend as a budget (e.g. number_of_iterations, number_of_trees)");
            if (trainer.Fixed.ContainsKey(name) || trainer.Space.Any(d => d.Name == name))
                throw new InvalidArgumentException(field, $"{Echo.Quote(name)} is fixed or searched for {Echo.Quote(trainer.Name)}; the budget sets it");
            foreach (var (bound, value) in new[] { ("min", spec.Budget.Min), ("max", spec.Budget.Max) })
                Catalogue($"spec.budget.{bound}", () => TrainerCatalogue.Validate(task, trainer.Name,
                    new Dictionary<string, string> { [name] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            result.Add(trainer with { BudgetHyperparameter = name });
        }
        return result;
    }

    private static SweepObjective ValidateObjective(TrainingTask task, Proto.Objective? objective)
    {
        if (objective is null || string.IsNullOrWhiteSpace(objective.Metric))
            throw new InvalidArgumentException("spec.objective.metric", $"is required: one of {string.Join(", ", MetricNames.ReportedBy(task))}");
        var metric = objective.Metric.Trim();
        if (!MetricNames.ReportedBy(task).Contains(metric))
            throw new InvalidArgumentException("spec.objective.metric",
                $"{task.ToWireName()} does not report {Echo.Quote(objective.Metric)}; use one of {string.Join(", ", MetricNames.ReportedBy(task))}");
        var maximize = objective.Direction switch
        {
            Proto.Direction.Unspecified => !MetricNames.LowerIsBetter(metric),
            Proto.Direction.Maximize => true,
            Proto.Direction.Minimize => false,
            _ => throw new InvalidArgumentException("spec.objective.direction", $"{(int)objective.Direction} is not a direction; use maximize or minimize"),
        };
        return new SweepObjective(metric, maximize);
    }

    /// <summary>Runs a catalogue check, naming its failure under <paramref name="field"/> (the catalogue's "trainer" becomes <paramref name="trainerField"/>).</summary>
    private static T Catalogue<T>(string field, Func<T> validate, string? trainerField = null)
    {
        try
        {
            return validate();
        }
        catch (SpecValidationException ex)
        {
            var name = ex.Field == "trainer" && trainerField is not null ? trainerField
                : ex.Field.StartsWith("hyperparameters.", StringComparison.Ordinal) && trainerField is not null ? ex.Field : null;
            throw new InvalidArgumentException(name is null ? field : $"{field}.{name}", ex.Reason);
        }
    }

    /// <summary>PostgreSQL keeps microseconds: drop the rest, so this answer equals every later read.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
