using Microsoft.ML;
using Platform.Training.Data;
using Platform.Training.Pipeline;

namespace Platform.Training.Evaluation;

/// <summary>
/// Permutation feature importance by data column (not by slot of the feature vector, so a one-hot encoded
/// or text column counts once): shuffle the column's values among the evaluated rows, score again with the
/// same model, and record how much the importance metric drops. Shuffles come from the job's seed.
/// </summary>
internal static class PermutationImportance
{
    /// <summary>The metric whose drop is measured: AUC (binary), accuracy (multiclass) or R² (regression); all are higher-is-better.</summary>
    public static string MetricFor(TrainingTask task) => task switch
    {
        TrainingTask.BinaryClassification => MetricNames.Auc,
        TrainingTask.MulticlassClassification => MetricNames.Accuracy,
        TrainingTask.Regression => MetricNames.R2,
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "Feature importance needs a prediction to score."),
    };

    /// <summary>
    /// The drops of the importance metric for each column, <paramref name="permutations"/> per column, in column order.
    /// </summary>
    public static Dictionary<string, List<double>> Measure(
        MLContext ml, ITransformer model, IDataView evaluated, double baseline, IReadOnlyList<DatasetColumn> columns,
        TrainingTask task, LabelColumn label, bool calibrated, int permutations, int seed, CancellationToken cancellationToken)
    {
        var metric = MetricFor(task);
        var rows = checked((int)(evaluated.GetRowCount() ?? throw new InvalidOperationException("The evaluated rows must be counted.")));
        var random = new SeededRandom(seed);
        var drops = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            var list = drops[column.Name] = [];
            var schemaColumn = evaluated.Schema[column.Name];
            // Read once, shuffled many times.
            var numbers = column.Kind == ColumnKind.Numeric ? PermutedColumn<float>.Read(evaluated, schemaColumn) : null;
            var texts = numbers is null ? PermutedColumn<ReadOnlyMemory<char>>.Read(evaluated, schemaColumn) : null;
            for (var r = 0; r < permutations; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var permutation = Enumerable.Range(0, rows).ToArray();
                random.Shuffle(permutation);
                IDataView shuffled = numbers is not null
                    ? new PermutedColumn<float>(evaluated, schemaColumn, numbers, permutation)
                    : new PermutedColumn<ReadOnlyMemory<char>>(evaluated, schemaColumn, texts!, permutation);
                var score = ModelEvaluation.Evaluate(ml, model.Transform(shuffled), task, label, calibrated);
                list.Add(baseline - score.Metrics[metric]);
            }
        }
        return drops;
    }

    /// <summary>Mean and sample standard deviation of each column's drops (pooled over folds), in column order.</summary>
    public static IReadOnlyList<FeatureImportance> Summarize(IReadOnlyList<DatasetColumn> columns, IEnumerable<Dictionary<string, List<double>>> folds)
    {
        var pooled = columns.ToDictionary(c => c.Name, _ => new List<double>(), StringComparer.Ordinal);
        foreach (var fold in folds)
            foreach (var (column, drops) in fold)
                pooled[column].AddRange(drops);
        return [.. columns.Select(c => new FeatureImportance(c.Name, ModelEvaluation.Mean(pooled[c.Name]), ModelEvaluation.StandardDeviation(pooled[c.Name])))];
    }
}
