namespace Platform.Training.Preparation;

/// <summary>
/// How a job prepares its data before the trainer sees it: which columns are features, what replaces
/// a missing value, how categories and text become numbers, and how the feature vector is scaled.
/// Every statistic (a median, a most frequent value, a vocabulary, a scale) is computed on the training
/// rows only and saved in the model, so prediction applies exactly what training did.
/// The empty preparation (<see cref="Default"/>) is what a job gets when it says nothing.
/// </summary>
public sealed record DataPreparation
{
    /// <summary>Distinct values above which a categorical column is hashed rather than one-hot encoded, by default.</summary>
    public const int DefaultHashingThreshold = 1000;

    /// <summary>Bits of the hash (2^bits slots per column) when a column is hashed, by default.</summary>
    public const int DefaultHashingBits = 16;

    /// <summary>Nothing chosen: every column but the label is a feature, defaults throughout.</summary>
    public static DataPreparation Default { get; } = new();

    /// <summary>When not empty, only these columns are features (the label never is).</summary>
    public IReadOnlyList<string> IncludeColumns { get; init; } = [];

    /// <summary>Columns kept out of the features: identifiers, sensitive attributes, leaks of the label.</summary>
    public IReadOnlyList<string> ExcludeColumns { get; init; } = [];

    /// <summary>
    /// The missing-value policy of every column without one of its own, where it applies (mean and median
    /// apply to numeric columns only; the others keep their own default). Null: mean for numbers, and a
    /// missing category or text stays a value of its own (<see cref="MissingValuePolicy.Indicator"/>).
    /// </summary>
    public MissingValuePolicy? MissingValues { get; init; }

    /// <summary>
    /// How categorical and boolean columns without an encoding of their own are encoded. Null (automatic):
    /// one-hot up to <see cref="HashingThreshold"/> distinct values in the training rows, hashing above.
    /// </summary>
    public CategoricalEncoding? CategoricalEncoding { get; init; }

    /// <summary>Distinct values above which automatic encoding hashes; null for <see cref="DefaultHashingThreshold"/>.</summary>
    public int? HashingThreshold { get; init; }

    /// <summary>Bits of the hash for hashed columns (1 to 24); null for <see cref="DefaultHashingBits"/>.</summary>
    public int? HashingBits { get; init; }

    /// <summary>How the feature vector is scaled; null for the trainer's default (min-max for linear models and k-means, none for trees).</summary>
    public FeatureNormalization? Normalization { get; init; }

    /// <summary>Per-column choices, overriding the defaults above.</summary>
    public IReadOnlyList<ColumnPreparation> Columns { get; init; } = [];

    /// <summary>
    /// Columns marked sensitive on the data set (<see cref="Data.DatasetColumn.Sensitive"/>) that this job may train on.
    /// Every other sensitive column is left out of the features, whatever <see cref="IncludeColumns"/> says.
    /// </summary>
    public IReadOnlyList<string> UseSensitiveColumns { get; init; } = [];

    /// <summary>How classes are weighted in training (classification, trainers that take example weights); null for none.</summary>
    public ClassWeighting? ClassWeighting { get; init; }

    /// <summary>
    /// <see cref="Preparation.ClassWeighting.Custom"/>: the weight of each class named, by its value as the label holds it;
    /// a class not named weighs 1.
    /// </summary>
    public IReadOnlyDictionary<string, double> ClassWeights { get; init; } = new Dictionary<string, double>();
}

/// <summary>How much each training row of a class counts, through ML.NET's example-weight column.</summary>
public enum ClassWeighting
{
    /// <summary>Every row counts once; wire name <c>none</c>.</summary>
    None,
    /// <summary>
    /// A row of class c weighs n / (k × n_c) over the training rows (n rows, k classes, n_c of class c), as scikit-learn's
    /// <c>class_weight="balanced"</c>: every class weighs the same in total. Wire name <c>balanced</c>.
    /// </summary>
    Balanced,
    /// <summary>The weights the job gives per class (<see cref="DataPreparation.ClassWeights"/>); wire name <c>custom</c>.</summary>
    Custom,
}

/// <summary>The preparation of one column.</summary>
public sealed record ColumnPreparation
{
    /// <summary>The column, by its name in the data set.</summary>
    public required string Name { get; init; }

    /// <summary>What replaces a missing value in this column; null for the default.</summary>
    public MissingValuePolicy? MissingValues { get; init; }

    /// <summary>How this column becomes features; null to decide by its type.</summary>
    public ColumnEncoding? Encoding { get; init; }

    /// <summary>A date column's parts, in this order; null for <see cref="Preparation.DateParts.Default"/> (plus the hour where there is time).</summary>
    public IReadOnlyList<DatePart>? DateParts { get; init; }
}

/// <summary>What happens to a missing value.</summary>
public enum MissingValuePolicy
{
    /// <summary>The mean of the training rows (numeric columns); wire name <c>mean</c>.</summary>
    Mean,
    /// <summary>The median of the training rows (numeric columns); wire name <c>median</c>.</summary>
    Median,
    /// <summary>The most frequent value of the training rows, ties to the smallest (numeric or categorical columns); wire name <c>most_frequent</c>.</summary>
    MostFrequent,
    /// <summary>
    /// Rows missing this column are left out of training and evaluation; a model asked to predict such a
    /// row fills in the training mean (numbers) or treats it as a category of its own. Wire name <c>drop_row</c>.
    /// </summary>
    DropRow,
    /// <summary>
    /// Missing becomes information: numbers get the training mean plus a 0/1 feature "was missing";
    /// categories and text keep missing as a value of their own. Wire name <c>indicator</c>.
    /// </summary>
    Indicator,
}

/// <summary>The default encoding of categorical columns.</summary>
public enum CategoricalEncoding
{
    /// <summary>One 0/1 feature per category seen in the training rows; wire name <c>one_hot</c>.</summary>
    OneHot,
    /// <summary>Categories hashed into 2^bits 0/1 features, for high cardinality; wire name <c>hashing</c>.</summary>
    Hashing,
}

/// <summary>How one column becomes features.</summary>
public enum ColumnEncoding
{
    /// <summary>One 0/1 feature per category (numbers too: a numeric code becomes categories); wire name <c>one_hot</c>.</summary>
    OneHot,
    /// <summary>Categories hashed into 2^bits 0/1 features; wire name <c>hashing</c>.</summary>
    Hashing,
    /// <summary>Text: normalised words (unigrams and bigrams) and character trigrams, vocabularies capped (<see cref="TextFeaturization"/>), L2-normalised counts; wire name <c>text</c>.</summary>
    Text,
}

/// <summary>How the feature vector is scaled before the trainer.</summary>
public enum FeatureNormalization
{
    /// <summary>Not scaled; wire name <c>none</c>.</summary>
    None,
    /// <summary>Each feature divided by its largest absolute value in the training rows, into [-1, 1] (zero stays zero, so sparse features stay sparse); wire name <c>min_max</c>.</summary>
    MinMax,
    /// <summary>Each feature scaled to unit variance over the training rows (zero stays zero, so sparse features stay sparse); wire name <c>mean_variance</c>.</summary>
    MeanVariance,
}
