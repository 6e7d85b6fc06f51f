using Platform.Models.V1;

namespace Platform.ModelStore.Models;

/// <summary>
/// Which way each metric a version records improves (docs/training.md lists what each measures): errors, losses and
/// cluster spreads are better smaller, every other figure (accuracy, F1, precision, recall, AUC, R², mutual
/// information, and their per-class and averaged forms) is better larger.
/// </summary>
public static class MetricDirections
{
    /// <summary>How a flat metric map spells a cross-validation's standard deviation over the folds: <c>accuracy_std</c>.</summary>
    public const string StandardDeviationSuffix = "_std";

    private static readonly HashSet<string> LowerIsBetter = new(StringComparer.Ordinal)
    {
        "log_loss", "rmse", "mae", "mse", "average_distance", "davies_bouldin",
    };

    /// <summary>The direction of a metric, per-class forms (<c>log_loss[spam]</c>) as their metric.</summary>
    public static MetricDirection Of(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var bracket = metric.IndexOf('[', StringComparison.Ordinal);
        return LowerIsBetter.Contains(bracket < 0 ? metric : metric[..bracket])
            ? MetricDirection.LowerIsBetter
            : MetricDirection.HigherIsBetter;
    }

    /// <summary>The name of a metric's standard deviation over the folds.</summary>
    public static string StandardDeviationOf(string metric) => metric + StandardDeviationSuffix;
}
