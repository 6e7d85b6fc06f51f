using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using Platform.Training.Data;

namespace Platform.Benchmarks;

/// <summary>
/// The baseline of the tabular quality figures: a multiclass classification of a CSV file written as an ML.NET user
/// writes it. ML.NET's text loader (numbers as floats, an empty field missing), the label mapped to a key, missing
/// numbers replaced by the mean, categorical columns one-hot encoded, every feature concatenated in column order,
/// min-max scaling for the linear trainer, and the trainer with the platform catalogue's default options and the seed
/// (<see cref="CatalogueDefaults"/>). Evaluated on the platform's folds (<see cref="RawEvaluation"/>); the metric is
/// micro accuracy.
/// </summary>
public static class RawTabularClassification
{
    /// <summary>Trainers the baseline writes out.</summary>
    public static readonly string[] Trainers = ["lightgbm", "sdca_maximum_entropy"];

    /// <summary>What the baseline's pipeline does for these columns and trainer, for a figure's mode.</summary>
    public static string Describe(IReadOnlyList<DatasetColumn> columns, string label, string trainer)
    {
        var features = columns.Where(c => c.Name != label).ToArray();
        return string.Join(", ", new[]
        {
            features.Any(c => c.Kind == ColumnKind.Numeric) ? "mean fill-in" : null,
            features.Any(c => c.Kind != ColumnKind.Numeric) ? "one-hot" : null,
            "concatenated",
            Linear(trainer) ? "min-max" : null,
            $"{trainer} with the catalogue's defaults",
        }.OfType<string>());
    }

    private static bool Linear(string trainer) => trainer != "lightgbm";

    /// <param name="columns">The file's columns in order: numeric ones are numbers, every other one a category.</param>
    /// <param name="trainer">One of <see cref="Trainers"/>.</param>
    public static RawEvaluation.Outcome Run(string csv, IReadOnlyList<DatasetColumn> columns, string label, string trainer, int seed, int folds)
    {
        var features = columns.Where(c => c.Name != label).ToArray();
        InputOutputColumnPair[] Pairs(bool numeric) =>
            [.. features.Where(c => c.Kind == ColumnKind.Numeric == numeric).Select(c => new InputOutputColumnPair(c.Name))];
        return RawEvaluation.Run(
            ml => ml.Data.LoadFromTextFile(csv, new TextLoader.Options
            {
                Columns = [.. columns.Select((c, i) => new TextLoader.Column(c.Name, c.Kind == ColumnKind.Numeric ? DataKind.Single : DataKind.String, i))],
                HasHeader = true,
                Separators = [','],
                AllowQuoting = true,
                MissingRealsAsNaNs = true,
            }),
            label, seed, folds, holdoutFraction: 0,
            (ml, trainers) =>
            {
                var pipeline = new EstimatorChain<ITransformer>().Append<ITransformer>(ml.Transforms.Conversion.MapValueToKey("Label", label));
                if (Pairs(numeric: true) is { Length: > 0 } numbers)
                    pipeline = pipeline.Append<ITransformer>(ml.Transforms.ReplaceMissingValues(numbers, MissingValueReplacingEstimator.ReplacementMode.Mean));
                if (Pairs(numeric: false) is { Length: > 0 } categories)
                    pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(categories));
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate("Features", [.. features.Select(c => c.Name)]));
                switch (trainer)
                {
                    case "lightgbm":
                        var lightGbm = new LightGbmMulticlassTrainer.Options();
                        CatalogueDefaults.LightGbm(lightGbm, seed);
                        return pipeline.Append<ITransformer>(trainers.MulticlassClassification.Trainers.LightGbm(lightGbm));
                    case "sdca_maximum_entropy":
                        var sdca = new SdcaMaximumEntropyMulticlassTrainer.Options();
                        CatalogueDefaults.Sdca(sdca);
                        return pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax("Features")).AppendCacheCheckpoint(ml)
                            .Append<ITransformer>(trainers.MulticlassClassification.Trainers.SdcaMaximumEntropy(sdca));
                    default:
                        throw new ArgumentOutOfRangeException(nameof(trainer), trainer, "Not a trainer the baseline writes out.");
                }
            },
            (ml, scored) => ml.MulticlassClassification.Evaluate(scored, "Label").MicroAccuracy);
    }
}
