using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Platform.Training.Data;
using Platform.Training.Pipeline;
using Platform.Contracts;

namespace Platform.Training.Preparation;

/// <summary>
/// A <see cref="PreparationPlan"/> settled on training rows: medians and most frequent values computed,
/// automatic encodings decided. It builds the estimators that go into the model, so a saved model
/// applies the same preparation to whatever it scores, and it describes itself as <see cref="Steps"/>.
/// </summary>
/// <remarks>
/// Mean fill-ins and the vocabularies, hash tables and scales are fitted by ML.NET's own transforms on
/// the same training rows. Fixed values (a median, a most frequent value) are saved as expressions:
/// ML.NET has no saveable "replace with this constant" transform, and an expression is saved as its
/// text, so the model's bytes stay reproducible.
/// </remarks>
internal sealed class FittedPreparation
{
    private readonly PreparationPlan _plan;
    private readonly FittedFeature[] _features;

    private FittedPreparation(PreparationPlan plan, FittedFeature[] features)
    {
        _plan = plan;
        _features = features;
        Steps = Describe();
    }

    /// <summary>What the preparation does, in pipeline order.</summary>
    public IReadOnlyList<PreparationStep> Steps { get; }

    /// <summary>The names of the columns concatenated into the feature vector, in order (a date column: its parts).</summary>
    public IReadOnlyList<string> FeatureColumns =>
        [.. _features.SelectMany(f => f.VectorColumns), .. Indicators.Select(f => ReservedColumns.MissingIndicator(f.Planned.Column.Name))];

    /// <summary>The columns the model adds from date columns (<c>&lt;column&gt;.&lt;part&gt;</c>), in feature order.</summary>
    public IReadOnlyList<string> DatePartColumns => [.. _features.Where(f => f.DateParts is not null).SelectMany(f => f.VectorColumns)];

    private IEnumerable<FittedFeature> Indicators => _features.Where(f =>
        f.Planned.MissingValues == MissingValuePolicy.Indicator && f.Planned.Column.Kind is ColumnKind.Numeric or ColumnKind.Date);

    /// <summary>Settles the plan on <paramref name="training"/>, the rows the model is fitted on.</summary>
    /// <param name="rows">How to name these rows in an error, for example "the 275 training rows".</param>
    /// <exception cref="TrainingDataException">A feature has no value in the training rows.</exception>
    public static FittedPreparation Fit(PreparationPlan plan, IDataView training, string rows, CancellationToken cancellationToken)
    {
        var statistics = plan.Features.Select(f => new ColumnStatistics(f, plan.HashingThreshold)).ToArray();
        var columns = statistics.Select(s => training.Schema[s.Feature.Column.Name]).ToArray();
        using (var cursor = training.GetRowCursor(columns))
        {
            var readers = statistics.Select((s, i) => s.Reader(cursor, columns[i])).ToArray();
            long count = 0;
            while (cursor.MoveNext())
            {
                if ((++count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                foreach (var read in readers) read();
            }
        }
        foreach (var s in statistics.Where(s => s.Present == 0))
            throw new TrainingDataException(s.Feature.Column.Name,
                $"Column {Echo.Quote(s.Feature.Column.Name)} has no value in {rows}; exclude it (preparation.exclude_columns) or use more data.");
        return new FittedPreparation(plan, [.. statistics.Select(s => s.Fitted())]);
    }

    /// <summary>Appends the preparation, the feature vector and its normalization to <paramref name="pipeline"/>.</summary>
    public EstimatorChain<ITransformer> AppendTo(MLContext ml, EstimatorChain<ITransformer> pipeline)
    {
        foreach (var feature in _features.Where(f => f.DateParts is not null))
        {
            var column = feature.Planned.Column.Name;
            // Day of week and day of year are computed from the year, month and day columns, so those come first.
            var parts = feature.DateParts!;
            var needed = parts.Any(p => p is not DatePart.Hour)
                ? new[] { DatePart.Year, DatePart.Month, DatePart.Day }.Concat(parts).Distinct()
                : parts;
            foreach (var part in needed.OrderBy(p => p is DatePart.DayOfWeek or DatePart.DayOfYear))
            {
                var (expression, inputs) = DateParts.Expression(column, part);
                pipeline = pipeline.Append<ITransformer>(ml.Transforms.Expression(DateParts.ColumnName(column, part), expression, inputs));
            }
        }
        foreach (var feature in Indicators)
        {
            var name = feature.Planned.Column.Name;
            var indicator = ReservedColumns.MissingIndicator(name);
            // Every part of a date is missing exactly when the date is: the first one tells.
            var source = feature.DateParts is { } dateParts ? DateParts.ColumnName(name, dateParts[0]) : name;
            pipeline = pipeline
                .Append<ITransformer>(ml.Transforms.IndicateMissingValues(indicator, source))
                .Append<ITransformer>(ml.Transforms.Conversion.ConvertType(indicator, outputKind: DataKind.Single));
        }
        foreach (var feature in _features.Where(f => f.FillExpression is not null))
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Expression(feature.Planned.Column.Name, feature.FillExpression!, feature.Planned.Column.Name));
        var means = Pairs(f => f.FillsMean);
        if (means.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.ReplaceMissingValues(means, MissingValueReplacingEstimator.ReplacementMode.Mean));
        var oneHot = Pairs(f => f.Treatment == FeatureTreatment.OneHot);
        if (oneHot.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotEncoding(oneHot));
        var hashed = Pairs(f => f.Treatment == FeatureTreatment.Hashing);
        if (hashed.Length > 0)
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Categorical.OneHotHashEncoding(hashed, numberOfBits: _plan.HashingBits));
        foreach (var feature in _features.Where(f => f.Treatment == FeatureTreatment.Text))
            pipeline = pipeline.Append<ITransformer>(ml.Transforms.Text.FeaturizeText(feature.Planned.Column.Name, TextFeaturization.Options(), feature.Planned.Column.Name));

        pipeline = pipeline.Append<ITransformer>(ml.Transforms.Concatenate(ReservedColumns.Features, [.. FeatureColumns]));
        return _plan.Normalization switch
        {
            FeatureNormalization.MinMax => pipeline.Append<ITransformer>(ml.Transforms.NormalizeMinMax(ReservedColumns.Features)),
            FeatureNormalization.MeanVariance => pipeline.Append<ITransformer>(ml.Transforms.NormalizeMeanVariance(ReservedColumns.Features)),
            _ => pipeline,
        };
    }

