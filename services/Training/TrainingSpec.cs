using Platform.Training.Catalogue;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;
using Platform.Contracts;

namespace Platform.Training;

/// <summary>What to train: the job's specification as the trainer needs it.</summary>
public sealed record TrainingSpec
{
    /// <summary>The holdout share used when a job does not choose one.</summary>
    public const double DefaultHoldoutFraction = 0.2;

    public required TrainingTask Task { get; init; }

    /// <summary>The column to predict; empty for clustering without a label (with one, clustering reports how well clusters match it).</summary>
    public required string LabelColumn { get; init; }

    /// <summary>A trainer name from <see cref="Catalogue.TrainerCatalogue"/>.</summary>
    public required string Trainer { get; init; }

    /// <summary>Hyperparameters by name, values as invariant text; missing ones take the default.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Seeds the split, the trainer and the feature-importance shuffles: the same seed, data and spec give the same model.</summary>
    public required int Seed { get; init; }

    /// <summary>Share of the rows held out for evaluation, in (0, 0.5]; unused by a cross-validation.</summary>
    public double HoldoutFraction { get; init; } = DefaultHoldoutFraction;

    /// <summary>How the data is prepared; the defaults when the job says nothing.</summary>
    public DataPreparation Preparation { get; init; } = DataPreparation.Default;

    /// <summary>How the model is evaluated; a stratified holdout when the job says nothing.</summary>
    public EvaluationSpec Evaluation { get; init; } = EvaluationSpec.Default;

    /// <summary>Checks <see cref="HoldoutFraction"/>; throws for the field <c>holdout_fraction</c>.</summary>
    public static void ValidateHoldoutFraction(double fraction)
    {
        if (!(fraction > 0 && fraction <= 0.5))
            throw new SpecValidationException("holdout_fraction", $"{fraction} is out of range; expected a share greater than 0 and at most 0.5");
    }

    /// <summary>
    /// Checks the whole spec against the data set's columns, exactly as a training run will: task, trainer and
    /// hyperparameters, label column, evaluation and preparation. The scheduler calls this at submission, so a
    /// job that would fail on these grounds is never queued. Field names are relative to the job spec.
    /// </summary>
    /// <exception cref="SpecValidationException">Anything is invalid; <see cref="SpecValidationException.Field"/> names it.</exception>
    public TrainingPlan Validate(IReadOnlyList<DatasetColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var settings = TrainerCatalogue.Validate(Task, Trainer, Hyperparameters);
        if (!Evaluation.CrossValidates)
            ValidateHoldoutFraction(HoldoutFraction);

        DatasetColumn? label = null;
        if (!string.IsNullOrEmpty(LabelColumn))
        {
            label = columns.FirstOrDefault(c => c.Name == LabelColumn);
            if (label is null)
            {
                var nearly = columns.FirstOrDefault(c => string.Equals(c.Name, LabelColumn, StringComparison.OrdinalIgnoreCase));
                throw new SpecValidationException("label_column",
                    $"{Echo.Quote(LabelColumn)} is not a column of the data set{(nearly is null ? "" : $" (did you mean {Echo.Quote(nearly.Name)}?)")}; its columns are {string.Join(", ", columns.Take(20).Select(c => $"{Echo.Quote(c.Name)}"))}");
            }
            if (label.Kind == ColumnKind.Date)
                throw new SpecValidationException("label_column", $"{Echo.Quote(LabelColumn)} is a date column; a date cannot be a label");
            if (Task == TrainingTask.Regression && label.Kind != ColumnKind.Numeric)
                throw new SpecValidationException("label_column",
                    $"{Echo.Quote(LabelColumn)} is {label.Kind.ToString().ToLowerInvariant()}; regression needs a numeric label");
        }
        else if (Task.RequiresLabel())
        {
            throw new SpecValidationException("label_column", $"is required for {Task.ToWireName()}");
        }

        var hasClasses = label is not null && Task != TrainingTask.Regression;
        Evaluation.Validate(Task, hasClasses);
        ValidateClassWeighting(settings);
        var preparation = PreparationPlan.Create(Preparation, columns, label?.Name, settings.Trainer.NormalizesByDefault(Task));
        return new TrainingPlan(settings, label, preparation, Evaluation.Stratified ?? hasClasses);
    }

    /// <summary>Class weighting needs classes and a trainer that reads example weights; custom weights must be positive numbers.</summary>
    private void ValidateClassWeighting(TrainerSettings settings)
    {
        var weighting = Preparation.ClassWeighting ?? ClassWeighting.None;
        if (weighting != ClassWeighting.Custom && Preparation.ClassWeights.Count > 0)
            throw new SpecValidationException("preparation.class_weights", "apply only with class_weighting custom");
        if (weighting == ClassWeighting.None) return;
        if (!Task.IsClassification())
            throw new SpecValidationException("preparation.class_weighting", $"{weighting.ToWireName()} applies to classification, not {Task.ToWireName()}");
        if (!settings.Trainer.TakesExampleWeights(Task))
            throw new SpecValidationException("preparation.class_weighting",
                $"{Echo.Quote(settings.Trainer.Name)} takes no example weights for {Task.ToWireName()}; these do: " +
                string.Join(", ", TrainerCatalogue.List(Task).Where(t => t.TakesExampleWeights(Task)).Select(t => t.Name)));
        if (weighting == ClassWeighting.Custom && Preparation.ClassWeights.Count == 0)
            throw new SpecValidationException("preparation.class_weights", "custom weighting needs a weight for at least one class");
        foreach (var (name, weight) in Preparation.ClassWeights.OrderBy(w => w.Key, StringComparer.Ordinal))
            if (!double.IsFinite(weight) || weight <= 0 || weight > 1e6)
                throw new SpecValidationException($"preparation.class_weights[{name}]", $"{weight.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range; expected a number above 0 and at most 1000000");
    }
}

/// <summary>A spec checked against a data set: what a run needs besides the data.</summary>
/// <param name="Settings">The trainer with every hyperparameter resolved.</param>
/// <param name="Label">The label column; null for clustering without one.</param>
/// <param name="Preparation">The preparation resolved against the columns.</param>
/// <param name="Stratified">Whether the split is stratified by class.</param>
public sealed record TrainingPlan(TrainerSettings Settings, DatasetColumn? Label, PreparationPlan Preparation, bool Stratified);
