using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Serving.Models;
using Platform.Serving.Scoring;
using Platform.Serving.V1;
using Platform.ServiceDefaults.Errors;
using Platform.Training;

namespace Platform.Serving.Tests;

/// <summary>
/// The scorer against ML.NET itself: every row of a sample, scored one at a time the way serving does, gives what
/// ML.NET's batch transform of the same file gives; and the input checks refuse what the model cannot take.
/// </summary>
public sealed class ScoringTests
{
    internal static ScorableModel Load(TrainedModel trained, bool withSteps = true)
    {
        using var zip = File.OpenRead(trained.ModelPath);
        return ScorableModel.Load(zip, Facts(trained, withSteps));
    }

    internal static ModelFacts Facts(TrainedModel trained, bool withSteps = true) =>
        new(trained.Spec.Task, string.IsNullOrEmpty(trained.Spec.LabelColumn) ? null : trained.Spec.LabelColumn,
            withSteps ? [.. trained.Result.Preparation.Select(step => (step.Kind, step.Columns))] : [],
            trained.Spec.Task == TrainingTask.BinaryClassification ? trained.Result.Classes : null);

    internal static ServedVersion Serve(TrainedModel trained, bool withSteps = true) =>
        new(new VersionIdentity("acme", trained.Name, 1, Guid.NewGuid()), Load(trained, withSteps), new FileInfo(trained.ModelPath).Length, new HashSet<string>());

    private static PredictResponse Predict(ServedVersion served, IEnumerable<Struct> rows, int top = 0)
    {
        var fields = new RepeatedField<Struct>();
        fields.AddRange(rows);
        var response = new PredictResponse();
        served.Predict(served.Model.Inputs.Parse(fields), top, response);
        return response;
    }

    /// <summary>ML.NET's own answer: the model with its loader over the whole file, output columns read as they are.</summary>
    private static List<(string? Label, float[] Scores, float? Probability)> BatchPredictions(TrainedModel trained)
    {
        var ml = new MLContext(seed: 0);
        var model = ml.Model.LoadWithDataLoader(trained.ModelPath, out var loader);
        var scored = model.Transform(loader.Load(trained.Dataset.Path));
        var results = new List<(string?, float[], float?)>();
        using var cursor = scored.GetRowCursor(scored.Schema);
        var label = scored.Schema.GetColumnOrNull("PredictedLabel");
        var score = scored.Schema["Score"];
        var probability = scored.Schema.GetColumnOrNull("Probability");
        while (cursor.MoveNext())
        {
            string? text = null;
            if (label is { } l && l.Type.RawType == typeof(ReadOnlyMemory<char>))
            {
                ReadOnlyMemory<char> value = default;
                cursor.GetGetter<ReadOnlyMemory<char>>(l)(ref value);
                text = value.ToString();
            }
            else if (label is { } b && b.Type.RawType == typeof(bool))
            {
                bool value = false;
                cursor.GetGetter<bool>(b)(ref value);
                text = value ? "true" : "false";
            }
            float[] scores;
            if (score.Type is VectorDataViewType)
            {
                VBuffer<float> vector = default;
                cursor.GetGetter<VBuffer<float>>(score)(ref vector);
                scores = vector.DenseValues().ToArray();
            }
            else
            {
                float value = 0;
                cursor.GetGetter<float>(score)(ref value);
                scores = [value];
            }
            float? p = null;
            if (probability is { } column)
            {
                float value = 0;
                cursor.GetGetter<float>(column)(ref value);
                p = value;
            }
            results.Add((text, scores, p));
        }
        return results;
    }

    [Fact]
    public async Task Multiclass_predictions_are_ML_NETs_row_for_row_with_a_probability_per_class()
    {
        var trained = await TrainedModels.PenguinsLightGbm;
        var served = Serve(trained);
        var rows = Rows.From(TrainedModels.Penguins);

        var response = Predict(served, rows);
        var expected = BatchPredictions(trained);

        Assert.Equal(expected.Count, response.Predictions.Count);
        Assert.Equal(["Adelie", "Chinstrap", "Gentoo"], served.Model.Classes);
        for (var i = 0; i < expected.Count; i++)
        {
            var prediction = response.Predictions[i];
            Assert.Equal(expected[i].Label, prediction.Label);
            Assert.Equal(expected[i].Scores, served.Model.Classes.Select(c => (float)prediction.ClassScores[c]));
            Assert.Equal(1.0, prediction.ClassScores.Values.Sum(), 3);
        }
        Assert.Equal("multiclass_classification", response.Task);
    }

    [Fact]
    public async Task Binary_predictions_name_the_class_and_give_the_score_and_probability_of_the_positive_one()
    {
        var trained = await TrainedModels.VersicolorFastTree;
        var served = Serve(trained);
        var rows = Rows.From(TrainedModels.Versicolor);
        foreach (var row in rows) row.Fields.Remove("versicolor");

        var response = Predict(served, rows);
        var expected = BatchPredictions(trained);

        Assert.Equal(["no", "yes"], served.Model.Classes);
        for (var i = 0; i < expected.Count; i++)
        {
            var prediction = response.Predictions[i];
            Assert.Equal(expected[i].Label == "true" ? "yes" : "no", prediction.Label);
            Assert.Equal(expected[i].Scores[0], (float)prediction.Score);
            Assert.Equal(expected[i].Probability, (float)prediction.Probability);
        }
    }

