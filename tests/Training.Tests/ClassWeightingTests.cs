using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Catalogue;
using Platform.Training.Data;
using Platform.Training.Evaluation;
using Platform.Training.Pipeline;
using Platform.Training.Preparation;

namespace Platform.Training.Tests;

/// <summary>Class weighting (preparation.class_weighting): computed on the training rows, read by the trainer, recorded.</summary>
public sealed class ClassWeightingTests : IDisposable
{
    private const int Seed = 7;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Every trainer the catalogue says takes example weights, for every classification task it serves.</summary>
    public static TheoryData<TrainingTask, string> WeightedTrainers
    {
        get
        {
            var data = new TheoryData<TrainingTask, string>();
            foreach (var trainer in TrainerCatalogue.All)
                foreach (var task in trainer.ExampleWeightTasks)
                    data.Add(task, trainer.Name);
            return data;
        }
    }

    [Fact]
    public void The_catalogue_marks_the_trainers_that_take_example_weights()
    {
        Assert.Equal(["fast_tree", "gam", "lbfgs_logistic", "lightgbm", "sdca_logistic"],
            TrainerCatalogue.List(TrainingTask.BinaryClassification).Where(t => t.TakesExampleWeights(TrainingTask.BinaryClassification)).Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["lbfgs_maximum_entropy", "lightgbm", "sdca_maximum_entropy"],
            TrainerCatalogue.List(TrainingTask.MulticlassClassification).Where(t => t.TakesExampleWeights(TrainingTask.MulticlassClassification)).Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(TrainerCatalogue.All, t => Assert.All(t.ExampleWeightTasks, task => Assert.True(task.IsClassification())));
    }

    /// <summary>Trainers whose models weights leave unchanged (the theory above fails for them) are refused class weighting.</summary>
    [Theory]
    [InlineData(TrainingTask.BinaryClassification, "fast_forest")]
    [InlineData(TrainingTask.BinaryClassification, "linear_svm")]
    [InlineData(TrainingTask.MulticlassClassification, "fast_tree")]
    public void Trainers_that_ignore_weights_are_refused_class_weighting(TrainingTask task, string trainer)
    {
        var spec = new TrainingSpec
        {
            Task = task, LabelColumn = "species", Trainer = trainer, Seed = Seed,
            Preparation = new DataPreparation { ClassWeighting = ClassWeighting.Balanced },
        };

        var failure = Assert.Throws<SpecValidationException>(() => spec.Validate(SampleData.Iris.Columns));

        Assert.Equal("preparation.class_weighting", failure.Field);
    }

    [Theory]
    [MemberData(nameof(WeightedTrainers))]
    public async Task Every_trainer_marked_for_example_weights_learns_something_else_when_a_class_weighs_more(TrainingTask task, string trainer)
    {
        var (data, label, heavy) = task == TrainingTask.BinaryClassification
            ? (SampleData.IrisTwoClass(_temp.Path, ColumnKind.Numeric), "is_versicolor", "1")
            : (SampleData.Penguins, "Species", "Chinstrap");

        var plain = await Run(data, task, trainer, label, null, "plain");
        var weighted = await Run(data, task, trainer, label,
            new DataPreparation { ClassWeighting = ClassWeighting.Custom, ClassWeights = new Dictionary<string, double> { [heavy] = 4 } }, "weighted");

        // The same rows are evaluated; had the trainer ignored the weight column, every score would be the same.
        Assert.Equal(plain.Rows.Evaluated, weighted.Rows.Evaluated);
        Assert.NotEqual(File.ReadAllText(plain.Predictions.Path), File.ReadAllText(weighted.Predictions.Path));
        Assert.Equal(PreparationStep.ClassWeights, weighted.Preparation[^1].Kind);
        Assert.DoesNotContain(plain.Preparation, step => step.Kind == PreparationStep.ClassWeights);
    }

    [Fact]
    public async Task Balanced_weighting_gives_each_row_n_over_k_times_its_class_count_and_records_the_weights()
    {
        // Cross-validation: the model saved learns from every row, so the weights are over all 344 penguins.
        var result = await Run(SampleData.Penguins, TrainingTask.MulticlassClassification, "lightgbm", "Species",
            new DataPreparation { ClassWeighting = ClassWeighting.Balanced }, "balanced", folds: 3);

        var counts = File.ReadLines(SampleData.Penguins.Path).Skip(1).Where(l => l.Length > 0)
            .GroupBy(l => l[..l.IndexOf(',', StringComparison.Ordinal)]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, counts.Count);
        var total = counts.Values.Sum();
        var expected = counts.ToDictionary(c => c.Key, c => (double)total / (3 * c.Value));

        var step = result.Preparation[^1];
        Assert.Equal((PreparationStep.ClassWeights, "Species"), (step.Kind, Assert.Single(step.Columns)));
        Assert.Equal("balanced", step.Parameters["weighting"]);
        foreach (var (species, weight) in expected)
            Assert.Equal(weight, double.Parse(step.Parameters[$"weight[{species}]"], CultureInfo.InvariantCulture), 12);
        // Rarer classes weigh more: Chinstrap (68 rows) above Adelie (152).
        Assert.True(expected["Chinstrap"] > 1 && expected["Adelie"] < 1);

        // The saved model gives each row exactly its class's weight.
        var ml = new MLContext();
        var model = ml.Model.LoadWithDataLoader(File.OpenRead(result.Model.Path), out var loader);
        var scored = model.Transform(loader.Load(SampleData.Penguins.Path));
        var rows = scored.GetColumn<string>("Species").Zip(scored.GetColumn<float>(ReservedColumns.Weight));
        Assert.All(rows, row => Assert.Equal((float)expected[row.First], row.Second));
    }

    [Fact]
    public async Task Custom_weights_move_predictions_towards_the_class_that_weighs_more_and_unnamed_classes_weigh_one()
    {
        var data = SampleData.IrisTwoClass(_temp.Path, ColumnKind.Boolean);
        var plain = await Run(data, TrainingTask.BinaryClassification, "lbfgs_logistic", "is_versicolor", null, "plain");
        var weighted = await Run(data, TrainingTask.BinaryClassification, "lbfgs_logistic", "is_versicolor",
            new DataPreparation { ClassWeighting = ClassWeighting.Custom, ClassWeights = new Dictionary<string, double> { ["true"] = 10 } }, "weighted");

        Assert.True(PredictedPositives(weighted) > PredictedPositives(plain),
            $"{PredictedPositives(weighted)} rows predicted versicolor with weight 10, {PredictedPositives(plain)} without");
        var step = weighted.Preparation[^1];
        Assert.Equal(("custom", "1", "10"), (step.Parameters["weighting"], step.Parameters["weight[false]"], step.Parameters["weight[true]"]));
    }

    [Fact]
    public async Task A_custom_weight_for_a_class_the_label_does_not_have_fails_naming_the_classes()
    {
        var failure = await Assert.ThrowsAsync<TrainingDataException>(() => Run(SampleData.Iris, TrainingTask.MulticlassClassification, "lightgbm", "species",
            new DataPreparation { ClassWeighting = ClassWeighting.Custom, ClassWeights = new Dictionary<string, double> { ["Setosa"] = 2 } }, "unknown"));

        Assert.Equal("preparation.class_weights names 'Setosa', which is not a class of 'species'; its classes are 'setosa', 'versicolor', 'virginica'",
            failure.Message);
    }

    public static TheoryData<TrainingTask, string, DataPreparation, string, string> BadSpecs => new()
    {
        { TrainingTask.Regression, "lightgbm", new DataPreparation { ClassWeighting = ClassWeighting.Balanced },
            "preparation.class_weighting", "balanced applies to classification, not regression" },
        { TrainingTask.BinaryClassification, "averaged_perceptron", new DataPreparation { ClassWeighting = ClassWeighting.Balanced },
            "preparation.class_weighting", "'averaged_perceptron' takes no example weights for binary_classification; these do: lightgbm, fast_tree, gam, sdca_logistic, lbfgs_logistic" },
        { TrainingTask.BinaryClassification, "lightgbm", new DataPreparation { ClassWeighting = ClassWeighting.Balanced, ClassWeights = new Dictionary<string, double> { ["1"] = 2 } },
            "preparation.class_weights", "apply only with class_weighting custom" },
        { TrainingTask.BinaryClassification, "lightgbm", new DataPreparation { ClassWeighting = ClassWeighting.Custom },
            "preparation.class_weights", "custom weighting needs a weight for at least one class" },
        { TrainingTask.BinaryClassification, "lightgbm", new DataPreparation { ClassWeighting = ClassWeighting.Custom, ClassWeights = new Dictionary<string, double> { ["1"] = 0 } },
            "preparation.class_weights[1]", "0 is out of range; expected a number above 0 and at most 1000000" },
        { TrainingTask.BinaryClassification, "lightgbm", new DataPreparation { ClassWeighting = ClassWeighting.Custom, ClassWeights = new Dictionary<string, double> { ["0"] = double.NaN } },
            "preparation.class_weights[0]", "NaN is out of range; expected a number above 0 and at most 1000000" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void A_weighting_that_does_not_fit_the_task_or_trainer_is_refused_naming_the_field(
        TrainingTask task, string trainer, DataPreparation preparation, string field, string reason)
    {
        var label = task == TrainingTask.Regression ? "sepal_length" : "is_versicolor";
        var spec = new TrainingSpec { Task = task, LabelColumn = label, Trainer = trainer, Seed = Seed, Preparation = preparation };

        var failure = Assert.Throws<SpecValidationException>(() => spec.Validate(SampleData.IrisTwoClass(_temp.Path, ColumnKind.Numeric).Columns));

        Assert.Equal((field, reason), (failure.Field, failure.Reason));
    }

    [Fact]
    public void The_wire_names_read_back()
    {
        var preparation = new Contracts.PreparationSpec { ClassWeighting = "custom", ClassWeights = new Dictionary<string, double> { ["spam"] = 3 } }.ToDataPreparation();

        Assert.Equal((ClassWeighting.Custom, 3.0), (preparation.ClassWeighting, preparation.ClassWeights["spam"]));
        var unknown = Assert.Throws<SpecValidationException>(() => new Contracts.PreparationSpec { ClassWeighting = "inverse" }.ToDataPreparation());
        Assert.Equal(("preparation.class_weighting", "'inverse' is not one of none, balanced, custom"), (unknown.Field, unknown.Reason));
    }

    private static int PredictedPositives(TrainingResult result) =>
        File.ReadLines(result.Predictions.Path).Skip(1).Count(line => line.Split(',')[5] == "true");

    private Task<TrainingResult> Run(CsvDataset data, TrainingTask task, string trainer, string label, DataPreparation? preparation, string output, int folds = 0) =>
        TrainingRun.ExecuteAsync(data, new TrainingSpec
        {
            Task = task, LabelColumn = label, Trainer = trainer, Seed = Seed,
            Hyperparameters = DirectPipeline.Hyperparameters(trainer),
            Preparation = preparation ?? DataPreparation.Default,
            Evaluation = folds == 0 ? EvaluationSpec.Default : new EvaluationSpec { Folds = folds },
        }, _temp.File(output));
}
