using Platform.Cli.Output;
using Platform.Sweeps.V1;
using Spectre.Console;

namespace Platform.Cli.Tests;

public sealed class SweepReportTests
{
    private static Sweep Sweep()
    {
        var spec = new SweepSpec
        {
            Base = new Platform.Jobs.V1.JobSpec { DatasetId = "d1" },
            Objective = new Objective { Metric = "rmse", Direction = Direction.Minimize },
            Algorithm = SearchAlgorithm.Bayesian,
            MaxTrials = 4,
            Seed = 7,
        };
        var trainer = new SweepTrainer { Name = "lightgbm" };
        trainer.Space.Add(new SearchDimension { Name = "learning_rate", FloatRange = new FloatRange { Min = 0.01, Max = 0.5, Scale = Scale.Log } });
        trainer.Space.Add(new SearchDimension { Name = "use_categorical_split", Choice = new Choice { Values = { "true", "false" } } });
        spec.Trainers.Add(trainer);
        var sweep = new Sweep { Id = "s1", Spec = spec, State = SweepState.Running, PlannedTrials = 4, TrialsSucceeded = 3, TrialsActive = 1 };
        (int Number, double? Rmse, string Rate, string Split)[] trials = [(2, 1.5, "0.05", "true"), (1, 2.0, "0.01", "false"), (3, 2.5, "0.4", "true"), (4, null, "0.2", "false")];
        foreach (var (number, rmse, rate, split) in trials)
        {
            var trial = new Trial { Number = number, Trainer = "lightgbm", State = rmse is null ? Platform.Jobs.V1.JobState.Running : Platform.Jobs.V1.JobState.Succeeded };
            trial.Parameters["learning_rate"] = rate;
            trial.Parameters["use_categorical_split"] = split;
            if (rmse is { } value) trial.Objective = value;
            sweep.Trials.Add(trial);
        }
        sweep.BestTrial = sweep.Trials[0];
        return sweep;
    }

    [Fact]
    public async Task A_report_is_markdown_linking_a_png_of_the_objective_per_trial_and_one_per_hyperparameter()
    {
        var folder = Directory.CreateTempSubdirectory("sweep-report").FullName;
        try
        {
            var files = await SweepReport.WriteAsync(Sweep(), folder, CancellationToken.None);

            Assert.Equal(["objective.png", "parameter-learning_rate.png", "parameter-use_categorical_split.png", "report.md"],
                files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var png in files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
            var markdown = await File.ReadAllTextAsync(Path.Combine(folder, "report.md"));
            Assert.Contains("](objective.png)", markdown, StringComparison.Ordinal);
            Assert.Contains("](parameter-learning_rate.png)", markdown, StringComparison.Ordinal);
            Assert.Contains("| Best trial | 2: 1.5 (lightgbm; learning_rate=0.05, use_categorical_split=true) |", markdown, StringComparison.Ordinal);
            // The leaderboard in its order, the running trial unranked at the end.
            Assert.Contains("| 1 | 2 | lightgbm |", markdown, StringComparison.Ordinal);
            Assert.Contains("|  | 4 | lightgbm |", markdown, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_live_view_shows_the_share_of_trials_ended_and_the_best_so_far()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;

        console.Write(SweepReport.Live(Sweep()));

        var text = writer.ToString();
        Assert.Contains("75%", text, StringComparison.Ordinal);
        Assert.Contains("3/4 ended", text, StringComparison.Ordinal);
        Assert.Contains("best trial 2: 1.5", text, StringComparison.Ordinal);
        Assert.Contains("learning_rate=0.05", text, StringComparison.Ordinal);
    }
}