    private InputOutputColumnPair[] Pairs(Func<FittedFeature, bool> predicate) =>
        [.. _features.Where(predicate).SelectMany(f => f.VectorColumns).Select(name => new InputOutputColumnPair(name))];

    private List<PreparationStep> Describe()
    {
        var steps = new List<PreparationStep>();
        void Add(string kind, IEnumerable<string> columns, params (string Key, string Value)[] parameters)
        {
            var list = columns.ToArray();
            if (list.Length > 0)
                steps.Add(new PreparationStep(kind, list, parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)));
        }
        string[] Names(Func<FittedFeature, bool> predicate) => [.. _features.Where(predicate).Select(f => f.Planned.Column.Name)];

        Add(PreparationStep.ExcludeColumns, _plan.ExcludedColumns);
        Add(PreparationStep.DropRowsWithMissingValues, _plan.DropRowColumns.Select(c => c.Name));
        foreach (var feature in _features.Where(f => f.DateParts is not null))
            Add(PreparationStep.DateParts, [feature.Planned.Column.Name], ("parts", string.Join(",", feature.DateParts!.Select(p => p.ToWireName()))));
        Add(PreparationStep.MissingIndicator, Indicators.Select(f => f.Planned.Column.Name), ("prefix", ReservedColumns.MissingIndicatorPrefix));
        foreach (var feature in _features.Where(f => f.FillValue is not null))
            Add(PreparationStep.ReplaceMissingValues, [feature.Planned.Column.Name],
                ("policy", feature.Planned.MissingValues.ToWireName()), ("value", feature.FillValue!));
        Add(PreparationStep.ReplaceMissingValues, _features.Where(f => f.FillsMean).SelectMany(f => f.VectorColumns), ("policy", MissingValuePolicy.Mean.ToWireName()));
        Add(PreparationStep.OneHotEncoding, Names(f => f.Treatment == FeatureTreatment.OneHot));
        Add(PreparationStep.HashEncoding, Names(f => f.Treatment == FeatureTreatment.Hashing),
            ("bits", _plan.HashingBits.ToString(CultureInfo.InvariantCulture)));
        Add(PreparationStep.FeaturizeText, Names(f => f.Treatment == FeatureTreatment.Text), TextFeaturization.StepParameters());
        Add(PreparationStep.ConcatenateFeatures, FeatureColumns);
        if (_plan.Normalization != FeatureNormalization.None)
            Add(PreparationStep.Normalize, [ReservedColumns.Features], ("method", _plan.Normalization.ToWireName()));
        return steps;
    }

    /// <summary>A feature as fitted: its final treatment and, for fixed fill-ins, the value and the expression that applies it.</summary>
    private sealed record FittedFeature(PlannedFeature Planned, FeatureTreatment Treatment, string? FillValue, string? FillExpression)
    {
        /// <summary>A date column's parts as settled (null for every other column).</summary>
        public IReadOnlyList<DatePart>? DateParts { get; init; }

        /// <summary>
        /// Numbers filled with the training mean: the mean policy, the indicator policy (which adds its
        /// 0/1 feature first) and drop_row (whose training rows have no missing value, but a row scored later may);
        /// a date's parts likewise.
        /// </summary>
        public bool FillsMean => Planned.Column.Kind is ColumnKind.Numeric or ColumnKind.Date && FillValue is null;

        /// <summary>The columns this feature puts in the feature vector: itself, or a date's parts.</summary>
        public IEnumerable<string> VectorColumns => DateParts is { } parts
            ? parts.Select(p => Preparation.DateParts.ColumnName(Planned.Column.Name, p))
            : [Planned.Column.Name];
    }

    /// <summary>What one pass over the training rows learns about one feature.</summary>
    private sealed class ColumnStatistics(PlannedFeature feature, int hashingThreshold)
    {
        private readonly List<float> _numbers = [];
        private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

        public PlannedFeature Feature { get; } = feature;

        public long Present { get; private set; }

        // A date column gets the hour by default when a training value holds a time (yyyy-MM-ddTHH…).
        private bool _hasTime;

        private bool KeepsNumbers => Feature.MissingValues is MissingValuePolicy.Median or MissingValuePolicy.MostFrequent;

        // Counting stops one past the threshold: that is all the automatic choice needs to know.
        private bool CountsValues => Feature.MissingValues == MissingValuePolicy.MostFrequent
            || (Feature.Treatment == FeatureTreatment.Automatic && _counts.Count <= hashingThreshold);

        public Action Reader(DataViewRowCursor cursor, DataViewSchema.Column column)
        {
            if (Feature.Column.Kind == ColumnKind.Numeric)
            {
                var get = cursor.GetGetter<float>(column);
                float value = 0;
                return () =>
                {
                    get(ref value);
                    if (float.IsNaN(value)) return;
                    Present++;
                    if (KeepsNumbers) _numbers.Add(value);
                };
            }
            var getText = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> text = default;
            if (Feature.Column.Kind == ColumnKind.Date)
            {
                return () =>
                {
                    getText(ref text);
                    if (text.IsEmpty) return;
                    Present++;
                    _hasTime |= text.Length >= 13;
                };
            }
            var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
            return () =>
            {
                getText(ref text);
                if (text.IsEmpty) return;
                Present++;
                if (!CountsValues) return;
                lookup.TryGetValue(text.Span, out var seen);
                lookup[text.Span] = seen + 1;
            };
        }

        public FittedFeature Fitted()
        {
            var treatment = Feature.Treatment == FeatureTreatment.Automatic
                ? _counts.Count > hashingThreshold ? FeatureTreatment.Hashing : FeatureTreatment.OneHot
                : Feature.Treatment;
            if (Feature.Column.Kind == ColumnKind.Date)
                return new FittedFeature(Feature, treatment, null, null)
                {
                    DateParts = Feature.DateParts ?? (_hasTime ? [.. Preparation.DateParts.Default, DatePart.Hour] : Preparation.DateParts.Default),
                };
            switch (Feature.MissingValues)
            {
                case MissingValuePolicy.Median when Feature.Column.Kind == ColumnKind.Numeric:
                    return WithNumber(treatment, Median());
                case MissingValuePolicy.MostFrequent when Feature.Column.Kind == ColumnKind.Numeric:
                    return WithNumber(treatment, MostFrequentNumber());
                case MissingValuePolicy.MostFrequent:
                    // Ties go to the ordinal-smallest value, so the choice does not depend on row order.
                    var text = _counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key;
                    return new FittedFeature(Feature, treatment, text, $"s => s == \"\" ? {ExpressionText.String(text)} : s");
                default:
                    return new FittedFeature(Feature, treatment, null, null);
            }
        }

        private FittedFeature WithNumber(FeatureTreatment treatment, float value) => new(
            Feature, treatment, value.ToString("R", CultureInfo.InvariantCulture), $"x => isna(x) ? {ExpressionText.Number(value)} : x");

        /// <summary>The middle value; for an even count, the mean of the two middle values (computed in double, rounded to float).</summary>
        private float Median()
        {
            _numbers.Sort();
            var n = _numbers.Count;
            return n % 2 == 1 ? _numbers[n / 2] : (float)(((double)_numbers[(n / 2) - 1] + _numbers[n / 2]) / 2);
        }

        /// <summary>The most frequent value; ties go to the smallest.</summary>
        private float MostFrequentNumber()
        {
            _numbers.Sort();
            float best = _numbers[0];
            int bestCount = 0;
            for (int i = 0, run; i < _numbers.Count; i += run)
            {
                run = 1;
                while (i + run < _numbers.Count && _numbers[i + run].Equals(_numbers[i])) run++;
                if (run > bestCount)
                {
                    best = _numbers[i];
                    bestCount = run;
                }
            }
            return best;
        }
    }
}
