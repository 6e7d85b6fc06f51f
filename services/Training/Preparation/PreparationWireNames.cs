using Platform.Contracts;

namespace Platform.Training.Preparation;

/// <summary>
/// The wire names of the preparation choices (<c>median</c>, <c>one_hot</c>, <c>min_max</c>, …): the
/// strings used in bus messages, the public JSON submission and the records of a model version.
/// </summary>
public static class PreparationWireNames
{
    private static readonly WireNames<MissingValuePolicy> MissingValuePolicies = new(
        (MissingValuePolicy.Mean, "mean"), (MissingValuePolicy.Median, "median"), (MissingValuePolicy.MostFrequent, "most_frequent"),
        (MissingValuePolicy.DropRow, "drop_row"), (MissingValuePolicy.Indicator, "indicator"));

    private static readonly WireNames<CategoricalEncoding> CategoricalEncodings = new(
        (CategoricalEncoding.OneHot, "one_hot"), (CategoricalEncoding.Hashing, "hashing"));

    private static readonly WireNames<ColumnEncoding> ColumnEncodings = new(
        (ColumnEncoding.OneHot, "one_hot"), (ColumnEncoding.Hashing, "hashing"), (ColumnEncoding.Text, "text"));

    private static readonly WireNames<FeatureNormalization> Normalizations = new(
        (FeatureNormalization.None, "none"), (FeatureNormalization.MinMax, "min_max"), (FeatureNormalization.MeanVariance, "mean_variance"));

    private static readonly WireNames<ClassWeighting> ClassWeightings = new(
        (ClassWeighting.None, "none"), (ClassWeighting.Balanced, "balanced"), (ClassWeighting.Custom, "custom"));

    public static string ToWireName(this ClassWeighting value) => ClassWeightings.Name(value);

    /// <inheritdoc cref="ParseMissingValuePolicy"/>
    public static ClassWeighting? ParseClassWeighting(string? name, string field) => ClassWeightings.Parse(name, field);

    public static string ToWireName(this MissingValuePolicy value) => MissingValuePolicies.Name(value);
    public static string ToWireName(this CategoricalEncoding value) => CategoricalEncodings.Name(value);
    public static string ToWireName(this ColumnEncoding value) => ColumnEncodings.Name(value);
    public static string ToWireName(this FeatureNormalization value) => Normalizations.Name(value);

    /// <summary>Parses a missing-value policy; null or empty is "not chosen".</summary>
    /// <exception cref="SpecValidationException">For <paramref name="field"/>, when the name is unknown.</exception>
    public static MissingValuePolicy? ParseMissingValuePolicy(string? name, string field) => MissingValuePolicies.Parse(name, field);

    /// <inheritdoc cref="ParseMissingValuePolicy"/>
    public static CategoricalEncoding? ParseCategoricalEncoding(string? name, string field) => CategoricalEncodings.Parse(name, field);

    /// <inheritdoc cref="ParseMissingValuePolicy"/>
    public static ColumnEncoding? ParseColumnEncoding(string? name, string field) => ColumnEncodings.Parse(name, field);

    /// <inheritdoc cref="ParseMissingValuePolicy"/>
    public static FeatureNormalization? ParseNormalization(string? name, string field) => Normalizations.Parse(name, field);

    private sealed class WireNames<T>(params (T Value, string Name)[] names) where T : struct, Enum
    {
        public string Name(T value) => names.Single(n => EqualityComparer<T>.Default.Equals(n.Value, value)).Name;

        public T? Parse(string? name, string field)
        {
            if (string.IsNullOrEmpty(name)) return null;
            foreach (var (value, wireName) in names)
                if (wireName == name) return value;
            throw new SpecValidationException(field, $"{Echo.Quote(name)} is not one of {string.Join(", ", names.Select(n => n.Name))}");
        }
    }
}
