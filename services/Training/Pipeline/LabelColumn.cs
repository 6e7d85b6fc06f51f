using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;
using Platform.Contracts;

namespace Platform.Training.Pipeline;

/// <summary>
/// What the label column holds (found by one pass over it) and how the pipeline turns it into what
/// the trainer wants.
/// </summary>
/// <remarks>
/// Binary classification accepts any label with exactly two distinct non-missing values. The
/// positive class (<c>true</c> for ML.NET, the class whose probability is reported) is: for a
/// numeric label, the greater number (1 of 0/1); for a boolean label, <c>true</c>; for a categorical
/// label, the greater value in ordinal string order (so "yes" over "no", "MALE" over "FEMALE"),
/// as scikit-learn's label encoding does. Multiclass classes are keyed in the same sorted order,
/// over every class in the data set (not only those that landed in the training split).
/// </remarks>
internal sealed class LabelColumn
{
    private readonly bool _byMeaning;

    private LabelColumn(
        DatasetColumn source, string trainingColumn, long rows, long missing, IReadOnlyList<string> classes,
        IEstimator<ITransformer>? stage, LabelValues values, bool byMeaning = false)
    {
        Values = values;
        _byMeaning = byMeaning;
        Source = source;
        TrainingColumn = trainingColumn;
        Rows = rows;
        Missing = missing;
        Classes = classes;
        Stage = stage;
    }

    public DatasetColumn Source { get; }

    /// <summary>The column the trainer and evaluator read as the label.</summary>
    public string TrainingColumn { get; }

    /// <summary>Rows in the data set.</summary>
    public long Rows { get; }

    /// <summary>Rows whose label is missing; they are dropped before the split.</summary>
    public long Missing { get; }

    /// <summary>The label's values over every row of the data set, as the pass that profiled it counted them (for the model card).</summary>
    public LabelValues Values { get; }

    /// <summary>Classification: the classes as text, in key order; binary: [negative, positive].</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The model's first stage: label conversion (none for regression).</summary>
    public IEstimator<ITransformer>? Stage { get; }

    /// <summary>Binary: the negative and the positive class, as the predictions CSV writes them.</summary>
    public string Negative => Classes[0];

    public string Positive => Classes[1];

    /// <summary>
    /// Reads the label column once and plans the label handling for <paramref name="task"/>. A clustering
    /// label (optional, only to measure how well the clusters match it) is keyed as a multiclass label is.
    /// </summary>
    /// <param name="alsoRead">Other columns the same pass reads, so the caller learns about them without a pass of its own.</param>
    /// <param name="onRow">Given the pass's cursor, what to do with each row; told whether the row has a label.</param>
    /// <exception cref="TrainingDataException">The label cannot serve the task.</exception>
    public static LabelColumn Prepare(
        MLContext ml, IDataView data, DatasetColumn column, TrainingTask task, CancellationToken cancellationToken,
        IReadOnlyList<string>? alsoRead = null, Func<DataViewRowCursor, Action<bool>>? onRow = null)
    {
        if (task == TrainingTask.Regression && column.Kind != ColumnKind.Numeric)
            throw new TrainingDataException(column.Name,
                $"Label column {Echo.Quote(column.Name)} is {column.Kind.ToString().ToLowerInvariant()}; regression needs a numeric label.");

        var label = data.Schema[column.Name];
        using var cursor = data.GetRowCursor([label, .. (alsoRead ?? []).Where(name => name != column.Name).Select(name => data.Schema[name])]);
        var observe = onRow?.Invoke(cursor) ?? (_ => { });
        return column.Kind == ColumnKind.Numeric
            ? PrepareNumeric(ml, cursor, label, observe, column, task, cancellationToken)
            : PrepareText(ml, cursor, label, observe, column, task, cancellationToken);
    }

