namespace Platform.Training.Evaluation;

/// <summary>How the figures of an <see cref="EvaluationReport"/> were obtained.</summary>
public enum EvaluationMethod
{
    /// <summary>One model, evaluated on rows held out from its training; wire name <c>holdout</c>.</summary>
    Holdout,
    /// <summary>k models, each evaluated on the fold it did not train on; wire name <c>cross_validation</c>.</summary>
    CrossValidation,
}

/// <summary>
/// Everything a run measured. <see cref="Metrics"/> holds the task's metrics (see <see cref="MetricNames"/>):
/// on the holdout rows, or the mean over the folds of a cross-validation. The per-class figures and the
/// confusion matrix count every evaluated row (pooled over the folds).
/// </summary>
public sealed record EvaluationReport
{
    public required EvaluationMethod Method { get; init; }

    /// <summary>Folds of the cross-validation; 0 for a holdout.</summary>
    public required int Folds { get; init; }

    /// <summary>Share of rows held out; 0 for a cross-validation.</summary>
    public required double HoldoutFraction { get; init; }

    /// <summary>Whether the split kept each class's share in every part.</summary>
    public required bool Stratified { get; init; }

    /// <summary>The task's metrics: holdout figures, or the mean over the folds.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>Cross-validation: the sample standard deviation of each metric over the folds; empty for a holdout.</summary>
    public IReadOnlyDictionary<string, double> StandardDeviations { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Cross-validation: each fold's rows and metrics; empty for a holdout.</summary>
    public IReadOnlyList<FoldEvaluation> FoldResults { get; init; } = [];

    /// <summary>Classification: precision, recall and F1 of every class that occurs among the evaluated rows (as truth or prediction).</summary>
    public IReadOnlyList<ClassEvaluation> Classes { get; init; } = [];

    /// <summary>Classification: counts of evaluated rows by actual and predicted class; null otherwise.</summary>
    public ConfusionMatrix? ConfusionMatrix { get; init; }

    /// <summary>The metric whose decrease measures feature importance (<c>auc</c>, <c>accuracy</c> or <c>r2</c>); null when not measured.</summary>
    public string? ImportanceMetric { get; init; }

    /// <summary>Permutation feature importance, by column in file order; empty when not requested.</summary>
    public IReadOnlyList<FeatureImportance> FeatureImportance { get; init; } = [];

    /// <summary>
    /// One flat map of figures, as a model version and a job result record them: the metrics, the per-class
    /// precision, recall and F1 (<c>f1[spam]</c>), and for a cross-validation each metric's standard deviation (<c>accuracy_std</c>).
    /// </summary>
    public IReadOnlyDictionary<string, double> FlatMetrics()
    {
        var flat = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in Metrics) flat[name] = value;
        foreach (var c in Classes)
        {
            flat[MetricNames.ForClass(MetricNames.Precision, c.Class)] = c.Precision;
            flat[MetricNames.ForClass(MetricNames.Recall, c.Class)] = c.Recall;
            flat[MetricNames.ForClass(MetricNames.F1, c.Class)] = c.F1;
        }
        foreach (var (name, value) in StandardDeviations)
            flat[MetricNames.StandardDeviationOf(name)] = value;
        return flat;
    }
}

/// <summary>One fold of a cross-validation (numbered from 1).</summary>
public sealed record FoldEvaluation(int Fold, long TrainingRows, long EvaluatedRows, IReadOnlyDictionary<string, double> Metrics);

/// <summary>One class's figures; <see cref="Support"/> is how many evaluated rows truly are of the class.</summary>
public sealed record ClassEvaluation(string Class, long Support, double Precision, double Recall, double F1);

/// <summary>Counts of evaluated rows: <c>Counts[actual][predicted]</c>, classes in <see cref="Classes"/> order (binary: negative, positive).</summary>
public sealed record ConfusionMatrix(IReadOnlyList<string> Classes, IReadOnlyList<IReadOnlyList<long>> Counts);

/// <summary>
/// How much the importance metric drops when the column's values are shuffled among the evaluated rows:
/// the mean and sample standard deviation over every shuffle (and fold). Near zero: the model does not rely on it.
/// </summary>
public sealed record FeatureImportance(string Column, double MeanDecrease, double StandardDeviation);
