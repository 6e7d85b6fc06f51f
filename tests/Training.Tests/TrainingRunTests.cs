using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Catalogue;
using Platform.Training.Data;

namespace Platform.Training.Tests;

public sealed class TrainingRunTests : IDisposable
{
    private const int Seed = 7;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Every trainer of the catalogue for every task it serves, with the data it is tested on (label kinds vary on purpose).</summary>
    public static TheoryData<TrainingTask, string, string, string?> Trainers => new()
    {
        { TrainingTask.BinaryClassification, "lightgbm", "iris-categorical", "is_versicolor" },
        { TrainingTask.BinaryClassification, "fast_tree", "iris-boolean", "is_versicolor" },
        { TrainingTask.BinaryClassification, "fast_forest", "iris-numeric", "is_versicolor" },
        { TrainingTask.BinaryClassification, "gam", "iris-numeric", "is_versicolor" },
        { TrainingTask.BinaryClassification, "sdca_logistic", "penguins-sex", "Sex" },
        { TrainingTask.BinaryClassification, "lbfgs_logistic", "iris-boolean", "is_versicolor" },
        { TrainingTask.BinaryClassification, "averaged_perceptron", "penguins-sex", "Sex" },
        { TrainingTask.BinaryClassification, "linear_svm", "iris-categorical", "is_versicolor" },
        { TrainingTask.MulticlassClassification, "lightgbm", "penguins", "Species" },
        { TrainingTask.MulticlassClassification, "sdca_maximum_entropy", "penguins", "Species" },
        { TrainingTask.MulticlassClassification, "lbfgs_maximum_entropy", "iris", "species" },
        { TrainingTask.MulticlassClassification, "fast_tree", "iris", "species" },
        { TrainingTask.MulticlassClassification, "averaged_perceptron", "penguins", "Species" },
        { TrainingTask.MulticlassClassification, "linear_svm", "iris", "species" },
        { TrainingTask.Regression, "lightgbm", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "fast_tree", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "fast_forest", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "gam", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "sdca_regression", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "online_gradient_descent", "penguins", "Body Mass (g)" },
        { TrainingTask.Regression, "lbfgs_poisson", "penguins", "Body Mass (g)" },
        { TrainingTask.Clustering, "kmeans", "iris", "species" },
        { TrainingTask.Clustering, "kmeans", "penguins", null },
    };

    [Fact]
    public void The_trainer_theory_covers_the_whole_catalogue()
    {
        var tested = Trainers.Select(row => ((TrainingTask)row[0], (string)row[1])).ToHashSet();
        var catalogue = TrainerCatalogue.All.SelectMany(t => t.Tasks.Select(task => (task, t.Name))).ToHashSet();
        Assert.Equal(catalogue.Order(), tested.Order());
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public async Task Metrics_equal_the_same_pipeline_built_directly_with_MLNET(TrainingTask task, string trainer, string dataName, string? label)
    {
        var data = Data(dataName);

        var result = await Run(data, task, trainer, label);

        var expected = DirectPipeline.TrainAndEvaluate(data, task, label, trainer, Seed, TrainingSpec.DefaultHoldoutFraction);
        Assert.Equal(expected.OrderBy(m => m.Key), result.Metrics.OrderBy(m => m.Key));
        Assert.All(result.Metrics.Values, value => Assert.True(double.IsFinite(value)));
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public async Task Predictions_csv_equals_what_the_saved_model_predicts_on_the_same_rows(TrainingTask task, string trainer, string dataName, string? label)
    {
        var result = await Run(Data(dataName), task, trainer, label);

        var ml = new MLContext();
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        using (var stream = File.OpenRead(result.Model.Path))
            model = ml.Model.LoadWithDataLoader(stream, out loader);
        // The predictions file starts with the data set's columns, so the model's own loader reads it.
        var rescored = model.Transform(loader.Load(result.Predictions.Path));

        var lines = File.ReadAllLines(result.Predictions.Path);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(line => line.Split(',')).ToArray();
        Assert.Equal(result.Rows.Evaluated, rows.Length);
        var predictedColumn = task switch
        {
            TrainingTask.Regression => "predicted_value",
            TrainingTask.Clustering => "predicted_cluster",
            _ => "predicted_label",
        };
        var predicted = rows.Select(r => r[Array.IndexOf(header, predictedColumn)]).ToArray();
        switch (task)
        {
            case TrainingTask.Regression:
                var scores = rescored.GetColumn<float>("Score").ToArray();
                Assert.Equal(scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture)), predicted);
                break;
            case TrainingTask.Clustering:
                var clusters = rescored.GetColumn<uint>("PredictedLabel").ToArray();
                Assert.Equal(clusters.Select(c => c.ToString(CultureInfo.InvariantCulture)), predicted);
                Assert.Equal(["1", "2", "3"], predicted.Distinct().Order());
                break;
            case TrainingTask.MulticlassClassification:
                Assert.Equal(rescored.GetColumn<string>("PredictedLabel"), predicted);
                // Then each class's probability, in the label's order; they sum to 1 and the predicted class is the likeliest.
                var classes = result.Classes.Count;
                Assert.Equal([predictedColumn, .. result.Classes.Select(c => $"probability[{c}]")], header[^(classes + 1)..]);
                var scoreVectors = rescored.GetColumn<float[]>("Score").ToArray();
                Assert.Equal(scoreVectors.Select(v => v.Select(p => p.ToString("R", CultureInfo.InvariantCulture))), rows.Select(r => r[^classes..]));
                Assert.All(scoreVectors, v => Assert.Equal(1, v.Sum(), 4));
                Assert.Equal(predicted, scoreVectors.Select(v => result.Classes[Array.IndexOf(v, v.Max())]));
                break;
            default:
                var positive = rescored.GetColumn<bool>("PredictedLabel").ToArray();
                Assert.Equal(positive.Select(p => p ? result.Classes[1] : result.Classes[0]), predicted);
                if (trainer is "fast_forest" or "averaged_perceptron" or "linear_svm")
                {
                    Assert.Equal(predictedColumn, header[^1]);
                    break;
                }
                Assert.Equal("probability", header[^1]);
                var probabilities = rescored.GetColumn<float>("Probability").Select(p => p.ToString("R", CultureInfo.InvariantCulture));
                Assert.Equal(probabilities, rows.Select(r => r[^1]));
                break;
        }
    }

