using Google.Protobuf.Reflection;
using Platform.Cli.Commands;
using Platform.Jobs.V1;

namespace Platform.Cli.Tests;

/// <summary>CLI parity with the API: every JobSpec field, preparation and evaluation included, has a flag of <c>jobs submit</c>.</summary>
public sealed class JobSpecFlagTests : IAsyncLifetime
{
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>Every field of the proto that holds a value, by its path; messages are walked into, so a new field anywhere shows up.</summary>
    private static IEnumerable<string> ValueFields(MessageDescriptor message, string prefix = "") =>
        message.Fields.InFieldNumberOrder().SelectMany(field =>
            field.FieldType == FieldType.Message && !field.IsMap
                ? ValueFields(field.MessageType, $"{prefix}{field.Name}.")
                : [prefix + field.Name]);

    [Fact]
    public void Every_field_of_the_job_spec_has_a_flag_and_every_flag_is_on_jobs_submit()
    {
        var flags = new JobSpecOptions().Fields;

        Assert.Equal(ValueFields(JobSpec.Descriptor).Order(StringComparer.Ordinal), flags.Keys.Order(StringComparer.Ordinal));
        var submit = new PlatformCli(new Terminal(Spectre.Console.AnsiConsole.Console, TextWriter.Null), _ => null)
            .Root.Subcommands.Single(c => c.Name == "jobs").Subcommands.Single(c => c.Name == "submit");
        Assert.All(flags.Values.Select(o => o.Name), name => Assert.Contains(name, submit.Options.Select(o => o.Name)));
    }

    [Fact]
    public async Task Every_flag_reaches_the_submitted_spec()
    {
        var run = await CliRun.InvokeAsync(["--gateway", _gateway.Address, "jobs", "submit",
            "--dataset", "ds-1", "--task", "binary", "--label", "label", "--trainer", "lightgbm", "-p", "number_of_leaves=8", "--seed", "3",
            "--model-name", "spam", "--holdout", "0.25", "--priority", "5", "--queue", "night", "--max-run-seconds", "600",
            "--include", "subject", "--include", "body", "--include", "sent", "--exclude", "group", "--use-sensitive", "sender",
            "--missing", "drop_row", "--encoding", "hashing", "--hashing-threshold", "50", "--hashing-bits", "12", "--normalize", "mean_variance",
            "--column", "body=text,indicator", "--column", "sent=year,day_of_week", "--column", "a=b=one_hot",
            "--class-weighting", "custom", "--class-weight", "spam=3.5",
            "--folds", "5", "--stratified", "false", "--feature-importance", "--permutations", "7", "--parallel-folds"]);

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var spec = Assert.Single(_gateway.Log.Submissions).Spec;
        Assert.Equal(("ds-1", TrainingTask.BinaryClassification, "label", "lightgbm", "8", 3, "spam"),
            (spec.DatasetId, spec.Task, spec.LabelColumn, spec.Trainer, spec.Hyperparameters["number_of_leaves"], spec.Seed, spec.ModelName));
        Assert.Equal((0.25, 5, "night", 600), (spec.HoldoutFraction, spec.Priority, spec.Queue, spec.MaxRunSeconds));
        var p = spec.Preparation;
        Assert.Equal(["subject", "body", "sent"], p.IncludeColumns);
        Assert.Equal(["group"], p.ExcludeColumns);
        Assert.Equal(["sender"], p.UseSensitiveColumns);
        Assert.Equal((MissingValuePolicy.DropRow, CategoricalEncoding.Hashing, 50, 12, Normalization.MeanVariance),
            (p.MissingValues, p.CategoricalEncoding, p.HashingThreshold, p.HashingBits, p.Normalization));
        Assert.Equal(new ColumnPreparation { Name = "body", Encoding = ColumnEncoding.Text, MissingValues = MissingValuePolicy.Indicator }, p.Columns[0]);
        Assert.Equal(new ColumnPreparation { Name = "sent", DateParts = { DatePart.Year, DatePart.DayOfWeek } }, p.Columns[1]);
        Assert.Equal(new ColumnPreparation { Name = "a=b", Encoding = ColumnEncoding.OneHot }, p.Columns[2]);
        Assert.Equal((ClassWeighting.Custom, 3.5), (p.ClassWeighting, p.ClassWeights["spam"]));
        Assert.Equal(new EvaluationSpec { Folds = 5, Stratified = false, FeatureImportance = true, Permutations = 7, ParallelFolds = true }, spec.Evaluation);
    }

    [Fact]
    public async Task Without_preparation_or_evaluation_flags_the_spec_leaves_both_unset_and_a_bare_stratified_means_true()
    {
        await CliRun.InvokeAsync(["--gateway", _gateway.Address, "jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t"]);
        await CliRun.InvokeAsync(["--gateway", _gateway.Address, "jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t",
            "--stratified", "--class-weight", "yes=2"]);

        var specs = _gateway.Log.Submissions.Select(s => s.Spec).ToArray();
        Assert.Equal((null, null), (specs[0].Preparation, specs[0].Evaluation));
        Assert.True(specs[1].Evaluation.Stratified);
        Assert.Equal(ClassWeighting.Custom, specs[1].Preparation.ClassWeighting); // a weight alone implies custom
    }

    [Theory]
    [InlineData("--column", "body", "--column: 'body' is not NAME=choice[,choice…]")]
    [InlineData("--column", "body=txt", "--column body: 'txt' is none of mean, median, most_frequent, drop_row, indicator, one_hot, hashing, text, year")]
    [InlineData("--class-weight", "spam=heavy", "--class-weight: 'spam=heavy' is not CLASS=WEIGHT with a number for the weight")]
    [InlineData("--missing", "average", "average")]
    [InlineData("--stratified", "maybe", "Unrecognized command or argument 'maybe'")]
    public async Task A_malformed_flag_is_a_usage_error_and_nothing_is_submitted(string flag, string value, string message)
    {
        var run = await CliRun.InvokeAsync(["--gateway", _gateway.Address, "jobs", "submit", "--dataset", "d", "--task", "binary", "--label", "y", "--trainer", "t",
            flag, value]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.Empty(_gateway.Log.Submissions);
    }
}
