using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using JobState = Platform.Jobs.V1.JobState;

namespace Platform.Scheduler.Tests;

/// <summary>
/// The preparation and evaluation parts of a job spec (issue 3): checked against the data set's columns at
/// submission, stored, shown by GetJob, handed to the worker, and the worker's evaluation shown with the result.
/// </summary>
public sealed class TrainingSpecSubmissionTests : IAsyncLifetime
{
    private SchedulerTestHost _host = null!;
    private Dataset _penguins = null!;

    public async Task InitializeAsync()
    {
        _host = await SchedulerTestHost.StartAsync();
        _penguins = _host.ModelStore.AddPenguins();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private SubmitJobRequest Valid() => new()
    {
        Spec = new JobSpec
        {
            DatasetId = _penguins.Id,
            Task = TrainingTask.MulticlassClassification,
            LabelColumn = "species",
            Trainer = "lightgbm",
            Seed = 42,
            Preparation = new Preparation
            {
                ExcludeColumns = { "island" },
                Normalization = Normalization.MeanVariance,
                Columns = { new ColumnPreparation { Name = "bill_length_mm", MissingValues = MissingValuePolicy.Median } },
            },
            Evaluation = new EvaluationSpec { Folds = 5, FeatureImportance = true },
        },
    };

    [Fact]
    public async Task Preparation_and_evaluation_are_stored_shown_and_handed_to_the_worker()
    {
        var job = await _host.SubmitAsync(Valid());

        Assert.Equal(Valid().Spec.Preparation, job.Spec.Preparation);
        Assert.Equal(Valid().Spec.Evaluation, job.Spec.Evaluation);
        Assert.False(job.Spec.Evaluation.HasStratified); // left to the default, and shown so
        var stored = await _host.GetAsync(job.Id);
        Assert.Equal(job.Spec, stored.Spec);

        var command = Assert.Single(_host.PublishedOf<TrainModel>());
        Assert.Equal(["island"], command.Preparation!.ExcludeColumns);
        Assert.Equal("mean_variance", command.Preparation.Normalization);
        Assert.Equal(("bill_length_mm", "median", (string?)null),
            (command.Preparation.Columns[0].Name, command.Preparation.Columns[0].MissingValues, command.Preparation.Columns[0].Encoding));
        Assert.Equal((5, (bool?)null, true), (command.Evaluation!.Folds, command.Evaluation.Stratified, command.Evaluation.FeatureImportance));
    }

    [Fact]
    public async Task Clustering_needs_no_label_and_lists_its_trainer()
    {
        var request = Valid();
        request.Spec.Task = TrainingTask.Clustering;
        request.Spec.LabelColumn = "";
        request.Spec.Trainer = "kmeans";
        request.Spec.Evaluation = null;

        var job = await _host.SubmitAsync(request);
        var trainers = await _host.CallAsync((s, r, c) => s.ListTrainers(r, c), new ListTrainersRequest { Task = TrainingTask.Clustering });

        Assert.Equal(TrainingTask.Clustering, job.Spec.Task);
        Assert.Equal(("clustering", ""), (_host.PublishedOf<TrainModel>().Single().Task, _host.PublishedOf<TrainModel>().Single().LabelColumn));
        var kmeans = Assert.Single(trainers.Trainers);
        Assert.Equal(("kmeans", TrainingTask.Clustering), (kmeans.Name, Assert.Single(kmeans.Tasks)));
    }

    [Fact]
    public async Task Class_weighting_is_stored_shown_handed_to_the_worker_and_the_trainers_that_take_it_are_listed()
    {
        var request = Valid();
        request.Spec.Preparation.ClassWeighting = ClassWeighting.Custom;
        request.Spec.Preparation.ClassWeights.Add("Chinstrap", 2.5);

        var job = await _host.SubmitAsync(request);
        var trainers = await _host.CallAsync((s, r, c) => s.ListTrainers(r, c), new ListTrainersRequest { Task = TrainingTask.MulticlassClassification });

        Assert.Equal((ClassWeighting.Custom, 2.5), (job.Spec.Preparation.ClassWeighting, job.Spec.Preparation.ClassWeights["Chinstrap"]));
        Assert.Equal(job.Spec, (await _host.GetAsync(job.Id)).Spec);
        var command = Assert.Single(_host.PublishedOf<TrainModel>());
        Assert.Equal(("custom", 2.5), (command.Preparation!.ClassWeighting, command.Preparation.ClassWeights["Chinstrap"]));
        Assert.Equal([TrainingTask.BinaryClassification, TrainingTask.MulticlassClassification],
            trainers.Trainers.Single(t => t.Name == "lightgbm").ExampleWeightTasks);
        Assert.Equal([TrainingTask.BinaryClassification], trainers.Trainers.Single(t => t.Name == "fast_tree").ExampleWeightTasks);
        Assert.Empty(trainers.Trainers.Single(t => t.Name == "averaged_perceptron").ExampleWeightTasks);
    }

    public static TheoryData<string, string, string> BadSpecs => new()
    {
        { "exclude an unknown column", "spec.preparation.exclude_columns[0]", "'beak_colour' is not a column of the data set" },
        { "median of a categorical column", "spec.preparation.columns[0].missing_values", "median does not apply to 'island', a categorical column" },
        { "an enum number this build does not know", "spec.preparation.normalization", "'value number 42' is not one of none, min_max, mean_variance" },
        { "text encoding of a number", "spec.preparation.columns[0].encoding", "text does not apply to 'bill_length_mm', a numeric column" },
        { "the label as a feature", "spec.preparation.include_columns[0]", "'species' is the label column" },
        { "folds and a holdout", "spec.holdout_fraction", "spec.evaluation.folds = 5 asks for cross-validation" },
        { "one fold", "spec.evaluation.folds", "1 is out of range" },
        { "stratified regression", "spec.evaluation.stratified", "regression has no classes to stratify by" },
        { "feature importance of clusters", "spec.evaluation.feature_importance", "is not available for clustering" },
        { "class weights for regression", "spec.preparation.class_weighting", "balanced applies to classification, not regression" },
        { "class weights for a trainer that reads none", "spec.preparation.class_weighting", "'averaged_perceptron' takes no example weights for multiclass_classification" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task A_preparation_or_evaluation_that_does_not_fit_the_data_set_is_refused_naming_the_field(string name, string field, string reason)
    {
        var request = Valid();
        var spec = request.Spec;
        switch (name)
        {
            case "exclude an unknown column": spec.Preparation.ExcludeColumns.Add("beak_colour"); spec.Preparation.ExcludeColumns.RemoveAt(0); break;
            case "median of a categorical column": spec.Preparation.ExcludeColumns.Clear(); spec.Preparation.Columns[0].Name = "island"; break;
            case "an enum number this build does not know": spec.Preparation.Normalization = (Normalization)42; break;
            case "text encoding of a number": spec.Preparation.Columns[0].Encoding = ColumnEncoding.Text; break;
            case "the label as a feature": spec.Preparation.ExcludeColumns.Clear(); spec.Preparation.IncludeColumns.Add("species"); break;
            case "folds and a holdout": spec.HoldoutFraction = 0.3; break;
            case "one fold": spec.Evaluation.Folds = 1; break;
            case "class weights for regression":
                spec.Task = TrainingTask.Regression;
                spec.LabelColumn = "body_mass_g";
                spec.Evaluation.FeatureImportance = false;
                spec.Preparation.ClassWeighting = ClassWeighting.Balanced;
                break;
            case "class weights for a trainer that reads none":
                spec.Trainer = "averaged_perceptron";
                spec.Preparation.ClassWeighting = ClassWeighting.Balanced;
                break;
            case "stratified regression":
                spec.Task = TrainingTask.Regression;
                spec.LabelColumn = "body_mass_g";
                spec.Evaluation.Stratified = true;
                break;
            default:
                spec.Task = TrainingTask.Clustering;
                spec.Trainer = "kmeans";
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.SubmitAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.TrainingJobs.CountAsync()));
        Assert.Empty(_host.PublishedOf<TrainModel>());
    }

    [Fact]
    public async Task The_workers_evaluation_is_shown_with_the_result()
    {
        var job = await _host.SubmitAsync(Valid());
        var id = Guid.Parse(job.Id);
        var at = new DateTimeOffset(2025, 1, 15, 9, 0, 5, TimeSpan.Zero);

        await _host.DeliverAsync(new TrainingJobStarted(id, 1, "worker-1", at));
        await _host.DeliverAsync(new TrainingJobCompleted
        {
            JobId = id, Attempt = 1, ModelName = "penguins", ModelVersion = 1, ModelSha256 = new string('a', 64),
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9, ["accuracy_std"] = 0.05, ["f1[a]"] = 1 },
            TrainingSeconds = 2, Worker = "worker-1", At = at.AddSeconds(10),
            Evaluation = new EvaluationResult
            {
                Method = "cross_validation", Folds = 2, Stratified = true,
                Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9 },
                StandardDeviations = new Dictionary<string, double> { ["accuracy"] = 0.05 },
                FoldResults = [new FoldResult(1, 5, 5, new Dictionary<string, double> { ["accuracy"] = 0.85 }), new FoldResult(2, 5, 5, new Dictionary<string, double> { ["accuracy"] = 0.95 })],
                Classes = [new ClassResult("a", 6, 1, 1, 1), new ClassResult("b", 4, 0.8, 0.75, 0.77)],
                ConfusionClasses = ["a", "b"],
                ConfusionCounts = [[6, 0], [1, 3]],
                ImportanceMetric = "accuracy",
                FeatureImportance = [new FeatureImportanceResult("bill_length_mm", 0.2, 0.01)],
            },
        });

        var finished = await _host.GetAsync(job.Id);
        Assert.Equal(JobState.Succeeded, finished.State);
        var evaluation = finished.Result.Evaluation;
        Assert.Equal(("cross_validation", 2, 0.05), (evaluation.Method, evaluation.Folds, evaluation.StandardDeviations["accuracy"]));
        Assert.Equal([0.85, 0.95], evaluation.FoldResults.Select(f => f.Metrics["accuracy"]));
        Assert.Equal(["a", "b"], evaluation.ConfusionMatrix.Classes);
        Assert.Equal([6L, 0, 1, 3], evaluation.ConfusionMatrix.Counts); // row-major: actual, then predicted
        Assert.Equal((4L, 0.75), (evaluation.Classes[1].Support, evaluation.Classes[1].Recall));
        Assert.Equal("bill_length_mm", Assert.Single(evaluation.FeatureImportance).Column);
        Assert.Equal(1, finished.Result.Metrics["f1[a]"]);
    }
}