    [Theory]
    [InlineData(TrainingTask.MulticlassClassification, "lightgbm", "Species")]
    [InlineData(TrainingTask.MulticlassClassification, "averaged_perceptron", "Species")]
    [InlineData(TrainingTask.Regression, "sdca_regression", "Body Mass (g)")]
    [InlineData(TrainingTask.Regression, "gam", "Body Mass (g)")]
    [InlineData(TrainingTask.BinaryClassification, "fast_forest", "Sex")]
    [InlineData(TrainingTask.BinaryClassification, "lightgbm", "Sex")]
    [InlineData(TrainingTask.BinaryClassification, "linear_svm", "Sex")]
    [InlineData(TrainingTask.Clustering, "kmeans", null)]
    public async Task The_same_seed_gives_the_same_metrics_predictions_and_model(TrainingTask task, string trainer, string? label)
    {
        var data = Data(task == TrainingTask.BinaryClassification ? "penguins-sex" : "penguins");

        var first = await Run(data, task, trainer, label, "first");
        var second = await Run(data, task, trainer, label, "second");

        Assert.Equal(first.Metrics, second.Metrics);
        Assert.Equal(first.Predictions.Sha256, second.Predictions.Sha256);
        Assert.Equal(first.Model.Sha256, second.Model.Sha256);
        Assert.Equal(first.EvaluationFile.Sha256, second.EvaluationFile.Sha256);
    }

    [Fact]
    public async Task Another_seed_holds_out_other_rows()
    {
        var first = await Run(SampleData.Iris, TrainingTask.MulticlassClassification, "lightgbm", "species", "first", seed: 1);
        var second = await Run(SampleData.Iris, TrainingTask.MulticlassClassification, "lightgbm", "species", "second", seed: 2);

        Assert.NotEqual(File.ReadAllLines(first.Predictions.Path), File.ReadAllLines(second.Predictions.Path));
    }

    [Fact]
    public async Task Rows_without_a_label_are_dropped_and_counted()
    {
        var data = Data("penguins-sex");
        var rows = File.ReadAllLines(data.Path).Skip(1).ToArray();
        var missing = rows.Count(line => line.EndsWith(',')); // Sex is the last column

        var result = await Run(data, TrainingTask.BinaryClassification, "lightgbm", "Sex");

        Assert.True(missing > 0);
        Assert.Equal(new TrainingRowCounts(rows.Length, missing, 0, result.Rows.Training, result.Rows.Evaluated), result.Rows);
        Assert.Equal(rows.Length - missing, result.Rows.Training + result.Rows.Evaluated);
        Assert.DoesNotContain(File.ReadLines(result.Predictions.Path).Skip(1), line => line.Split(',')[6].Length == 0);
    }

