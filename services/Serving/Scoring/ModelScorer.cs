using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Serving.V1;
using Platform.Training;

namespace Platform.Serving.Scoring;

/// <summary>
/// Scores rows with one loaded model, one row at a time, as ML.NET's <c>PredictionEngine</c> does: an
/// <see cref="InputRow"/> refilled per row, pushed through the model's row-to-row mapper, and the output columns read
/// through getters made once. Like <c>PredictionEngine</c> it is not thread-safe: <see cref="ServedVersion"/> keeps a
/// pool of them, one per concurrent call.
/// </summary>
internal sealed class ModelScorer : IDisposable
{
    private readonly ScorableModel _model;
    private readonly InputRow _input;
    private readonly DataViewRow _output;
    private readonly DataViewRow? _explained;
    private readonly Action<Prediction> _read;
    private readonly ValueGetter<VBuffer<float>>? _contributions;
    private VBuffer<float> _contributionValues;

    /// <param name="explain">Also compute feature contributions (a second mapper after the model); only where the model has them.</param>
    public ModelScorer(ScorableModel model, bool explain)
    {
        _model = model;
        _input = new InputRow(model.InputSchema);
        var mapper = model.Transformer.GetRowToRowMapper(model.InputSchema);
        var outputs = OutputColumns(mapper.OutputSchema, model).ToList();
        if (explain && model.Contributions is { } calculator)
        {
            var explainer = calculator.GetRowToRowMapper(mapper.OutputSchema);
            var features = mapper.OutputSchema[model.FeatureColumn];
            _output = mapper.GetRow(_input, [.. outputs, features]);
            var column = explainer.OutputSchema[ScorableModel.ContributionsColumn];
            _explained = explainer.GetRow(_output, [column]);
            _contributions = _explained.GetGetter<VBuffer<float>>(column);
        }
        else
        {
            _output = mapper.GetRow(_input, outputs);
        }
        _read = Reader(_output, model);
    }

    /// <summary>Scores one row of <paramref name="input"/>.</summary>
    public Prediction Score(ModelInput input, int row, int topContributions)
    {
        _input.Fill(input, row);
        var prediction = new Prediction();
        _read(prediction);
        if (_contributions is not null && topContributions > 0)
        {
            _contributions(ref _contributionValues);
            AddTop(prediction, topContributions);
        }
        return prediction;
    }

    private void AddTop(Prediction prediction, int top)
    {
        var dense = _contributionValues.DenseValues().ToArray();
        var names = _model.FeatureNames;
        foreach (var index in Enumerable.Range(0, dense.Length).Where(i => dense[i] != 0)
                     .OrderByDescending(i => Math.Abs(dense[i])).ThenBy(i => i).Take(top))
        {
            prediction.Contributions.Add(new FeatureContribution
            {
                Feature = index < names.Count ? names[index] : index.ToString(CultureInfo.InvariantCulture),
                Contribution = dense[index],
            });
        }
    }

    private static IEnumerable<DataViewSchema.Column> OutputColumns(DataViewSchema schema, ScorableModel model) =>
        new[] { ScorableModel.PredictedLabel, ScorableModel.Score, ScorableModel.Probability }
            .Select(schema.GetColumnOrNull).OfType<DataViewSchema.Column>();

    /// <summary>How a row's prediction is read from the model's output columns, by task.</summary>
    private static Action<Prediction> Reader(DataViewRow output, ScorableModel model)
    {
        var schema = output.Schema;
        switch (model.Task)
        {
            case TrainingTask.Regression:
            {
                var score = output.GetGetter<float>(schema[ScorableModel.Score]);
                float value = 0;
                return prediction =>
                {
                    score(ref value);
                    prediction.Value = value;
                };
            }
            case TrainingTask.BinaryClassification:
            {
                var label = output.GetGetter<bool>(schema[ScorableModel.PredictedLabel]);
                var score = output.GetGetter<float>(schema[ScorableModel.Score]);
                var probability = schema.GetColumnOrNull(ScorableModel.Probability) is { } p ? output.GetGetter<float>(p) : null;
                bool positive = false;
                float s = 0, prob = 0;
                return prediction =>
                {
                    label(ref positive);
                    score(ref s);
                    prediction.Label = model.Classes[positive ? 1 : 0];
                    prediction.Score = s;
                    if (probability is not null)
                    {
                        probability(ref prob);
                        prediction.Probability = prob;
                    }
                };
            }
            case TrainingTask.MulticlassClassification:
            {
                var score = output.GetGetter<VBuffer<float>>(schema[ScorableModel.Score]);
                var label = LabelText(output, schema[ScorableModel.PredictedLabel]);
                VBuffer<float> scores = default;
                return prediction =>
                {
                    score(ref scores);
                    var values = scores.GetValues();
                    var best = 0;
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (i < model.Classes.Count) prediction.ClassScores[model.Classes[i]] = values[i];
                        if (values[i] > values[best]) best = i;
                    }
                    prediction.Label = label?.Invoke() ?? (best < model.Classes.Count ? model.Classes[best] : "");
                };
            }
            case TrainingTask.Clustering:
            {
                var cluster = output.GetGetter<uint>(schema[ScorableModel.PredictedLabel]);
                uint key = 0;
                return prediction =>
                {
                    cluster(ref key);
                    prediction.Cluster = (int)key;
                };
            }
            default:
                throw new InvalidOperationException($"No reader for {model.Task}.");
        }
    }

    /// <summary>The predicted class as text when the model maps it back to the label's own values; null otherwise (the class of the best score is used).</summary>
    private static Func<string>? LabelText(DataViewRow output, DataViewSchema.Column column)
    {
        if (column.Type.RawType != typeof(ReadOnlyMemory<char>)) return null;
        var get = output.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        return () =>
        {
            get(ref text);
            return text.ToString();
        };
    }

    public void Dispose()
    {
        _explained?.Dispose();
        _output.Dispose();
        _input.Dispose();
    }
}
