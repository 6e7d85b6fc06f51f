namespace Platform.Training.Pipeline;

/// <summary>
/// Names of the columns the pipeline adds. They are chosen not to collide with data columns (a data
/// set that uses one is rejected), and they are what a user sees in a loaded model's output schema
/// next to ML.NET's own <c>Score</c>, <c>PredictedLabel</c> and <c>Probability</c>.
/// </summary>
public static class ReservedColumns
{
    /// <summary>The label as the trainer sees it: Boolean (binary) or key (multiclass). Regression uses the label column itself.</summary>
    public const string Label = "__label__";

    /// <summary>The feature vector every trainer reads.</summary>
    public const string Features = "__features__";

    /// <summary>Prefix of the 0/1 "was missing" feature of a numeric column with the indicator policy: <c>__missing__.Age</c>.</summary>
    public const string MissingIndicatorPrefix = "__missing__.";

    /// <summary>Each training row's weight under class weighting (ML.NET's example-weight column).</summary>
    public const string Weight = "__weight__";

    /// <summary>Scratch column used while dropping rows with a missing text value; never saved.</summary>
    internal const string Present = "__present__";

    internal static bool IsReserved(string name) =>
        name is Label or Features or Present or Weight || name.StartsWith(MissingIndicatorPrefix, StringComparison.Ordinal);

    internal static string MissingIndicator(string column) => MissingIndicatorPrefix + column;
}