    [Fact]
    public async Task Binary_positive_class_is_the_greater_value_and_predictions_use_the_labels_own_values()
    {
        var result = await Run(Data("penguins-sex"), TrainingTask.BinaryClassification, "lightgbm", "Sex");

        Assert.Equal(["FEMALE", "MALE"], result.Classes);
        var predicted = File.ReadLines(result.Predictions.Path).Skip(1).Select(line => line.Split(',')[7]).ToHashSet();
        Assert.Subset(new HashSet<string> { "FEMALE", "MALE" }, predicted);
    }

    [Fact]
    public async Task Result_records_every_hyperparameter_with_defaults_filled_in()
    {
        var result = await TrainingRun.ExecuteAsync(SampleData.Iris, new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "species", Trainer = "lightgbm", Seed = Seed,
            Hyperparameters = new Dictionary<string, string> { ["number_of_iterations"] = "10", ["learning_rate"] = "0.50" },
        }, _temp.File("run"));

        Assert.Equal("10", result.Settings.Hyperparameters["number_of_iterations"]);
        Assert.Equal("0.5", result.Settings.Hyperparameters["learning_rate"]);
        Assert.Equal("31", result.Settings.Hyperparameters["number_of_leaves"]);
        Assert.Equal(TrainerCatalogue.Find("lightgbm")!.Hyperparameters.Select(h => h.Name).Order(), result.Settings.Hyperparameters.Keys.Order());
    }

    [Fact]
    public async Task Artifact_checksums_and_sizes_match_the_files()
    {
        var result = await Run(SampleData.Iris, TrainingTask.MulticlassClassification, "lightgbm", "species");

        foreach (var artifact in new[] { result.Model, result.Predictions, result.EvaluationFile })
        {
            var bytes = await File.ReadAllBytesAsync(artifact.Path);
            Assert.Equal(bytes.Length, artifact.SizeBytes);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), artifact.Sha256);
        }
    }

    [Fact]
    public async Task The_result_describes_the_columns_the_model_reads_and_adds()
    {
        var result = await Run(Data("penguins-sex"), TrainingTask.BinaryClassification, "lightgbm", "Sex");

        Assert.Equal(SampleData.Penguins.Columns.Select(c => (c.Name, c.Kind == ColumnKind.Numeric ? "Single" : "String")),
            result.InputSchema.Select(c => (c.Name, c.Type)));
        Assert.Equal([("PredictedLabel", "Boolean"), ("Score", "Single"), ("Probability", "Single")], result.OutputSchema.Select(c => (c.Name, c.Type)));
    }

    [Fact]
    public async Task Quoted_names_and_values_with_commas_and_quotes_survive_the_round_trip()
    {
        var data = SampleData.Write(_temp.Path, "quoted.csv",
            [new("weight, kg", ColumnKind.Numeric), new("colour", ColumnKind.Categorical), new("label", ColumnKind.Categorical)],
            Enumerable.Range(0, 60).Select(i => $"{i % 7 + 0.5},\"{(i % 3 == 0 ? "red, \"\"dark\"\"" : "blue")}\",{(i % 2 == 0 ? "a" : "\"b \"\"x\"\" \\\"")}"),
            header: "\"weight, kg\",colour,label");

        var result = await Run(data, TrainingTask.BinaryClassification, "lightgbm", "label");

        var ml = new MLContext();
        var model = ml.Model.LoadWithDataLoader(File.OpenRead(result.Model.Path), out var loader);
        var holdout = loader.Load(result.Predictions.Path);
        Assert.StartsWith("\"weight, kg\",colour,label,predicted_label", File.ReadLines(result.Predictions.Path).First(), StringComparison.Ordinal);
        Assert.Contains("red, \"dark\"", holdout.GetColumn<string>("colour"));
        Assert.Equal(["a", "b \"x\" \\"], result.Classes);
        Assert.Equal(result.Rows.Evaluated, model.Transform(holdout).GetColumn<bool>("PredictedLabel").Count());
    }

    private CsvDataset Data(string name) => SampleData.Named(name, _temp.Path);

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string trainer, string? label, string output = "run", int seed = Seed) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label ?? "", Trainer = trainer, Seed = seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
        }, _temp.File(output));
}
