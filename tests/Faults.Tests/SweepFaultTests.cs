using Platform.Jobs.V1;
using Platform.Sweeps.V1;

namespace Platform.Faults.Tests;

/// <summary>
/// A sweep loses a worker (SIGKILL) and a scheduler replica (SIGKILL) while its trials run: it still ends with every
/// trial stored once, run to one success, and the best model registered. Every service its own process on real
/// PostgreSQL and RabbitMQ.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Faults")]
public sealed class SweepFaultTests(FaultServers servers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task A_sweep_survives_a_killed_worker_and_a_killed_scheduler_without_losing_or_repeating_a_trial()
    {
        await using var platform = await FaultPlatform.StartAsync(servers, "sweep_faults", workers: 2, schedulers: 2);
        using var timeout = new CancellationTokenSource(Patience);
        var data = await platform.UploadAsync("sweep.csv", FaultData.RegressionCsv(5_000, features: 8));
        var trainer = new SweepTrainer { Name = "lightgbm", Hyperparameters = { ["number_of_iterations"] = "200", ["minimum_example_count_per_leaf"] = "1" } };
        trainer.Space.Add(new SearchDimension { Name = "number_of_leaves", IntRange = new IntRange { Min = 8, Max = 64, Scale = Scale.Log } });
        trainer.Space.Add(new SearchDimension { Name = "learning_rate", FloatRange = new FloatRange { Min = 0.02, Max = 0.3, Scale = Scale.Log } });
        var spec = new SweepSpec
        {
            Base = new JobSpec { DatasetId = data.Id, Task = TrainingTask.Regression, LabelColumn = "y", ModelName = "sweep-faults", Seed = 3 },
            Objective = new Objective { Metric = "rmse" },
            MaxTrials = 5,
            MaxParallel = 2,
            Seed = 21,
            Trainers = { trainer },
        };
        var sweep = await platform.Sweeps.SubmitSweepAsync(new SubmitSweepRequest { Spec = spec }, cancellationToken: timeout.Token);

        // Once a trial is running on a worker: kill that worker and the second scheduler replica.
        Trial running;
        while (true)
        {
            await Task.Delay(200, timeout.Token);
            sweep = await platform.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = sweep.Id }, cancellationToken: timeout.Token);
            if (sweep.Trials.FirstOrDefault(t => t.State == JobState.Running && t.Worker.Length > 0) is { } found)
            {
                running = found;
                break;
            }
        }
        platform.Workers[running.Worker].Kill();
        platform.Schedulers[1].Kill();

        while (sweep.State is SweepState.Running or SweepState.Registering)
        {
            await Task.Delay(500, timeout.Token);
            sweep = await platform.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = sweep.Id }, cancellationToken: timeout.Token);
        }

        Assert.True(sweep.State == SweepState.Succeeded, $"sweep ended {sweep.State}: {sweep.FailureReason}\n{platform.Logs()}");
        Assert.Equal(Enumerable.Range(1, 5), sweep.Trials.Select(t => t.Number).Order());
        var trials = new List<Job>();
        foreach (var trial in sweep.Trials) trials.Add(await platform.GetJobAsync(trial.JobId, timeout.Token));
        // Each trial is one job that succeeded once; the one on the killed worker took a second attempt, not a second trial.
        Assert.All(trials, job => Assert.Equal(JobState.Succeeded, job.State));
        Assert.Equal(5, trials.Select(j => j.Id).Distinct().Count());
        var retried = trials.Single(j => j.Id == running.JobId);
        Assert.True(retried.Attempt >= 2, $"trial {running.Number} on the killed {running.Worker} ran {retried.Attempt} attempt(s)");
        Assert.NotEqual(running.Worker, retried.Result.Worker);
        var listed = await platform.Jobs.ListJobsAsync(new ListJobsRequest { PageSize = 100 }, cancellationToken: timeout.Token);
        Assert.Equal(6, listed.Jobs.Count(j => j.SweepId == sweep.Id)); // the trials and the final job, nothing more
        var version = await platform.Models.GetModelVersionAsync(new Models.V1.GetModelVersionRequest { ModelName = "sweep-faults" }, cancellationToken: timeout.Token);
        Assert.Equal(sweep.Id, version.Tags["sweep"]);
        Assert.Equal(sweep.BestTrial.Objective, version.Metrics["rmse"]);
    }
}
