namespace Platform.Training;

/// <summary>The names of the metrics a training run reports, by task.</summary>
public static class MetricNames
{
    /// <summary>Share of rows predicted right (micro accuracy for multiclass).</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Binary: area under the ROC curve.</summary>
    public const string Auc = "auc";
    /// <summary>Binary: F1 of the positive class.</summary>
    public const string F1 = "f1";
    /// <summary>Binary: precision of the positive class.</summary>
    public const string Precision = "precision";
    /// <summary>Binary: recall of the positive class.</summary>
    public const string Recall = "recall";
    /// <summary>Classification: mean log-loss (binary: only for calibrated trainers).</summary>
    public const string LogLoss = "log_loss";
    /// <summary>Multiclass: mean of per-class accuracy (ML.NET's macro accuracy).</summary>
    public const string MacroAccuracy = "macro_accuracy";
    /// <summary>Multiclass: unweighted mean of per-class precision.</summary>
    public const string MacroPrecision = "macro_precision";
    /// <summary>Multiclass: unweighted mean of per-class recall.</summary>
    public const string MacroRecall = "macro_recall";
    /// <summary>Multiclass: unweighted mean of per-class F1.</summary>
    public const string MacroF1 = "macro_f1";
    /// <summary>Regression: root mean squared error.</summary>
    public const string Rmse = "rmse";
    /// <summary>Regression: mean absolute error.</summary>
    public const string Mae = "mae";
    /// <summary>Regression: coefficient of determination.</summary>
    public const string R2 = "r2";
}
