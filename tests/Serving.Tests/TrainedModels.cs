using Platform.Training;
using Platform.Training.Data;
using Platform.Training.Preparation;

namespace Platform.Serving.Tests;

/// <summary>A model trained by the platform's own training code, as a worker would register it.</summary>
/// <param name="Name">A short name for the test's messages.</param>
/// <param name="Dataset">The data it was trained on.</param>
public sealed record TrainedModel(string Name, CsvDataset Dataset, TrainingSpec Spec, TrainingResult Result, string Folder)
{
    public string ModelPath => Result.Model.Path;
    public string EvaluationPath => Result.EvaluationFile.Path;
}

/// <summary>
/// Models trained once for the whole test run (a few seconds each), from the bundled samples: the kinds the serving
/// service must answer for (multiclass, binary, regression, clustering; trees and a linear model).
/// </summary>
public static class TrainedModels
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "data");
    private static readonly string Root = Directory.CreateTempSubdirectory("platform-serving-models-").FullName;
    private static readonly Dictionary<string, Lazy<Task<TrainedModel>>> Models = new();

    public static CsvDataset Penguins { get; } = new(Path.Combine(Data, "penguins.csv"),
    [
        new("Species", ColumnKind.Categorical), new("Island", ColumnKind.Categorical), new("Beak Length (mm)", ColumnKind.Numeric),
        new("Beak Depth (mm)", ColumnKind.Numeric), new("Flipper Length (mm)", ColumnKind.Numeric), new("Body Mass (g)", ColumnKind.Numeric),
        new("Sex", ColumnKind.Categorical),
    ]);

    public static CsvDataset Iris { get; } = new(Path.Combine(Data, "iris.csv"),
    [
        new("sepal_length", ColumnKind.Numeric), new("sepal_width", ColumnKind.Numeric), new("petal_length", ColumnKind.Numeric),
        new("petal_width", ColumnKind.Numeric), new("species", ColumnKind.Categorical),
    ]);

    /// <summary>Penguin species, LightGBM (one-hot Island and Sex, missing numbers filled with the mean).</summary>
    public static Task<TrainedModel> PenguinsLightGbm => Get("penguins-lightgbm", Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm");

    /// <summary>The same data and trainer with another seed and fewer trees: a second version that answers differently.</summary>
    public static Task<TrainedModel> PenguinsLightGbmSmall => Get("penguins-lightgbm-small", Penguins, TrainingTask.MulticlassClassification, "Species", "lightgbm",
        new Dictionary<string, string> { ["number_of_iterations"] = "3" }, seed: 7);

    /// <summary>Iris species, LightGBM.</summary>
    public static Task<TrainedModel> IrisLightGbm => Get("iris-lightgbm", Iris, TrainingTask.MulticlassClassification, "species", "lightgbm");

    /// <summary>Iris with the label "versicolor" (yes / no) instead of the species: binary, FastTree, calibrated.</summary>
    public static Task<TrainedModel> VersicolorFastTree => Get("versicolor-fasttree", Versicolor, TrainingTask.BinaryClassification, "versicolor", "fast_tree");

    /// <summary>Iris with the species replaced by "versicolor": yes or no.</summary>
    public static CsvDataset Versicolor { get; } = TwoClassIris();

    /// <summary>Penguin body mass (regression), SDCA: a linear model.</summary>
    public static Task<TrainedModel> PenguinsMassSdca => Get("penguins-mass-sdca", Penguins, TrainingTask.Regression, "Body Mass (g)", "sdca_regression");

    /// <summary>Iris clusters, k-means (the label is left out of the features).</summary>
    public static Task<TrainedModel> IrisKMeans => Get("iris-kmeans", Iris, TrainingTask.Clustering, "", "kmeans",
        new Dictionary<string, string> { ["number_of_clusters"] = "3" }, exclude: ["species"]);

    private static Task<TrainedModel> Get(string name, CsvDataset data, TrainingTask task, string label, string trainer,
        Dictionary<string, string>? hyperparameters = null, int seed = 42, string[]? exclude = null)
    {
        Lazy<Task<TrainedModel>> model;
        lock (Models)
        {
            if (!Models.TryGetValue(name, out model!))
                Models[name] = model = new Lazy<Task<TrainedModel>>(() => TrainAsync(name, data, new TrainingSpec
                {
                    Task = task, LabelColumn = label, Trainer = trainer, Seed = seed,
                    Hyperparameters = hyperparameters ?? [],
                    Preparation = new DataPreparation { ExcludeColumns = exclude ?? [] },
                }));
        }
        return model.Value;
    }

    private static CsvDataset TwoClassIris()
    {
        var path = Path.Combine(Root, "versicolor.csv");
        var lines = File.ReadAllLines(Iris.Path).Where(line => line.Length > 0).ToList();
        File.WriteAllLines(path, [lines[0].Replace("species", "versicolor", StringComparison.Ordinal),
            .. lines.Skip(1).Select(line => line[..line.LastIndexOf(',')] + (line.EndsWith(",versicolor", StringComparison.Ordinal) ? ",yes" : ",no"))]);
        return new CsvDataset(path, [.. Iris.Columns.Take(4), new("versicolor", ColumnKind.Categorical)]);
    }

    private static async Task<TrainedModel> TrainAsync(string name, CsvDataset data, TrainingSpec spec)
    {
        var folder = Path.Combine(Root, name);
        var result = await TrainingRun.ExecuteAsync(data, spec, folder);
        return new TrainedModel(name, data, spec, result, folder);
    }
}
