using System.Globalization;
using Platform.Training.Evaluation;
using Platform.Training.Preparation;
using Xunit.Abstractions;

namespace Platform.Training.Tests;

/// <summary>
/// Issues 3 and 18, acceptance 2: quality on the bundled data with 5-fold stratified cross-validation, seed 1, and
/// default hyperparameters and preparation (spam: the label-revealing "group" column excluded, as its profile warning
/// says). The recorded figures, on the whole spam corpus and against raw ML.NET on the same folds, come from
/// <c>make bench ARGS="--filter Quality"</c> (docs/benchmarks.md, docs/benchmarks.json); these are the bars.
/// </summary>
public sealed class QualityTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 1;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("iris", "species", "sdca_maximum_entropy", "accuracy", 0.95)]
    [InlineData("penguins", "Species", "lightgbm", "accuracy", 0.98)]
    // Issue 18's 0.97 holds on the whole corpus (docs/training.md); this 1,210-mail sample stays near 0.95.
    [InlineData("spam", "label", "averaged_perceptron", "f1[spam]", 0.95)]
    public async Task Five_fold_cross_validation_with_defaults_reaches_the_bar(string dataName, string label, string trainer, string metric, double bar)
    {
        var data = dataName switch { "iris" => SampleData.Iris, "penguins" => SampleData.Penguins, _ => SampleData.Spam };

        var result = await TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = dataName == "spam" ? TrainingTask.BinaryClassification : TrainingTask.MulticlassClassification,
            LabelColumn = label, Trainer = trainer, Seed = Seed,
            Preparation = dataName == "spam" ? new DataPreparation { ExcludeColumns = ["group"] } : DataPreparation.Default,
            Evaluation = new EvaluationSpec { Folds = 5 },
        }, _temp.File("run"));

        var value = result.Metrics[metric];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{dataName} {trainer}: {metric} {value:0.0000}; accuracy {result.Metrics["accuracy"]:0.0000} ± {result.Metrics["accuracy_std"]:0.0000} (fold std); " +
            $"macro_f1 {result.Metrics["macro_f1"]:0.0000}; training {result.Timings.Training.TotalSeconds:0.0} s"));
        Assert.True(value >= bar, $"{dataName}: {metric} {value} is under {bar}");
    }
}
