using System.Globalization;
using System.Text;
using Platform.Jobs.V1;

namespace Platform.Faults.Tests;

/// <summary>The suite's data sets and job specs: small and fast, or long enough to be caught mid-training.</summary>
public static class FaultData
{
    /// <summary>y = sum of the features plus noise, deterministic for a seed.</summary>
    public static byte[] RegressionCsv(int rows, int features = 4, int seed = 7)
    {
        var random = new Random(seed);
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', Enumerable.Range(0, features).Select(i => $"x{i}").Append("y")));
        for (var row = 0; row < rows; row++)
        {
            var x = Enumerable.Range(0, features).Select(_ => random.NextDouble()).ToArray();
            csv.AppendLine(string.Join(',', x.Append(x.Sum() + random.NextDouble() * 0.1).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>
    /// A poison data set: its label column holds a single class, so classification on it fails permanently
    /// ("classification needs at least two") on whichever worker tries, every time.
    /// </summary>
    public static byte[] SingleClassCsv(int rows = 50)
    {
        var csv = new StringBuilder("x0,x1,label\n");
        for (var row = 0; row < rows; row++) csv.Append(CultureInfo.InvariantCulture, $"{row},{row % 7},only\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>A job of a second or two: few trees on a small data set.</summary>
    public static JobSpec QuickJob(string datasetId, string modelName) => new()
    {
        DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", ModelName = modelName,
        Hyperparameters = { ["number_of_iterations"] = "10", ["number_of_leaves"] = "4", ["minimum_example_count_per_leaf"] = "2" },
    };

    /// <summary>A job that trains for a while (many deep trees on <see cref="LongRows"/> rows), to be caught mid-training.</summary>
    public static JobSpec LongJob(string datasetId, string modelName) => new()
    {
        DatasetId = datasetId, Task = TrainingTask.Regression, LabelColumn = "y", Trainer = "lightgbm", ModelName = modelName,
        Hyperparameters = { ["number_of_iterations"] = "400", ["number_of_leaves"] = "64", ["minimum_example_count_per_leaf"] = "1" },
    };

    /// <summary>Rows of the data set for <see cref="LongJob"/>.</summary>
    public const int LongRows = 20_000;

    /// <summary>The poison job: multiclass classification on <see cref="SingleClassCsv"/>.</summary>
    public static JobSpec PoisonJob(string datasetId, string modelName) => new()
    {
        DatasetId = datasetId, Task = TrainingTask.MulticlassClassification, LabelColumn = "label", Trainer = "lightgbm", ModelName = modelName,
        Hyperparameters = { ["number_of_iterations"] = "10" },
    };
}
