using Platform.Contracts;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Grpc;

/// <summary>
/// Between the <c>platform.jobs.v1</c> preparation and evaluation messages and the bus's spec records, where
/// choices travel as wire names (<c>median</c>, <c>one_hot</c>, <c>min_max</c>). An enum number this
/// build does not know becomes a name that validation rejects, naming the field.
/// </summary>
internal static class SpecMapping
{
    public static PreparationSpec? FromProto(Preparation? proto) => proto is null ? null : new PreparationSpec
    {
        IncludeColumns = [.. proto.IncludeColumns],
        ExcludeColumns = [.. proto.ExcludeColumns],
        MissingValues = Name(proto.MissingValues),
        CategoricalEncoding = Name(proto.CategoricalEncoding),
        HashingThreshold = proto.HashingThreshold == 0 ? null : proto.HashingThreshold,
        HashingBits = proto.HashingBits == 0 ? null : proto.HashingBits,
        Normalization = Name(proto.Normalization),
        Columns = [.. proto.Columns.Select(c => new ColumnPreparationSpec
        {
            Name = c.Name,
            MissingValues = Name(c.MissingValues),
            Encoding = Name(c.Encoding),
            DateParts = [.. c.DateParts.Select(p => Name(p) ?? "")],
        })],
        UseSensitiveColumns = [.. proto.UseSensitiveColumns],
        ClassWeighting = Name(proto.ClassWeighting),
        ClassWeights = proto.ClassWeights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal),
    };

    public static EvaluationOptions? FromProto(EvaluationSpec? proto) => proto is null ? null : new EvaluationOptions
    {
        Folds = proto.Folds,
        Stratified = proto.HasStratified ? proto.Stratified : null,
        FeatureImportance = proto.FeatureImportance,
        Permutations = proto.Permutations,
        ParallelFolds = proto.ParallelFolds,
    };

    public static Preparation ToProto(this PreparationSpec spec)
    {
        var proto = new Preparation
        {
            MissingValues = Value<MissingValuePolicy>(spec.MissingValues),
            CategoricalEncoding = Value<CategoricalEncoding>(spec.CategoricalEncoding),
            HashingThreshold = spec.HashingThreshold ?? 0,
            HashingBits = spec.HashingBits ?? 0,
            Normalization = Value<Normalization>(spec.Normalization),
            ClassWeighting = Value<ClassWeighting>(spec.ClassWeighting),
        };
        proto.ClassWeights.Add(spec.ClassWeights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal));
        proto.IncludeColumns.Add(spec.IncludeColumns);
        proto.ExcludeColumns.Add(spec.ExcludeColumns);
        proto.UseSensitiveColumns.Add(spec.UseSensitiveColumns);
        proto.Columns.Add(spec.Columns.Select(c => new ColumnPreparation
        {
            Name = c.Name,
            MissingValues = Value<MissingValuePolicy>(c.MissingValues),
            Encoding = Value<ColumnEncoding>(c.Encoding),
            DateParts = { c.DateParts.Select(Value<DatePart>) },
        }));
        return proto;
    }

    public static EvaluationSpec ToProto(this EvaluationOptions options)
    {
        var proto = new EvaluationSpec
        {
            Folds = options.Folds, FeatureImportance = options.FeatureImportance, Permutations = options.Permutations, ParallelFolds = options.ParallelFolds,
        };
        if (options.Stratified is { } stratified) proto.Stratified = stratified;
        return proto;
    }

    public static Evaluation ToProto(this EvaluationResult result)
    {
        var proto = new Evaluation
        {
            Method = result.Method,
            Folds = result.Folds,
            HoldoutFraction = result.HoldoutFraction,
            Stratified = result.Stratified,
            ImportanceMetric = result.ImportanceMetric ?? "",
        };
        foreach (var (name, value) in result.Metrics) proto.Metrics[name] = value;
        foreach (var (name, value) in result.StandardDeviations) proto.StandardDeviations[name] = value;
        foreach (var fold in result.FoldResults)
        {
            var message = new FoldEvaluation { Fold = fold.Fold, TrainingRows = fold.TrainingRows, EvaluatedRows = fold.EvaluatedRows };
            foreach (var (name, value) in fold.Metrics) message.Metrics[name] = value;
            proto.FoldResults.Add(message);
        }
        proto.Classes.Add(result.Classes.Select(c => new ClassEvaluation
        {
            ClassName = c.Class, Support = c.Support, Precision = c.Precision, Recall = c.Recall, F1 = c.F1,
        }));
        if (result.ConfusionClasses.Count > 0)
        {
            proto.ConfusionMatrix = new ConfusionMatrix();
            proto.ConfusionMatrix.Classes.Add(result.ConfusionClasses);
            proto.ConfusionMatrix.Counts.Add(result.ConfusionCounts.SelectMany(row => row));
        }
        proto.FeatureImportance.Add(result.FeatureImportance.Select(f => new FeatureImportance
        {
            Column = f.Column, MeanDecrease = f.MeanDecrease, StandardDeviation = f.StandardDeviation,
        }));
        return proto;
    }

    // The wire name is the enum value's proto name without its prefix, lower-cased:
    // MISSING_VALUE_POLICY_MOST_FREQUENT is "most_frequent". Protobuf's C# names are its PascalCase.
    private static string? Name<T>(T value) where T : struct, Enum
    {
        if (Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) == 0) return null;
        return Enum.IsDefined(value) ? Snake(value.ToString()) : $"value number {Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static T Value<T>(string? name) where T : struct, Enum
    {
        if (string.IsNullOrEmpty(name)) return default;
        foreach (var value in Enum.GetValues<T>())
            if (Snake(value.ToString()) == name) return value;
        return default;
    }

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
