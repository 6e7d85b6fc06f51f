using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Artifacts;
using Platform.Training.Data;

namespace Platform.Training.ModelCards;

/// <summary>
/// The evaluated rows as the predictions CSV holds them: the true label, the prediction and, where the model
/// has one, the score the curves rank by. Rows whose label cannot be read are skipped.
/// </summary>
internal sealed class EvaluatedRows
{
    private EvaluatedRows(string[] actualClasses, double[] actualValues, string[] predictedClasses, double[] predictedValues, double[]? scores)
    {
        ActualClasses = actualClasses;
        ActualValues = actualValues;
        PredictedClasses = predictedClasses;
        PredictedValues = predictedValues;
        Scores = scores;
    }

    /// <summary>Classification: the true class of each row.</summary>
    public IReadOnlyList<string> ActualClasses { get; }

    /// <summary>Regression: the true value of each row.</summary>
    public IReadOnlyList<double> ActualValues { get; }

    public IReadOnlyList<string> PredictedClasses { get; }

    public IReadOnlyList<double> PredictedValues { get; }

    /// <summary>Binary: the probability (or raw score) of the positive class; null when unknown.</summary>
    public IReadOnlyList<double>? Scores { get; }

    /// <summary>Where <see cref="Scores"/> came from, for the card's text.</summary>
    public string ScoreSource { get; private init; } = "";

    public int Count => Math.Max(ActualClasses.Count, ActualValues.Count);

    public static EvaluatedRows Read(ModelCardSubject subject)
    {
        var ml = new MLContext(subject.Spec.Seed);
        var columns = subject.Data.Columns;
        var path = subject.Result.Predictions.Path;
        var header = CsvFormat.ReadHeader(path);
        var labelIndex = IndexOf(columns, subject.Spec.LabelColumn);
        var predictedIndex = columns.Count;
        var probabilityIndex = Array.IndexOf([.. header], PredictionsCsv.Probability);
        var regression = subject.Spec.Task == TrainingTask.Regression;
        var kind = regression ? DataKind.Single : DataKind.String;
        var loaderColumns = new List<TextLoader.Column>
        {
            new("Actual", columns[labelIndex].Kind == ColumnKind.Numeric ? DataKind.Single : DataKind.String, labelIndex),
            new("Predicted", kind, predictedIndex),
        };
        if (probabilityIndex >= 0) loaderColumns.Add(new("Probability", DataKind.Single, probabilityIndex));
        var view = ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = [.. loaderColumns],
            HasHeader = true,
            Separators = [CsvFormat.Separator],
            AllowQuoting = true,
            ReadMultilines = true,
            MissingRealsAsNaNs = true,
        }).Load(path);

        var actualText = regression ? [] : ReadText(view, "Actual");
        var predictedText = regression ? [] : ReadText(view, "Predicted");
        var predictedValues = regression ? ReadSingles(view, "Predicted") : [];
        var actualValues = regression ? ReadSingles(view, "Actual") : [];
        double[]? scores = null;
        var source = "";
        if (subject.Spec.Task == TrainingTask.BinaryClassification)
        {
            if (probabilityIndex >= 0)
            {
                scores = ReadSingles(view, "Probability");
                source = "the calibrated probability of the positive class";
            }
            else if (!subject.Spec.Evaluation.CrossValidates)
            {
                // A holdout saves the model it evaluated: its raw score ranks the held-out rows as the evaluation did.
                scores = RawScores(ml, subject);
                source = "the model's raw score (the trainer is not calibrated)";
            }
        }
        return new EvaluatedRows(actualText, actualValues, predictedText, predictedValues, scores) { ScoreSource = source };
    }

    private static int IndexOf(IReadOnlyList<DatasetColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
            if (columns[i].Name == name) return i;
        throw new InvalidOperationException($"The label column '{name}' is not a column of the data set.");
    }

    private static string[] ReadText(IDataView view, string column)
    {
        var type = view.Schema[column].Type;
        if (type is NumberDataViewType)
            return [.. ReadSingles(view, column).Select(v => double.IsNaN(v) ? "" : ((float)v).ToString("R", System.Globalization.CultureInfo.InvariantCulture))];
        return [.. view.GetColumn<ReadOnlyMemory<char>>(column).Select(v => v.ToString())];
    }

    private static double[] ReadSingles(IDataView view, string column) => [.. view.GetColumn<float>(column).Select(v => (double)v)];

    private static double[] RawScores(MLContext ml, ModelCardSubject subject)
    {
        using var stream = File.OpenRead(subject.Result.Model.Path);
        var model = ml.Model.LoadWithDataLoader(stream, out var loader);
        // The predictions CSV starts with the data set's columns: the model's own loader reads it.
        var scored = model.Transform(loader.Load(subject.Result.Predictions.Path));
        return ReadSingles(scored, Pipeline.DefaultColumnNames.Score);
    }
}
