using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Pipeline;

namespace Platform.Training.ModelCards;

/// <summary>
/// What the card draws of the evaluated rows, in the predictions file's order: a regression's true and predicted
/// values (the residual plot), a binary model's true class and score (the ROC and precision-recall curves). Taken by
/// the run from the rows it scored, so the card never reads the predictions file back.
/// </summary>
internal sealed class EvaluatedRows
{
    private EvaluatedRows(int count, double[] actualValues, double[] predictedValues, bool[] positive, double[]? scores, string scoreSource)
    {
        Count = count;
        ActualValues = actualValues;
        PredictedValues = predictedValues;
        Positive = positive;
        Scores = scores;
        ScoreSource = scoreSource;
    }

    public int Count { get; }

    /// <summary>Regression: the true value of each row.</summary>
    public IReadOnlyList<double> ActualValues { get; }

    /// <summary>Regression: the predicted value of each row.</summary>
    public IReadOnlyList<double> PredictedValues { get; }

    /// <summary>Binary: whether each row's true class is the positive one.</summary>
    public IReadOnlyList<bool> Positive { get; }

    /// <summary>Binary: the probability (or raw score) of the positive class; null when unknown.</summary>
    public IReadOnlyList<double>? Scores { get; }

    /// <summary>Where <see cref="Scores"/> came from, for the card's text.</summary>
    public string ScoreSource { get; }

    /// <summary>
    /// Reads the scored rows of every round in file order (a cross-validation's folds interleaved by
    /// <paramref name="foldOfRow"/>, as the predictions file has them). Null for tasks whose card draws no rows.
    /// </summary>
    /// <param name="scored">Each round's scored rows, with the label's training column.</param>
    public static EvaluatedRows? Capture(
        IReadOnlyList<IDataView> scored, int[]? foldOfRow, TrainingTask task, LabelColumn? label, bool calibrated, CancellationToken cancellationToken)
    {
        if (label is null || task is not (TrainingTask.Regression or TrainingTask.BinaryClassification))
            return null;
        var regression = task == TrainingTask.Regression;
        // A holdout's saved model is the one evaluated, so its raw score ranks the rows as the evaluation did; a
        // cross-validation's saved model did not score them.
        var scoreColumn = regression ? DefaultColumnNames.Score
            : calibrated ? DefaultColumnNames.Probability
            : foldOfRow is null ? DefaultColumnNames.Score
            : null;
        var readers = scored.Select(view => new RowReader(view, label.TrainingColumn, regression, scoreColumn)).ToArray();
        try
        {
            var actual = new List<double>();
            var predicted = new List<double>();
            var positive = new List<bool>();
            var scores = new List<double>();
            void Add(int part)
            {
                if (((actual.Count + positive.Count) & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                var (label, score) = readers[part].Read();
                if (regression)
                {
                    actual.Add(label);
                    predicted.Add(score);
                }
                else
                {
                    positive.Add(label != 0);
                    if (scoreColumn is not null) scores.Add(score);
                }
            }
            if (foldOfRow is null)
            {
                while (readers[0].MoveNext()) Add(0);
            }
            else
            {
                foreach (var fold in foldOfRow)
                {
                    if (!readers[fold].MoveNext())
                        throw new InvalidOperationException($"Fold {fold + 1} has fewer scored rows than the split assigned it.");
                    Add(fold);
                }
            }
            return new EvaluatedRows(Math.Max(actual.Count, positive.Count), [.. actual], [.. predicted], [.. positive],
                scoreColumn is null ? null : [.. scores],
                regression ? "" : calibrated ? "the calibrated probability of the positive class"
                : scoreColumn is null ? "" : "the model's raw score (the trainer is not calibrated)");
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>The label (a number, or 1/0 for a binary label) and the score of each row of one scored view.</summary>
    private sealed class RowReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly Func<double> _label;
        private readonly Func<double> _score;

        public RowReader(IDataView view, string labelColumn, bool numericLabel, string? scoreColumn)
        {
            var label = view.Schema[labelColumn];
            DataViewSchema.Column? score = scoreColumn is null ? null : view.Schema[scoreColumn];
            _cursor = view.GetRowCursor(score is { } scoreAlso ? [label, scoreAlso] : [label]);
            if (numericLabel)
            {
                var get = _cursor.GetGetter<float>(label);
                _label = () => { float value = 0; get(ref value); return value; };
            }
            else
            {
                var get = _cursor.GetGetter<bool>(label);
                _label = () => { bool value = false; get(ref value); return value ? 1 : 0; };
            }
            if (score is not { } scored) _score = () => double.NaN;
            else
            {
                var get = _cursor.GetGetter<float>(scored);
                _score = () => { float value = 0; get(ref value); return value; };
            }
        }

        public bool MoveNext() => _cursor.MoveNext();

        public (double Label, double Score) Read() => (_label(), _score());

        public void Dispose() => _cursor.Dispose();
    }
}
