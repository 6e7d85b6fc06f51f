namespace Platform.Training;

/// <summary>What to train: the job's specification as the trainer needs it.</summary>
public sealed record TrainingSpec
{
    /// <summary>The holdout share used when a job does not choose one.</summary>
    public const double DefaultHoldoutFraction = 0.2;

    public required TrainingTask Task { get; init; }

    /// <summary>The column to predict.</summary>
    public required string LabelColumn { get; init; }

    /// <summary>A trainer name from <see cref="Catalogue.TrainerCatalogue"/>.</summary>
    public required string Trainer { get; init; }

    /// <summary>Hyperparameters by name, values as invariant text; missing ones take the default.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Seeds the split and the trainer: the same seed, data and spec give the same model.</summary>
    public required int Seed { get; init; }

    /// <summary>Share of the labelled rows held out for evaluation, in (0, 0.5].</summary>
    public double HoldoutFraction { get; init; } = DefaultHoldoutFraction;

    /// <summary>Checks <see cref="HoldoutFraction"/>; throws for the field <c>holdout_fraction</c>.</summary>
    public static void ValidateHoldoutFraction(double fraction)
    {
        if (!(fraction > 0 && fraction <= 0.5))
            throw new SpecValidationException("holdout_fraction", $"{fraction} is out of range; expected a share greater than 0 and at most 0.5");
    }
}
