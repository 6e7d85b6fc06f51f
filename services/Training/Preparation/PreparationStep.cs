namespace Platform.Training.Preparation;

/// <summary>
/// One step of a fitted preparation, as a model version records it: what was done (<see cref="Kind"/>),
/// to which columns, with which fitted values. Kinds, in pipeline order:
/// <c>exclude_columns</c>, <c>drop_rows_with_missing_values</c> (training rows only), <c>date_parts</c> (<c>parts</c>:
/// the numbers taken from a date column, each a feature column <c>&lt;column&gt;.&lt;part&gt;</c>), <c>missing_indicator</c>,
/// <c>replace_missing_values</c> (<c>policy</c>, and <c>value</c> for median and most frequent),
/// <c>one_hot_encoding</c>, <c>hash_encoding</c> (<c>bits</c>), <c>featurize_text</c>, <c>concatenate_features</c>
/// (the feature columns in vector order) and <c>normalize</c> (<c>method</c>); then, with class weighting,
/// <c>class_weights</c> on the label (<c>weighting</c>, and <c>weight[class]</c> for each class, as the saved model's training rows weigh it).
/// </summary>
public sealed record PreparationStep(string Kind, IReadOnlyList<string> Columns, IReadOnlyDictionary<string, string> Parameters)
{
    public const string ExcludeColumns = "exclude_columns";
    public const string DropRowsWithMissingValues = "drop_rows_with_missing_values";
    public const string DateParts = "date_parts";
    public const string MissingIndicator = "missing_indicator";
    public const string ReplaceMissingValues = "replace_missing_values";
    public const string OneHotEncoding = "one_hot_encoding";
    public const string HashEncoding = "hash_encoding";
    public const string FeaturizeText = "featurize_text";
    public const string ConcatenateFeatures = "concatenate_features";
    public const string Normalize = "normalize";
    public const string ClassWeights = "class_weights";
}
