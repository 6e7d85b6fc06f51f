using Grpc.Core;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Sweeps.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>Sweeps through the gateway, their trials on both worker processes, on real PostgreSQL and RabbitMQ.</summary>
public sealed partial class TrainingPipelineTests
{
    private SweepService.SweepServiceClient Sweeps => new(platform.Gateway);

    private static SweepSpec PenguinSweep(string datasetId, string modelName, int maxTrials, int maxParallel, int seed)
    {
        var spec = new SweepSpec
        {
            Base = new JobSpec
            {
                DatasetId = datasetId, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Seed = 42, ModelName = modelName,
            },
            Objective = new Objective { Metric = "macro_f1" },
            Algorithm = SearchAlgorithm.Random,
            MaxTrials = maxTrials,
            MaxParallel = maxParallel,
            Seed = seed,
        };
        // Enough rounds that a trial takes a moment: with 30 a trial took about half a second, and on a loaded machine both
        // workers' trials could run one after the other, which says nothing about their running at once.
        var lightgbm = new SweepTrainer { Name = "lightgbm", Hyperparameters = { ["number_of_iterations"] = "300" } };
        lightgbm.Space.Add(new SearchDimension { Name = "learning_rate", FloatRange = new FloatRange { Min = 0.01, Max = 0.5, Scale = Scale.Log } });
        lightgbm.Space.Add(new SearchDimension { Name = "number_of_leaves", IntRange = new IntRange { Min = 2, Max = 32 } });
        var maxent = new SweepTrainer { Name = "lbfgs_maximum_entropy" };
        maxent.Space.Add(new SearchDimension { Name = "history_size", Choice = new Choice { Values = { "5", "20" } } });
        spec.Trainers.Add(lightgbm);
        spec.Trainers.Add(maxent);
        return spec;
    }

    [Fact]
    public async Task A_random_sweep_runs_trials_on_both_workers_at_once_and_registers_the_best_trials_model()
    {
        var dataset = await UploadAsync(Penguins);
        var submitted = await Sweeps.SubmitSweepAsync(new SubmitSweepRequest { Spec = PenguinSweep(dataset.Id, "penguins-sweep", 8, 4, seed: 5) });

        var updates = new List<Sweep>();
        using (var watch = Sweeps.WatchSweep(new WatchSweepRequest { SweepId = submitted.Id }, deadline: DateTime.UtcNow.AddMinutes(5)))
            await foreach (var update in watch.ResponseStream.ReadAllAsync()) updates.Add(update);
        var sweep = updates[^1];
        Assert.True(sweep.State == SweepState.Succeeded, $"sweep ended {sweep.State}: {sweep.FailureReason}\n{platform.Logs()}");
        Assert.Contains(updates, u => u.State == SweepState.Running && u.TrialsActive > 1);

        // Every trial ran exactly once (one attempt, succeeded), and both workers ran trials, some at the same time.
        Assert.Equal(8, sweep.Trials.Count);
        var trials = await Task.WhenAll(sweep.Trials.Select(t => Jobs.GetJobAsync(new GetJobRequest { JobId = t.JobId }).ResponseAsync));
        Assert.All(trials, job => Assert.Equal((JobState.Succeeded, 1, submitted.Id), (job.State, job.Attempt, job.SweepId)));
        Assert.Equal(DistributedPlatform.WorkerNames, trials.Select(j => j.Result.Worker).Distinct().Order());
        Assert.True(trials.Any(a => trials.Any(b => a.Result.Worker != b.Result.Worker
            && a.StartedAt.ToDateTimeOffset() < b.FinishedAt.ToDateTimeOffset() && b.StartedAt.ToDateTimeOffset() < a.FinishedAt.ToDateTimeOffset())),
            "no two trials on different workers overlapped");
        // A trial only evaluates: nothing registered for it.
        Assert.All(trials, job => Assert.Equal(0, job.Result.ModelVersion));

        // The leaderboard is best first; the registered version is the best trial's model, tagged with the sweep.
        var objectives = sweep.Trials.Select(t => t.Objective).ToList();
        Assert.Equal(objectives.OrderByDescending(o => o), objectives);
        Assert.Equal(sweep.Trials[0].Number, sweep.BestTrial.Number);
        var version = await Models.GetModelVersionAsync(new GetModelVersionRequest { ModelName = "penguins-sweep", Version = sweep.ModelVersion });
        Assert.Equal(sweep.FinalJobId, version.JobId);
        Assert.Equal(submitted.Id, version.Tags["sweep"]);
        Assert.Equal(sweep.BestTrial.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), version.Tags["sweep_trial"]);
        Assert.Equal(sweep.BestTrial.Trainer, version.Trainer);
        Assert.Equal(sweep.BestTrial.Objective, version.Metrics["macro_f1"]);
        var best = trials.Single(t => t.Id == sweep.BestTrial.JobId);
        Assert.Equal(best.Result.ModelSha256, (await Jobs.GetJobAsync(new GetJobRequest { JobId = sweep.FinalJobId })).Result.ModelSha256);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_trials_and_bad_input_stores_no_sweep()
    {
        var dataset = await UploadAsync(Penguins);
        async Task<List<string>> TrialsOf(int seed)
        {
            // Every trial is suggested and stored at once (max_parallel = max_trials); the sweep is then cancelled.
            var sweep = await Sweeps.SubmitSweepAsync(new SubmitSweepRequest { Spec = PenguinSweep(dataset.Id, "penguins-seeded", 6, 6, seed) });
            for (var i = 0; i < 100 && sweep.TrialsCreated < 6; i++)
            {
                await Task.Delay(100);
                sweep = await Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = sweep.Id });
            }
            var cancelled = await Sweeps.CancelSweepAsync(new CancelSweepRequest { SweepId = sweep.Id, Reason = "test" });
            Assert.Equal(SweepState.Cancelled, cancelled.State);
            return [.. cancelled.Trials.OrderBy(t => t.Number).Select(t => $"{t.Number} {t.Trainer} {string.Join(",", t.Parameters.OrderBy(p => p.Key))}")];
        }

        var first = await TrialsOf(seed: 9);
        Assert.Equal(6, first.Count);
        Assert.Equal(first, await TrialsOf(seed: 9));
        Assert.NotEqual(first, await TrialsOf(seed: 10));

        var before = (await Sweeps.ListSweepsAsync(new ListSweepsRequest())).Sweeps.Count;
        var bad = PenguinSweep(dataset.Id, "penguins-bad", 6, 2, seed: 1);
        bad.Trainers[0].Space[0].FloatRange.Min = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Sweeps.SubmitSweepAsync(new SubmitSweepRequest { Spec = bad }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("spec.trainers[0].space[0].float_range.min:", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, (await Sweeps.ListSweepsAsync(new ListSweepsRequest())).Sweeps.Count);
    }
}