    [Fact]
    public async Task Regression_predictions_are_the_value()
    {
        var trained = await TrainedModels.PenguinsMassSdca;
        var served = Serve(trained);
        var rows = Rows.From(TrainedModels.Penguins);

        var response = Predict(served, rows);
        var expected = BatchPredictions(trained);

        Assert.Equal(expected.Select(e => e.Scores[0]), response.Predictions.Select(p => (float)p.Value));
        Assert.All(response.Predictions, p => Assert.Empty(p.Label));
    }

    [Fact]
    public async Task Clustering_predictions_are_a_cluster_from_1_to_k()
    {
        var trained = await TrainedModels.IrisKMeans;
        var served = Serve(trained);

        var response = Predict(served, Rows.From(TrainedModels.Iris));

        Assert.All(response.Predictions, p => Assert.InRange(p.Cluster, 1, 3));
        Assert.Equal(3, response.Predictions.Select(p => p.Cluster).Distinct().Count());
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("regression")]
    public async Task Tree_and_linear_models_explain_a_prediction_by_its_largest_feature_contributions(string kind)
    {
        var trained = kind == "binary" ? await TrainedModels.VersicolorFastTree : await TrainedModels.PenguinsMassSdca;
        var served = Serve(trained);
        var row = kind == "binary" ? Rows.Iris() : Rows.Penguin();
        row.Fields["Species"] = Value.ForString("Adelie");
        row.Fields.Remove(trained.Spec.LabelColumn);

        var prediction = Predict(served, [row], top: 3).Predictions[0];

        Assert.True(served.Model.Explains);
        Assert.Equal(3, prediction.Contributions.Count);
        Assert.Equal(prediction.Contributions.Select(c => Math.Abs(c.Contribution)).OrderDescending(), prediction.Contributions.Select(c => Math.Abs(c.Contribution)));
        Assert.All(prediction.Contributions, c => Assert.Contains(c.Feature, served.Model.FeatureNames));
        Assert.DoesNotContain(served.Model.FeatureNames, name => name.StartsWith(trained.Spec.LabelColumn, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Multiclass_models_say_they_cannot_explain()
    {
        Assert.False(Load(await TrainedModels.PenguinsLightGbm).Explains);
    }

    [Fact]
    public async Task A_missing_column_is_refused_naming_the_row_and_the_column()
    {
        var served = Serve(await TrainedModels.PenguinsLightGbm);
        var row = Rows.Penguin();
        row.Fields.Remove("Flipper Length (mm)");

        var error = Assert.Throws<InvalidArgumentException>(() => Predict(served, [Rows.Penguin(), row]));

        Assert.Equal("rows[1].Flipper Length (mm)", error.Field);
        Assert.Contains("is missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Beak Depth (mm)", "deep", "must be a number, or null when missing, not a string")]
    [InlineData("Island", 3.0, "must be a string, or null when missing, not a number")]
    [InlineData("Island", true, "not a boolean")]
    [InlineData("Beak Depth (mm)", double.PositiveInfinity, "must be a finite number")]
    public async Task A_value_of_the_wrong_type_is_refused_naming_the_column(string column, object value, string message)
    {
        var served = Serve(await TrainedModels.PenguinsLightGbm);
        var row = Rows.Penguin();
        row.Fields[column] = value switch
        {
            string text => Value.ForString(text),
            bool flag => Value.ForBool(flag),
            _ => Value.ForNumber((double)value),
        };

        var error = Assert.Throws<InvalidArgumentException>(() => Predict(served, [row]));

        Assert.Equal($"rows[0].{column}", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_category_of_a_one_hot_column_is_refused_with_the_known_ones()
    {
        var served = Serve(await TrainedModels.PenguinsLightGbm);
        var row = Rows.Penguin();
        row.Fields["Island"] = Value.ForString("Atlantis");

        var error = Assert.Throws<InvalidArgumentException>(() => Predict(served, [row]));

        Assert.Equal("rows[0].Island", error.Field);
        Assert.Contains("'Atlantis' is not a category this model was trained on (one of 'Biscoe', 'Dream', 'Torgersen')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_values_are_filled_in_where_the_model_was_trained_to_and_the_label_and_extra_columns_are_ignored()
    {
        var served = Serve(await TrainedModels.PenguinsLightGbm);
        var row = Rows.Of(("Island", null), ("Beak Length (mm)", null), ("Beak Depth (mm)", double.NaN), ("Flipper Length (mm)", 181),
            ("Body Mass (g)", 3750), ("Sex", ""), ("Species", 12), ("colour", "blue"));

        var prediction = Predict(served, [row]).Predictions[0];

        Assert.Contains(prediction.Label, served.Model.Classes);
    }

    [Fact]
    public async Task A_missing_number_is_refused_when_the_model_records_no_fill_in_for_it()
    {
        // An uploaded model records no preparation: serving cannot know that a missing number is safe.
        var served = Serve(await TrainedModels.IrisLightGbm, withSteps: false);
        var row = Rows.Iris();
        row.Fields["petal_width"] = Value.ForNumber(double.NaN);

        var error = Assert.Throws<InvalidArgumentException>(() => Predict(served, [row]));

        Assert.Equal("rows[0].petal_width", error.Field);
        Assert.Contains("no fill-in for a missing value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_without_rows_is_refused()
    {
        var served = Serve(await TrainedModels.IrisLightGbm);
        var error = Assert.Throws<InvalidArgumentException>(() => Predict(served, []));
        Assert.Equal("rows", error.Field);
    }

    [Fact]
    public void Bytes_that_are_not_a_model_cannot_be_loaded()
    {
        using var garbage = new MemoryStream("PK\u0003\u0004 not really a zip"u8.ToArray());
        Assert.Throws<InvalidDataException>(() => ScorableModel.Load(garbage, new ModelFacts(TrainingTask.Regression, null, [], null)));
    }
}
