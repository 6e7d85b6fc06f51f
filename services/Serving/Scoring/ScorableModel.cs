using System.Collections.Frozen;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Platform.Training;
using Platform.Training.Preparation;

namespace Platform.Serving.Scoring;

/// <summary>What the registry says of a version that scoring needs: its task, label and preparation, and for a binary model its two classes.</summary>
/// <param name="Steps">The preparation steps (kind and columns) the version records; empty for an uploaded model.</param>
/// <param name="BinaryClasses">Binary classification: [negative, positive] as the label column writes them (from the version's evaluation); null for [false, true].</param>
internal sealed record ModelFacts(
    TrainingTask Task, string? LabelColumn, IReadOnlyList<(string Kind, IReadOnlyList<string> Columns)> Steps, IReadOnlyList<string>? BinaryClasses);

/// <summary>
/// An ML.NET model loaded for serving: the transformer and the schema it reads, what each input column accepts
/// (<see cref="InputSchema"/>), the class names of its answers and, where ML.NET can explain the trainer, the feature
/// contribution calculator. Immutable and shared by every <see cref="ModelScorer"/> of the version.
/// </summary>
internal sealed class ScorableModel
{
    public const string PredictedLabel = "PredictedLabel";
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string ContributionsColumn = "FeatureContributions";

    /// <summary>The annotation of a multiclass Score column that names the classes (ML.NET's AnnotationUtils.Kinds, internal).</summary>
    private const string TrainingLabelValues = "TrainingLabelValues";

    private ScorableModel(ITransformer transformer, DataViewSchema inputSchema, TrainingTask task, InputSchema inputs,
        IReadOnlyList<string> classes, ITransformer? contributions, string featureColumn, IReadOnlyList<string> featureNames)
    {
        Transformer = transformer;
        InputSchema = inputSchema;
        Task = task;
        Inputs = inputs;
        Classes = classes;
        Contributions = contributions;
        FeatureColumn = featureColumn;
        FeatureNames = featureNames;
    }

    public ITransformer Transformer { get; }

    /// <summary>The schema the model reads (its data loader's output).</summary>
    public DataViewSchema InputSchema { get; }

    public TrainingTask Task { get; }

    /// <summary>What each input column accepts.</summary>
    public InputSchema Inputs { get; }

    /// <summary>Classification: the classes, in the order of the model's scores (binary: negative, positive).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The feature contribution calculator, when the model's trainer has one (null otherwise).</summary>
    public ITransformer? Contributions { get; }

    /// <summary>The feature vector the trainer reads.</summary>
    public string FeatureColumn { get; }

    /// <summary>The name of each slot of the feature vector (<c>Island.Biscoe</c>, <c>Body Mass (g)</c>).</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Whether the model can say which features pushed a prediction.</summary>
    public bool Explains => Contributions is not null;

