using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Platform.Training.Data;
using Platform.Training.Onnx;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

public sealed class OnnxExportTests : IDisposable
{
    private const int Seed = 7;
    private const float Tolerance = 1e-4f;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Trainers whose models ML.NET's converter cannot translate (docs/registry.md lists them).</summary>
    private static readonly HashSet<string> NotExportable = ["gam"];

    [Theory]
    [MemberData(nameof(TrainingRunTests.Trainers), MemberType = typeof(TrainingRunTests))]
    public async Task Every_exportable_trainer_gives_the_same_predictions_in_ONNX_as_in_MLNET(TrainingTask task, string trainer, string dataName, string? label)
    {
        var result = await Run(Data(dataName), task, trainer, label);
        var modelBytes = await File.ReadAllBytesAsync(result.Model.Path);

        var export = OnnxExport.Export(result.Model.Path, _temp.File("model.onnx"));

        Assert.Equal(modelBytes, await File.ReadAllBytesAsync(result.Model.Path));
        if (NotExportable.Contains(trainer))
        {
            Assert.Null(export.Model);
            Assert.StartsWith("ONNX export not supported: the trainer's model (Gam", export.NotSupportedReason);
            Assert.EndsWith("has no ONNX converter", export.NotSupportedReason);
            Assert.False(File.Exists(_temp.File("model.onnx")));
            return;
        }
        Assert.Null(export.NotSupportedReason);
        var bytes = await File.ReadAllBytesAsync(export.Model!.Path);
        Assert.Equal(bytes.Length, export.Model.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), export.Model.Sha256);
        AssertSamePredictions(result, export.Model.Path);
    }

    /// <summary>Each preparation step, on penguins (missing numbers and categories), with a trainer that exports.</summary>
    public static TheoryData<string, MissingValuePolicy?, CategoricalEncoding?, FeatureNormalization?, bool> Preparations => new()
    {
        { "mean", MissingValuePolicy.Mean, null, null, true },
        { "indicator", MissingValuePolicy.Indicator, null, null, true },
        { "drop_row", MissingValuePolicy.DropRow, null, null, true },
        { "hashing", null, CategoricalEncoding.Hashing, null, true },
        { "min_max", null, null, FeatureNormalization.MinMax, true },
        { "mean_variance", null, null, FeatureNormalization.MeanVariance, true },
        { "median", MissingValuePolicy.Median, null, null, false },
        { "most_frequent", MissingValuePolicy.MostFrequent, null, null, false },
    };

    [Theory]
    [MemberData(nameof(Preparations))]
    public async Task Preparation_steps_export_or_say_why_not(string name, MissingValuePolicy? missing, CategoricalEncoding? encoding, FeatureNormalization? normalization, bool exportable)
    {
        var result = await TrainingRun.ExecuteAsync(SampleData.Penguins, new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "sdca_maximum_entropy", Seed = Seed,
            Preparation = new DataPreparation { MissingValues = missing, CategoricalEncoding = encoding, Normalization = normalization },
        }, _temp.File(name));

        var export = OnnxExport.Export(result.Model.Path, _temp.File(name + ".onnx"));

        if (!exportable)
        {
            Assert.StartsWith("ONNX export not supported: the ExpressionTransformer stage (the median or most-frequent fill", export.NotSupportedReason);
            Assert.Null(export.Model);
            return;
        }
        Assert.Null(export.NotSupportedReason);
        AssertSamePredictions(result, export.Model!.Path);
    }

    [Fact]
    public async Task A_model_trained_with_class_weights_exports_without_the_weight_stage()
    {
        var result = await TrainingRun.ExecuteAsync(SampleData.Penguins, new TrainingSpec
        {
            Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = Seed,
            Preparation = new DataPreparation { ClassWeighting = ClassWeighting.Balanced },
        }, _temp.File("weighted"));

        var export = OnnxExport.Export(result.Model.Path, _temp.File("weighted.onnx"));

        Assert.Null(export.NotSupportedReason);
        using (var session = new InferenceSession(export.Model!.Path))
            Assert.DoesNotContain(session.OutputMetadata.Keys, name => name.StartsWith("__weight__", StringComparison.Ordinal));
        AssertSamePredictions(result, export.Model.Path);
    }

    [Fact]
    public async Task Text_features_do_not_export_and_say_why()
    {
        var result = await TrainingRun.ExecuteAsync(SampleData.Spam, new TrainingSpec
        {
            Task = TrainingTask.BinaryClassification, LabelColumn = "label", Trainer = "sdca_logistic", Seed = Seed,
            Preparation = new DataPreparation { ExcludeColumns = ["group"] },
        }, _temp.File("spam"));

        var export = OnnxExport.Export(result.Model.Path, _temp.File("spam.onnx"));

        Assert.Null(export.Model);
        Assert.StartsWith("ONNX export not supported: the converter fails on the TextFeaturizingEstimator.Transformer stage", export.NotSupportedReason);
        Assert.False(File.Exists(_temp.File("spam.onnx")));
    }

    /// <summary>Scores the evaluated rows (the predictions CSV starts with the data set's columns) with both models and compares every prediction column.</summary>
    private static void AssertSamePredictions(TrainingResult result, string onnxPath)
    {
        var ml = new MLContext();
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        using (var stream = File.OpenRead(result.Model.Path))
            model = ml.Model.LoadWithDataLoader(stream, out loader);
        var rows = loader.Load(result.Predictions.Path);
        var scored = model.Transform(rows);
        var count = checked((int)result.Rows.Evaluated);

        using var session = new InferenceSession(onnxPath);
        var inputs = session.InputMetadata.Select(input => Input(rows, input.Key, input.Value, count)).ToList();
        using var outputs = session.Run(inputs);
        var byName = outputs.ToDictionary(o => o.Name);

        var compared = 0;
        foreach (var column in new[] { "PredictedLabel", "Score", "Probability" })
        {
            if (scored.Schema.GetColumnOrNull(column) is not { } mlColumn) continue;
            var onnx = byName[column + ".output"];
            compared++;
            var type = mlColumn.Type;
            if (type is VectorDataViewType)
            {
                var expected = scored.GetColumn<float[]>(column).SelectMany(v => v).ToArray();
                var actual = onnx.AsTensor<float>().ToArray();
                AssertClose(expected, actual, column);
            }
            else if (type == NumberDataViewType.Single)
                AssertClose(scored.GetColumn<float>(column).ToArray(), onnx.AsTensor<float>().ToArray(), column);
            else if (type == BooleanDataViewType.Instance)
                Assert.Equal(scored.GetColumn<bool>(column), onnx.AsTensor<bool>().ToArray());
            else if (type is TextDataViewType)
                Assert.Equal(scored.GetColumn<string>(column), onnx.AsTensor<string>().ToArray());
            else if (type is KeyDataViewType)
                // Clustering: ML.NET's keys count from 1, the ONNX graph's cluster index from 0.
                Assert.Equal(scored.GetColumn<uint>(column).Select(key => key - 1), onnx.AsTensor<uint>().ToArray());
            else
                Assert.Fail($"Unexpected type {type} of {column}");
        }
        Assert.True(compared >= 1, "Score is compared at least");
    }

    private static void AssertClose(float[] expected, float[] actual, string column)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{column}[{i}]: ML.NET {expected[i]}, ONNX {actual[i]}");
    }

    private static NamedOnnxValue Input(IDataView rows, string name, NodeMetadata metadata, int count)
    {
        int[] shape = [count, 1];
        var type = rows.Schema[name].Type;
        if (metadata.ElementType == typeof(float))
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(rows.GetColumn<float>(name).ToArray(), shape));
        if (metadata.ElementType == typeof(string))
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(rows.GetColumn<string>(name).ToArray(), shape));
        if (metadata.ElementType == typeof(bool))
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(rows.GetColumn<bool>(name).ToArray(), shape));
        throw new InvalidOperationException($"Input {name}: {metadata.ElementType} for {type}");
    }

    private CsvDataset Data(string name) => name switch
    {
        "penguins" => SampleData.Penguins,
        "iris" => SampleData.Iris,
        "iris-boolean" => SampleData.IrisTwoClass(_temp.Path, ColumnKind.Boolean),
        "iris-numeric" => SampleData.IrisTwoClass(_temp.Path, ColumnKind.Numeric),
        "iris-categorical" => SampleData.IrisTwoClass(_temp.Path, ColumnKind.Categorical),
        "penguins-sex" => SampleData.PenguinsSex(_temp.Path),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string trainer, string? label) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label ?? "", Trainer = trainer, Seed = Seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
        }, _temp.File("run"));
}
