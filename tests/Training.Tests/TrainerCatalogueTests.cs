using Platform.Training.Catalogue;

namespace Platform.Training.Tests;

public sealed class TrainerCatalogueTests
{
    [Theory]
    [InlineData(TrainingTask.BinaryClassification, new[] { "averaged_perceptron", "fast_forest", "fast_tree", "gam", "lbfgs_logistic", "lightgbm", "linear_svm", "sdca_logistic" })]
    [InlineData(TrainingTask.MulticlassClassification, new[] { "averaged_perceptron", "fast_tree", "lbfgs_maximum_entropy", "lightgbm", "linear_svm", "sdca_maximum_entropy" })]
    [InlineData(TrainingTask.Regression, new[] { "fast_forest", "fast_tree", "gam", "lbfgs_poisson", "lightgbm", "online_gradient_descent", "sdca_regression" })]
    [InlineData(TrainingTask.Clustering, new[] { "kmeans" })]
    public void List_filters_by_task(TrainingTask task, string[] expected)
    {
        Assert.Equal(expected, TrainerCatalogue.List(task).Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void List_without_a_task_has_every_trainer_once()
    {
        var names = TrainerCatalogue.List().Select(t => t.Name).ToArray();
        Assert.Equal(names.Distinct(), names);
        Assert.Equal(14, names.Length);
    }

    [Fact]
    public void Every_declared_default_is_valid_for_its_own_declaration()
    {
        foreach (var trainer in TrainerCatalogue.All)
        {
            var defaults = trainer.Hyperparameters.ToDictionary(h => h.Name, h => h.DefaultValue);
            foreach (var task in trainer.Tasks)
                Assert.Equal(defaults, TrainerCatalogue.Validate(task, trainer.Name, defaults).Hyperparameters);
        }
    }

    [Fact]
    public void Validate_fills_in_defaults_and_normalizes_values()
    {
        var settings = TrainerCatalogue.Validate(TrainingTask.Regression, "lightgbm",
            new Dictionary<string, string> { ["learning_rate"] = " 5e-2 ", ["number_of_iterations"] = "+40" });

        Assert.Equal("0.05", settings.Hyperparameters["learning_rate"]);
        Assert.Equal("40", settings.Hyperparameters["number_of_iterations"]);
        Assert.Equal("31", settings.Hyperparameters["number_of_leaves"]);
        Assert.Equal("lightgbm", settings.Trainer.Name);
    }

    [Theory]
    [InlineData("binary_classification", TrainingTask.BinaryClassification)]
    [InlineData("multiclass_classification", TrainingTask.MulticlassClassification)]
    [InlineData("regression", TrainingTask.Regression)]
    [InlineData("clustering", TrainingTask.Clustering)]
    public void Task_wire_names_round_trip(string wireName, TrainingTask task)
    {
        Assert.Equal(task, TrainingTasks.Parse(wireName));
        Assert.Equal(wireName, task.ToWireName());
    }

    [Theory]
    [InlineData("Regression")]
    [InlineData("classification")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_task_names_the_task_field(string? wireName)
    {
        var error = Assert.Throws<SpecValidationException>(() => TrainerCatalogue.Validate(wireName, "lightgbm", null));
        Assert.Equal("task", error.Field);
    }

    [Theory]
    [InlineData(TrainingTask.Regression, "xgboost")]
    [InlineData(TrainingTask.Regression, "LightGBM")]
    [InlineData(TrainingTask.Regression, "sdca_logistic")]
    [InlineData(TrainingTask.BinaryClassification, "sdca_regression")]
    [InlineData(TrainingTask.Regression, "sdca")]
    [InlineData(TrainingTask.MulticlassClassification, "fast_forest")]
    [InlineData(TrainingTask.Clustering, "lightgbm")]
    [InlineData(TrainingTask.Regression, "kmeans")]
    [InlineData(TrainingTask.BinaryClassification, null)]
    public void Unknown_or_unsuitable_trainer_names_the_trainer_field(TrainingTask task, string? trainer)
    {
        var error = Assert.Throws<SpecValidationException>(() => TrainerCatalogue.Validate(task, trainer, null));

        Assert.Equal("trainer", error.Field);
        Assert.Contains(TrainerCatalogue.List(task)[0].Name, error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lightgbm", "learning_rte", "0.1", "unknown")]
    [InlineData("lightgbm", "learning_rate", "fast", "type")]
    [InlineData("lightgbm", "learning_rate", "NaN", "type")]
    [InlineData("lightgbm", "number_of_iterations", "1.5", "type")]
    [InlineData("lbfgs_logistic", "enforce_non_negativity", "yes", "type")]
    [InlineData("lightgbm", "learning_rate", "0", "range")]
    [InlineData("lightgbm", "learning_rate", "1.5", "range")]
    [InlineData("fast_tree", "number_of_leaves", "1", "range")]
    [InlineData("sdca_logistic", "maximum_number_of_iterations", "100000", "range")]
    [InlineData("kmeans", "number_of_clusters", "1", "range")]
    [InlineData("gam", "maximum_bin_count_per_feature", "1", "range")]
    [InlineData("linear_svm", "perform_projection", "1", "type")]
    public void Bad_hyperparameters_name_the_field(string trainer, string name, string value, string problem)
    {
        var task = TrainerCatalogue.Find(trainer)!.Tasks[0];

        var error = Assert.Throws<SpecValidationException>(() =>
            TrainerCatalogue.Validate(task, trainer, new Dictionary<string, string> { [name] = value }));

        Assert.Equal($"hyperparameters.{name}", error.Field);
        Assert.StartsWith($"hyperparameters.{name}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem switch { "unknown" => "has no hyperparameter", "range" => "out of range", _ => value }, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_trainer_declares_its_hyperparameters_with_a_description_and_a_default_in_range()
    {
        Assert.All(TrainerCatalogue.All, trainer =>
        {
            Assert.NotEmpty(trainer.Hyperparameters);
            Assert.NotEmpty(trainer.Description);
            Assert.All(trainer.Hyperparameters, h =>
            {
                Assert.NotEmpty(h.Description);
                if (h.Type == HyperparameterType.Bool) return;
                var value = double.Parse(h.DefaultValue, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(value, h.Min!.Value, h.Max!.Value);
            });
        });
    }

    [Fact]
    public void Hyperparameter_declarations_use_the_public_type_names()
    {
        var all = TrainerCatalogue.All.SelectMany(t => t.Hyperparameters).ToArray();
        Assert.All(all, h => Assert.Contains(h.TypeName, new[] { "int", "double", "bool" }));
        var learningRate = TrainerCatalogue.Find("lightgbm")!.Hyperparameters.Single(h => h.Name == "learning_rate");
        Assert.Equal(("double", "0.1", "0.0001", "1"), (learningRate.TypeName, learningRate.DefaultValue, learningRate.MinText, learningRate.MaxText));
    }
}