    /// <summary>Loads a model zip (ML.NET, saved with or without its data loader).</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ML.NET model this service can serve; the message says why.</exception>
    public static ScorableModel Load(Stream zip, ModelFacts facts)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(facts);
        var ml = new MLContext(seed: 0);
        // ML.NET finds a saved component's loader in the assemblies registered with the context: the tree trainers'.
        ml.ComponentCatalog.RegisterAssembly(typeof(LightGbmBinaryModelParameters).Assembly);
        ml.ComponentCatalog.RegisterAssembly(typeof(FastTreeBinaryModelParameters).Assembly);
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            transformer = ml.Model.Load(zip, out inputSchema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"the artifact is not an ML.NET model ({ex.GetType().Name}: {ex.Message})", ex);
        }
        if (inputSchema is null)
            throw new InvalidDataException("the model was saved without its input schema or data loader");
        DataViewSchema output;
        try
        {
            output = transformer.GetOutputSchema(inputSchema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"the model does not apply to its own input schema ({ex.Message})", ex);
        }
        if (output.GetColumnOrNull(Score) is null && output.GetColumnOrNull(PredictedLabel) is null)
            throw new InvalidDataException("the model has no Score or PredictedLabel column: it is not a predictor");

        var inputs = new InputSchema([.. inputSchema.Select(column => Describe(column, facts, output))]);
        var classes = facts.Task switch
        {
            TrainingTask.BinaryClassification => facts.BinaryClasses is [_, _] two ? two : ["false", "true"],
            TrainingTask.MulticlassClassification => ClassNames(output),
            _ => [],
        };
        var (contributions, featureColumn, featureNames) = Explainer(ml, transformer, inputSchema, output);
        return new ScorableModel(transformer, inputSchema, facts.Task, inputs, classes, contributions, featureColumn, featureNames);
    }

    private static InputColumn Describe(DataViewSchema.Column column, ModelFacts facts, DataViewSchema output)
    {
        var raw = column.Type.RawType;
        var type = raw == typeof(ReadOnlyMemory<char>) ? InputType.Text
            : raw == typeof(bool) ? InputType.Boolean
            : raw == typeof(float) || raw == typeof(double) || raw == typeof(int) || raw == typeof(long) ? InputType.Number
            : throw new InvalidDataException($"input column '{column.Name}' has the type {column.Type}, which serving cannot fill");
        bool Named(string kind) => facts.Steps.Any(step => step.Kind == kind && step.Columns.Contains(column.Name, StringComparer.Ordinal));
        var read = !string.Equals(column.Name, facts.LabelColumn, StringComparison.Ordinal) && !Named(PreparationStep.ExcludeColumns);
        var fillsMissing = Named(PreparationStep.ReplaceMissingValues) || Named(PreparationStep.MissingIndicator);
        var categories = type == InputType.Text && Named(PreparationStep.OneHotEncoding) ? Categories(output, column.Name) : null;
        return new InputColumn(column.Index, column.Name, type, read, fillsMissing, categories);
    }

    /// <summary>A one-hot encoded column's categories: the slot names of its encoded vector (transformed in place, under the same name).</summary>
    private static FrozenSet<string>? Categories(DataViewSchema output, string name)
    {
        if (output.GetColumnOrNull(name) is not { Type: VectorDataViewType } encoded || !encoded.HasSlotNames()) return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        encoded.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).Where(n => n.Length > 0).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>A multiclass model's classes in score order: the label values it was trained on.</summary>
    private static IReadOnlyList<string> ClassNames(DataViewSchema output)
    {
        var score = output[Score];
        VBuffer<ReadOnlyMemory<char>> names = default;
        if (score.Annotations.Schema.GetColumnOrNull(TrainingLabelValues) is not null)
            score.Annotations.GetValue(TrainingLabelValues, ref names);
        else if (score.HasSlotNames())
            score.GetSlotNames(ref names);
        return [.. names.DenseValues().Select(n => n.ToString())];
    }

    /// <summary>
    /// The feature contribution calculator of the model's predictor, when ML.NET has one for it (linear models, GAMs,
    /// FastTree, FastForest and LightGBM: binary and regression; not one-versus-all or other multiclass predictors, nor
    /// k-means).
    /// </summary>
    private static (ITransformer? Calculator, string FeatureColumn, IReadOnlyList<string> FeatureNames) Explainer(
        MLContext ml, ITransformer transformer, DataViewSchema input, DataViewSchema output)
    {
        var predictor = (transformer as IEnumerable<ITransformer>)?.OfType<ISingleFeaturePredictionTransformer<object>>().LastOrDefault()
                        ?? transformer as ISingleFeaturePredictionTransformer<object>;
        if (predictor is null || output.GetColumnOrNull(predictor.FeatureColumnName) is not { } features) return (null, "", []);
        try
        {
            if (ContributionEstimator(ml, predictor) is not { } estimator) return (null, "", []);
            var calculator = estimator.Fit(new EmptyDataView(transformer.GetOutputSchema(input)));
            VBuffer<ReadOnlyMemory<char>> names = default;
            if (features.HasSlotNames()) features.GetSlotNames(ref names);
            return (calculator, features.Name, [.. names.DenseValues().Select(n => n.ToString())]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException or System.Reflection.TargetInvocationException)
        {
            return (null, "", []);
        }
    }

    /// <summary>
    /// ML.NET's calculator for the predictor: directly for an uncalibrated one; for a calibrated binary model (its
    /// predictor wraps the trees or weights with a calibrator) through the generic overload for calibrated models, whose
    /// type arguments are only known once the model is loaded.
    /// </summary>
    private static IEstimator<ITransformer>? ContributionEstimator(MLContext ml, ISingleFeaturePredictionTransformer<object> predictor)
    {
        const int all = int.MaxValue / 4;
        if (predictor is ISingleFeaturePredictionTransformer<ICalculateFeatureContribution> explainable)
            return ml.Transforms.CalculateFeatureContribution(explainable, all, all, normalize: true);
        var calibrated = predictor.Model.GetType();
        while (calibrated is not null && !(calibrated.IsGenericType && calibrated.GetGenericTypeDefinition() == typeof(CalibratedModelParametersBase<,>)))
            calibrated = calibrated.BaseType;
        if (calibrated?.GetGenericArguments() is not [var inner, var calibrator] || !typeof(ICalculateFeatureContribution).IsAssignableFrom(inner))
            return null;
        var overload = typeof(ExplainabilityCatalog).GetMethods()
            .Single(m => m.Name == nameof(ExplainabilityCatalog.CalculateFeatureContribution) && m.IsGenericMethodDefinition);
        return (IEstimator<ITransformer>?)overload.MakeGenericMethod(inner, calibrator).Invoke(null, [ml.Transforms, predictor, all, all, true]);
    }

    /// <summary>No rows, a schema: what fitting the contribution calculator needs (it learns nothing from rows).</summary>
    private sealed class EmptyDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(Schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(Schema)];

        private sealed class Cursor(DataViewSchema schema) : DataViewRowCursor
        {
            public override DataViewSchema Schema { get; } = schema;
            public override long Position => -1;
            public override long Batch => 0;
            public override bool MoveNext() => false;
            public override bool IsColumnActive(DataViewSchema.Column column) => false;
            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => throw new InvalidOperationException("No rows.");
            public override ValueGetter<DataViewRowId> GetIdGetter() => throw new InvalidOperationException("No rows.");
        }
    }
}