    private static LabelColumn PrepareNumeric(
        MLContext ml, DataViewRowCursor cursor, DataViewSchema.Column label, Action<bool> observe, DatasetColumn column, TrainingTask task, CancellationToken cancellationToken)
    {
        long rows = 0, missing = 0;
        // Classification counts each class; a regression keeps every value (a float a row) for the label's spread.
        var values = new Dictionary<float, long>();
        var numbers = new List<float>();
        var classification = task != TrainingTask.Regression;
        var get = cursor.GetGetter<float>(label);
        float value = 0;
        while (cursor.MoveNext())
        {
            if ((++rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            get(ref value);
            var present = !float.IsNaN(value);
            observe(present);
            if (!present) missing++;
            else if (classification) CollectionsMarshal.GetValueRefOrAddDefault(values, value, out _)++;
            else numbers.Add(value);
        }
        CheckPresent(column, rows, missing);

        if (task == TrainingTask.Regression)
            return new LabelColumn(column, column.Name, rows, missing, [], null, new LabelValues(rows, missing, [], [.. numbers]));

        var counted = new LabelValues(rows, missing, [.. values.Select(v => (Format(v.Key), v.Value))], null);
        var sorted = values.Keys.Order().ToArray();
        var classes = CheckClasses(column, task, [.. sorted.Select(Format)]);
        if (task == TrainingTask.BinaryClassification)
        {
            return new LabelColumn(column, ReservedColumns.Label, rows, missing, classes,
                IsPositive(ml, column, $"x => x == {ExpressionText.Number(sorted[1])}"), counted);
        }
        var keys = ml.Data.LoadFromEnumerable(sorted.Select(v => new NumericClass { Value = v }));
        return new LabelColumn(column, ReservedColumns.Label, rows, missing, classes,
            ml.Transforms.Conversion.MapValueToKey(ReservedColumns.Label, column.Name, keyData: keys), counted);
    }

    private static LabelColumn PrepareText(
        MLContext ml, DataViewRowCursor cursor, DataViewSchema.Column label, Action<bool> observe, DatasetColumn column, TrainingTask task, CancellationToken cancellationToken)
    {
        long rows = 0, missing = 0;
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        // Looks values up by span, so a string is allocated once per distinct value, not once per row.
        var lookup = values.GetAlternateLookup<ReadOnlySpan<char>>();
        var get = cursor.GetGetter<ReadOnlyMemory<char>>(label);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            if ((++rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            get(ref value);
            observe(!value.IsEmpty);
            if (value.IsEmpty) missing++;
            else CollectionsMarshal.GetValueRefOrAddDefault(lookup, value.Span, out _)++;
        }
        CheckPresent(column, rows, missing);

        var raw = values.Keys.Order(StringComparer.Ordinal).ToArray();
        var counted = new LabelValues(rows, missing, [.. values.Select(v => (v.Key, v.Value))], null);

        if (task != TrainingTask.BinaryClassification)
        {
            var classes = CheckClasses(column, task, raw);
            var rawKeys = ml.Data.LoadFromEnumerable(raw.Select(v => new TextClass { Value = v }));
            return new LabelColumn(column, ReservedColumns.Label, rows, missing, classes,
                ml.Transforms.Conversion.MapValueToKey(ReservedColumns.Label, column.Name, keyData: rawKeys), counted);
        }

        // Binary. A boolean column may spell its values several ways ("True", "false"): group them by meaning.
        string[] binaryClasses;
        string[] positives;
        if (column.Kind == ColumnKind.Boolean)
        {
            var meanings = raw.Select(v => bool.TryParse(v.Trim(), out var flag)
                ? (Raw: v, Flag: flag)
                : throw new TrainingDataException(column.Name, $"Label column {Echo.Quote(column.Name)} is boolean but holds {Echo.Quote(v)}; expected true or false.")).ToArray();
            binaryClasses = [.. meanings.Select(m => m.Flag).Distinct().Order().Select(flag => flag ? "true" : "false")];
            CheckClasses(column, task, binaryClasses);
            positives = [.. meanings.Where(m => m.Flag).Select(m => m.Raw)];
        }
        else
        {
            binaryClasses = [.. CheckClasses(column, task, raw)];
            positives = [raw[1]];
        }
        return new LabelColumn(column, ReservedColumns.Label, rows, missing, binaryClasses,
            IsPositive(ml, column, "s => " + string.Join(" || ", positives.Select(p => $"s == {ExpressionText.String(p)}"))),
            counted, byMeaning: column.Kind == ColumnKind.Boolean);
    }

    /// <summary>
    /// The binary label as a Boolean, by an expression rather than a value map: ML.NET saves a value
    /// map as a small binary table whose blocks are written by racing threads, so identical models
    /// would get different bytes; an expression is saved as its text.
    /// </summary>
    private static Microsoft.ML.Transforms.ExpressionEstimator IsPositive(MLContext ml, DatasetColumn column, string expression) =>
        ml.Transforms.Expression(ReservedColumns.Label, expression, column.Name);

    /// <summary>
    /// The stage that gives every row the weight of its class (<see cref="ReservedColumns.Weight"/>), by an expression
    /// (as the binary label is, for reproducible bytes): binary over the Boolean label, otherwise over the label's own
    /// values, which are exactly <see cref="Classes"/>.
    /// </summary>
    /// <param name="weights">One weight per class, in <see cref="Classes"/> order.</param>
    public Microsoft.ML.Transforms.ExpressionEstimator WeightStage(MLContext ml, IReadOnlyList<double> weights)
    {
        // single(): a whole number such as 1 would otherwise be an integer literal, and the trainer wants a float.
        string W(int i) => $"single({ExpressionText.Number((float)weights[i])})";
        if (TrainingColumn == ReservedColumns.Label && Stage is Microsoft.ML.Transforms.ExpressionEstimator)
            return ml.Transforms.Expression(ReservedColumns.Weight, $"b => b ? {W(1)} : {W(0)}", ReservedColumns.Label);
        var cases = Classes.Select((c, i) => Source.Kind == ColumnKind.Numeric
            ? $"x == {ExpressionText.Number(float.Parse(c, CultureInfo.InvariantCulture))} ? {W(i)}"
            : $"x == {ExpressionText.String(c)} ? {W(i)}");
        return ml.Transforms.Expression(ReservedColumns.Weight, $"x => {string.Join(" : ", cases)} : single(1)", Source.Name);
    }

    /// <summary>
    /// The class of every row of <paramref name="view"/>, as an index into <see cref="Classes"/>; -1 where the
    /// label is missing. Classification and labelled clustering only.
    /// </summary>
    public int[] ClassIndexes(IDataView view, CancellationToken cancellationToken)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Classes.Count; i++) index[Classes[i]] = i;
        var lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        var indexes = new List<int>();
        var column = view.Schema[Source.Name];
        using var cursor = view.GetRowCursor([column]);
        if (Source.Kind == ColumnKind.Numeric)
        {
            var get = cursor.GetGetter<float>(column);
            float value = 0;
            while (cursor.MoveNext())
            {
                if ((indexes.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                get(ref value);
                indexes.Add(float.IsNaN(value) ? -1 : index[Format(value)]);
            }
            return [.. indexes];
        }
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        while (cursor.MoveNext())
        {
            if ((indexes.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            getText(ref text);
            if (text.IsEmpty) indexes.Add(-1);
            else if (_byMeaning) indexes.Add(index[bool.Parse(text.Span.Trim()) ? "true" : "false"]);
            else indexes.Add(lookup[text.Span]);
        }
        return [.. indexes];
    }

    private static void CheckPresent(DatasetColumn column, long rows, long missing)
    {
        if (rows == 0)
            throw new TrainingDataException(null, "The data set has no rows.");
        if (missing == rows)
            throw new TrainingDataException(column.Name, $"Label column {Echo.Quote(column.Name)} has no values: it is missing in all {rows} rows.");
    }

    private static string[] CheckClasses(DatasetColumn column, TrainingTask task, string[] classes)
    {
        if (classes.Length < 2)
            throw new TrainingDataException(column.Name,
                $"Label column {Echo.Quote(column.Name)} has a single class ({Echo.Quote(classes[0])}); classification needs at least two.");
        if (task == TrainingTask.BinaryClassification && classes.Length > 2)
            throw new TrainingDataException(column.Name,
                $"Label column {Echo.Quote(column.Name)} has {classes.Length} classes ({Preview(classes)}); binary classification needs exactly two (use multiclass_classification).");
        return classes;
    }

    private static string Preview(string[] classes) =>
        string.Join(", ", classes.Take(5).Select(c => $"{Echo.Quote(c)}")) + (classes.Length > 5 ? ", ..." : "");

    /// <summary>Round-trip text of a number, as the predictions CSV writes it.</summary>
    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class NumericClass
    {
        public float Value { get; set; }
    }

    private sealed class TextClass
    {
        public string Value { get; set; } = "";
    }
}

/// <summary>A label column over every row of the data set.</summary>
/// <param name="Rows">Rows in the data set.</param>
/// <param name="Missing">Rows without a label.</param>
/// <param name="Classes">A classification label's values (as the predictions file writes them) with their row counts, in no order; empty otherwise.</param>
/// <param name="Numbers">A regression label's values, missing ones left out; null otherwise.</param>
internal sealed record LabelValues(long Rows, long Missing, IReadOnlyList<(string Value, long Rows)> Classes, float[]? Numbers);
