namespace Platform.Training;

/// <summary>
/// The names of the metrics a training run reports, by task, and how a flat metric map spells the
/// per-class figures (<c>f1[spam]</c>) and, for a cross-validation, the standard deviation over the folds
/// (<c>accuracy_std</c>).
/// </summary>
public static class MetricNames
{
    /// <summary>Classification: share of rows predicted right.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Binary: area under the ROC curve.</summary>
    public const string Auc = "auc";
    /// <summary>Binary: area under the precision-recall curve (of the positive class).</summary>
    public const string PrAuc = "pr_auc";
    /// <summary>Binary: F1 of the positive class; per class: that class's F1.</summary>
    public const string F1 = "f1";
    /// <summary>Binary: precision of the positive class; per class: that class's precision.</summary>
    public const string Precision = "precision";
    /// <summary>Binary: recall of the positive class; per class: that class's recall.</summary>
    public const string Recall = "recall";
    /// <summary>Classification: mean log-loss (binary: only for calibrated trainers).</summary>
    public const string LogLoss = "log_loss";
    /// <summary>Multiclass: mean of per-class accuracy (ML.NET's macro accuracy).</summary>
    public const string MacroAccuracy = "macro_accuracy";
    /// <summary>Classification: unweighted mean of per-class precision.</summary>
    public const string MacroPrecision = "macro_precision";
    /// <summary>Classification: unweighted mean of per-class recall.</summary>
    public const string MacroRecall = "macro_recall";
    /// <summary>Classification: unweighted mean of per-class F1.</summary>
    public const string MacroF1 = "macro_f1";
    /// <summary>Classification: precision over all rows pooled (equal to accuracy when each row has one class).</summary>
    public const string MicroPrecision = "micro_precision";
    /// <summary>Classification: recall over all rows pooled (equal to accuracy when each row has one class).</summary>
    public const string MicroRecall = "micro_recall";
    /// <summary>Classification: F1 over all rows pooled (equal to accuracy when each row has one class).</summary>
    public const string MicroF1 = "micro_f1";
    /// <summary>Regression: root mean squared error.</summary>
    public const string Rmse = "rmse";
    /// <summary>Regression: mean absolute error.</summary>
    public const string Mae = "mae";
    /// <summary>Regression: coefficient of determination.</summary>
    public const string R2 = "r2";
    /// <summary>Clustering: mean distance from each row to its cluster's centre.</summary>
    public const string AverageDistance = "average_distance";
    /// <summary>Clustering: Davies-Bouldin index (lower is better).</summary>
    public const string DaviesBouldin = "davies_bouldin";
    /// <summary>Clustering with a label: normalized mutual information between clusters and classes.</summary>
    public const string NormalizedMutualInformation = "normalized_mutual_information";

    /// <summary>
    /// The task's own metrics, the ones a sweep may optimise (binary <c>log_loss</c> only with a calibrated trainer;
    /// clustering's <c>normalized_mutual_information</c> only with a label).
    /// </summary>
    public static IReadOnlyList<string> ReportedBy(TrainingTask task) => task switch
    {
        TrainingTask.BinaryClassification =>
            [Accuracy, Auc, PrAuc, F1, Precision, Recall, LogLoss, MacroPrecision, MacroRecall, MacroF1, MicroPrecision, MicroRecall, MicroF1],
        TrainingTask.MulticlassClassification =>
            [Accuracy, MacroAccuracy, LogLoss, MacroPrecision, MacroRecall, MacroF1, MicroPrecision, MicroRecall, MicroF1],
        TrainingTask.Regression => [Rmse, Mae, R2],
        _ => [AverageDistance, DaviesBouldin, NormalizedMutualInformation],
    };

    /// <summary>Whether smaller values of <paramref name="metric"/> are better (errors, losses, distances).</summary>
    public static bool LowerIsBetter(string metric) => metric is Rmse or Mae or LogLoss or AverageDistance or DaviesBouldin;

    /// <summary>A per-class figure in a flat metric map: <c>precision[setosa]</c>.</summary>
    public static string ForClass(string metric, string className) => $"{metric}[{className}]";

    /// <summary>The standard deviation over the folds of a cross-validation, in a flat metric map: <c>accuracy_std</c>.</summary>
    public static string StandardDeviationOf(string metric) => metric + "_std";
}
