using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

/// <summary>Preparation choices at work: what the model was fitted with, and what a loaded model does to new rows.</summary>
public sealed class PreparationTests : IDisposable
{
    private const int Seed = 11;
    private const string BeakLength = "Beak Length (mm)";
    private const string BodyMass = "Body Mass (g)";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Non_default_choices_equal_the_same_pipeline_built_directly_with_MLNET()
    {
        var preparation = new DataPreparation
        {
            Normalization = FeatureNormalization.MeanVariance,
            HashingBits = 4,
            Columns =
            [
                new ColumnPreparation { Name = BeakLength, MissingValues = MissingValuePolicy.Median },
                new ColumnPreparation { Name = "Island", Encoding = ColumnEncoding.Hashing },
                new ColumnPreparation { Name = BodyMass, MissingValues = MissingValuePolicy.Indicator },
                new ColumnPreparation { Name = "Sex", MissingValues = MissingValuePolicy.MostFrequent },
                new ColumnPreparation { Name = "Flipper Length (mm)", MissingValues = MissingValuePolicy.MostFrequent },
            ],
        };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "sdca_maximum_entropy", preparation);

        var expected = DirectPipeline.TrainAndEvaluate(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "sdca_maximum_entropy",
            Seed, TrainingSpec.DefaultHoldoutFraction, new OraclePreparation
            {
                Median = [BeakLength], MostFrequent = ["Flipper Length (mm)", "Sex"], Indicator = [BodyMass], Hashed = ["Island"], HashingBits = 4,
                Normalization = "mean_variance",
            });
        Assert.Equal(expected.OrderBy(m => m.Key), result.Metrics.OrderBy(m => m.Key));
    }

    [Fact]
    public async Task Text_featurisation_equals_the_same_pipeline_built_directly_with_MLNET()
    {
        var preparation = new DataPreparation { ExcludeColumns = ["group"] };
        var data = SampleData.SpamEvery(_temp.Path, 4);

        var result = await Run(data, TrainingTask.BinaryClassification, "label", "averaged_perceptron", preparation);

        var expected = DirectPipeline.TrainAndEvaluate(data, TrainingTask.BinaryClassification, "label", "averaged_perceptron",
            Seed, TrainingSpec.DefaultHoldoutFraction, new OraclePreparation { Exclude = ["group"], Text = ["subject", "body"] });
        Assert.Equal(expected.OrderBy(m => m.Key), result.Metrics.OrderBy(m => m.Key));
        var text = result.Preparation.Single(s => s.Kind == PreparationStep.FeaturizeText);
        Assert.Equal(["subject", "body"], text.Columns);
        Assert.Equal(("1-2", "20000", "3", "10000"),
            (text.Parameters["word_ngrams"], text.Parameters["max_word_ngrams"], text.Parameters["char_ngrams"], text.Parameters["max_char_ngrams"]));
    }

    [Fact]
    public async Task A_median_is_computed_on_the_training_rows_recorded_and_applied_by_the_saved_model()
    {
        var preparation = new DataPreparation { Columns = [new ColumnPreparation { Name = BeakLength, MissingValues = MissingValuePolicy.Median }] };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        // The training rows: the usable rows the platform's split did not hold out.
        var usable = DirectPipeline.UsableRows(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", out var strata);
        var heldOut = DataSplit.Holdout(usable.Length, strata, TrainingSpec.DefaultHoldoutFraction, Seed);
        var lines = File.ReadAllLines(SampleData.Penguins.Path).Skip(1).ToArray();
        var training = usable.Where((_, i) => !heldOut[i]).Select(row => lines[row].Split(',')[2]).Where(v => v.Length > 0)
            .Select(v => float.Parse(v, CultureInfo.InvariantCulture)).Order().ToArray();
        var median = training.Length % 2 == 1 ? training[training.Length / 2] : (float)(((double)training[(training.Length / 2) - 1] + training[training.Length / 2]) / 2);

        var step = result.Preparation.Single(s => s.Kind == PreparationStep.ReplaceMissingValues && s.Columns.SequenceEqual([BeakLength]));
        Assert.Equal(("median", median.ToString("R", CultureInfo.InvariantCulture)), (step.Parameters["policy"], step.Parameters["value"]));
        Assert.Equal(median, Prepared<float>(result, "Adelie,Dream,,18.5,190,3700,FEMALE", BeakLength));
        Assert.Equal(45.5f, Prepared<float>(result, "Adelie,Dream,45.5,18.5,190,3700,FEMALE", BeakLength));
    }

    [Fact]
    public async Task Most_frequent_fills_a_missing_category_with_the_commonest_training_value()
    {
        var preparation = new DataPreparation { Columns = [new ColumnPreparation { Name = "Sex", MissingValues = MissingValuePolicy.MostFrequent }] };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        var step = result.Preparation.Single(s => s.Kind == PreparationStep.ReplaceMissingValues && s.Columns.SequenceEqual(["Sex"]));
        Assert.Equal("MALE", step.Parameters["value"]);
        Assert.Equal(Prepared<float[]>(result, "Adelie,Dream,40,18.5,190,3700,MALE", "Sex"), Prepared<float[]>(result, "Adelie,Dream,40,18.5,190,3700,", "Sex"));
    }

    [Fact]
    public async Task Drop_row_leaves_rows_missing_the_column_out_of_training_and_evaluation_but_the_model_still_scores_them()
    {
        var preparation = new DataPreparation { Columns = [new ColumnPreparation { Name = "Sex", MissingValues = MissingValuePolicy.DropRow }] };
        var missingSex = File.ReadAllLines(SampleData.Penguins.Path).Skip(1).Count(l => l.EndsWith(','));

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        Assert.Equal(missingSex, result.Rows.MissingFeature);
        Assert.Equal(344 - missingSex, result.Rows.Training + result.Rows.Evaluated);
        Assert.DoesNotContain(File.ReadLines(result.Predictions.Path).Skip(1), line => line.Split(',')[6].Length == 0);
        Assert.Equal(["Sex"], result.Preparation.Single(s => s.Kind == PreparationStep.DropRowsWithMissingValues).Columns);
        Assert.Contains(Predict(result, "Adelie,Dream,40,18.5,190,3700,"), new[] { "Adelie", "Chinstrap", "Gentoo" });
    }

    [Fact]
    public async Task The_indicator_policy_adds_a_was_missing_feature()
    {
        var preparation = new DataPreparation { MissingValues = MissingValuePolicy.Indicator };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        var numeric = new[] { BeakLength, "Beak Depth (mm)", "Flipper Length (mm)", BodyMass };
        Assert.Equal(numeric, result.Preparation.Single(s => s.Kind == PreparationStep.MissingIndicator).Columns);
        Assert.Equal(["Island", .. numeric, "Sex", .. numeric.Select(n => "__missing__." + n)],
            result.Preparation.Single(s => s.Kind == PreparationStep.ConcatenateFeatures).Columns);
        Assert.Equal(1f, Prepared<float>(result, "Adelie,Dream,40,18.5,190,,MALE", "__missing__." + BodyMass));
        Assert.Equal(0f, Prepared<float>(result, "Adelie,Dream,40,18.5,190,3700,MALE", "__missing__." + BodyMass));
    }

    [Fact]
    public async Task An_excluded_column_has_no_say_in_any_prediction()
    {
        var preparation = new DataPreparation { ExcludeColumns = ["Island"] };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        var rows = File.ReadAllLines(SampleData.Penguins.Path).Skip(1).Where(l => l.Length > 0).Take(40).ToArray();
        // Penguins has no quoted fields: the island is the second field of each line.
        var garbled = rows.Select(l => l.Split(',')).Select(f => string.Join(',', [f[0], "Atlantis", .. f.Skip(2)])).ToArray();
        Assert.Equal(Scores(result, rows), Scores(result, garbled));
        Assert.DoesNotContain("Island", result.Preparation.Single(s => s.Kind == PreparationStep.ConcatenateFeatures).Columns);
    }

    [Fact]
    public async Task Above_the_threshold_a_category_is_hashed_automatically()
    {
        var preparation = new DataPreparation { HashingThreshold = 2, HashingBits = 3 };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        // Island and Sex ("MALE", "FEMALE" and one ".") have three values each.
        var step = result.Preparation.Single(s => s.Kind == PreparationStep.HashEncoding);
        Assert.Equal(["Island", "Sex"], step.Columns);
        Assert.Equal("3", step.Parameters["bits"]);
        Assert.DoesNotContain(result.Preparation, s => s.Kind == PreparationStep.OneHotEncoding);
        Assert.Equal(8, Prepared<float[]>(result, "Adelie,Dream,40,18.5,190,3700,MALE", "Island").Length);
    }

    [Theory]
    [InlineData("sdca_maximum_entropy", null, "min_max")]
    [InlineData("lightgbm", null, null)]
    [InlineData("sdca_maximum_entropy", FeatureNormalization.None, null)]
    [InlineData("lightgbm", FeatureNormalization.MeanVariance, "mean_variance")]
    public async Task Normalization_defaults_by_trainer_family_and_can_be_chosen(string trainer, FeatureNormalization? chosen, string? recorded)
    {
        var result = await Run(SampleData.Iris, TrainingTask.MulticlassClassification, "species", trainer, new DataPreparation { Normalization = chosen });

        Assert.Equal(recorded, result.Preparation.SingleOrDefault(s => s.Kind == PreparationStep.Normalize)?.Parameters["method"]);
    }

    [Fact]
    public async Task The_preparation_is_recorded_with_the_evaluation_for_a_re_run()
    {
        var preparation = new DataPreparation
        {
            ExcludeColumns = ["Island"],
            Columns = [new ColumnPreparation { Name = "Sex", MissingValues = MissingValuePolicy.MostFrequent }],
        };

        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm", preparation);

        using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(result.EvaluationFile.Path));
        var root = json.RootElement;
        Assert.Equal("""{"exclude_columns":["Island"],"columns":[{"name":"Sex","missing_values":"most_frequent"}]}""",
            System.Text.Json.JsonSerializer.Serialize(root.GetProperty("preparation")));
        Assert.Equal(result.Preparation.Select(s => s.Kind), root.GetProperty("preparation_steps").EnumerateArray().Select(s => s.GetProperty("kind").GetString()));
        Assert.Equal(Seed, root.GetProperty("seed").GetInt32());
        Assert.Equal("holdout", root.GetProperty("evaluation").GetProperty("method").GetString());
    }

    /// <summary>The value of <paramref name="column"/> after the saved model's preparation, for one CSV row of penguins.</summary>
    private T Prepared<T>(TrainingResult result, string row, string column)
    {
        var output = Transform(result, [row]);
        // The last column of the name is the prepared one (transforms hide what they replace).
        var prepared = output.Schema.Last(c => c.Name == column);
        using var cursor = output.GetRowCursor([prepared]);
        Assert.True(cursor.MoveNext());
        if (typeof(T) == typeof(float[]))
        {
            VBuffer<float> vector = default;
            cursor.GetGetter<VBuffer<float>>(prepared)(ref vector);
            return (T)(object)vector.DenseValues().ToArray();
        }
        T value = default!;
        cursor.GetGetter<T>(prepared)(ref value);
        return value;
    }

    private string Predict(TrainingResult result, string row) => Transform(result, [row]).GetColumn<string>("PredictedLabel").Single();

    private float[][] Scores(TrainingResult result, string[] rows) =>
        [.. Transform(result, rows).GetColumn<float[]>("Score")];

    private IDataView Transform(TrainingResult result, string[] rows)
    {
        var path = _temp.File($"rows-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, [File.ReadLines(SampleData.Penguins.Path).First(), .. rows]);
        var ml = new MLContext();
        using var stream = File.OpenRead(result.Model.Path);
        var model = ml.Model.LoadWithDataLoader(stream, out var loader);
        // Materialise before the file goes: the loader reads lazily.
        return ml.Data.Cache(model.Transform(loader.Load(path)));
    }

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string label, string trainer, DataPreparation preparation) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label, Trainer = trainer, Seed = Seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
            Preparation = preparation,
        }, _temp.File($"run-{Guid.NewGuid():N}"));
}
