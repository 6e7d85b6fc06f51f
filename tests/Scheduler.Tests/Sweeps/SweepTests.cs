using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts;
using Platform.Scheduler.Sweeps;
using Platform.Sweeps.V1;
using JobState = Platform.Scheduler.Jobs.JobState;

namespace Platform.Scheduler.Tests.Sweeps;

/// <summary>A sweep's life on the scheduler: validation, trials as jobs, limits, the final job, cancellation.</summary>
public sealed class SweepTests
{
    public static TheoryData<string, string> BadInputs => new()
    {
        // An empty range, an inverted one, a log scale over non-positive values.
        { "empty float range", "spec.trainers[0].space[0].float_range.max" },
        { "inverted int range", "spec.trainers[0].space[1].int_range.max" },
        { "log over zero", "spec.trainers[0].space[0].float_range.min" },
        { "unknown hyperparameter", "spec.trainers[0].space[1].name" },
        { "unknown trainer", "spec.trainers[0].name" },
        { "objective not reported", "spec.objective.metric" },
        { "grid larger than max_trials", "spec.max_trials" },
        { "max_parallel 0", "spec.max_parallel" },
        { "range outside the catalogue", "spec.trainers[0].space[0].float_range.max" },
        { "trainer in the base spec", "spec.base.trainer" },
        { "base holdout out of range", "spec.base.holdout_fraction" },
        { "no trainers", "spec.trainers" },
        { "successive halving without a budget", "spec.budget" },
        { "a budget the trainer does not have", "spec.budget.hyperparameter" },
        { "a budget max not above min", "spec.budget.max" },
        { "a budget that is also searched", "spec.budget.hyperparameter" },
        { "a budget without successive halving", "spec.budget" },
        { "a negative time budget", "spec.time_budget_seconds" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_invalid_argument_naming_the_field_and_stores_nothing(string input, string field)
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var spec = SweepHost.Spec(host.ModelStore.AddPenguins());
        var space = spec.Trainers[0].Space;
        switch (input)
        {
            case "empty float range": space[0].FloatRange.Max = space[0].FloatRange.Min; break;
            case "inverted int range": space[1].IntRange = new IntRange { Min = 40, Max = 8 }; break;
            case "log over zero": space[0].FloatRange = new FloatRange { Min = 0, Max = 0.3, Scale = Scale.Log }; break;
            case "unknown hyperparameter": space[1].Name = "depth_of_forest"; break;
            case "unknown trainer": spec.Trainers[0].Name = "xgboost"; break;
            case "objective not reported": spec.Objective.Metric = "rmse"; break;
            case "grid larger than max_trials":
                spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.Grid;
                space[0].FloatRange.GridPoints = 3; // 3 x 61 leaf counts = 183 points
                space[1].IntRange.GridPoints = 61;
                spec.MaxTrials = 100;
                break;
            case "max_parallel 0": spec.MaxParallel = 0; break;
            case "range outside the catalogue": space[0].FloatRange.Max = 5; break;
            case "trainer in the base spec": spec.Base.Trainer = "lightgbm"; break;
            case "base holdout out of range": spec.Base.HoldoutFraction = 0.9; break;
            case "no trainers": spec.Trainers.Clear(); break;
            case "successive halving without a budget": spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.SuccessiveHalving; break;
            case "a budget the trainer does not have":
                spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.SuccessiveHalving;
                spec.Budget = new Budget { Hyperparameter = "number_of_trees", Min = 10, Max = 90 };
                break;
            case "a budget max not above min":
                spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.SuccessiveHalving;
                spec.Budget = new Budget { Hyperparameter = "number_of_iterations", Min = 10, Max = 10 };
                break;
            case "a budget that is also searched":
                spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.SuccessiveHalving;
                spec.Budget = new Budget { Hyperparameter = "number_of_leaves", Min = 4, Max = 64 };
                break;
            case "a negative time budget": spec.TimeBudgetSeconds = -1; break;
            case "a budget without successive halving":
                spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.Random;
                spec.Budget = new Budget { Hyperparameter = "number_of_iterations", Min = 10, Max = 90 };
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => host.SubmitSweepAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await host.QueryAsync(db => db.Sweeps.CountAsync()));
        Assert.Equal(0, await host.QueryAsync(db => db.TrainingJobs.CountAsync()));
    }

    [Fact]
    public async Task A_sweep_runs_its_trials_as_jobs_max_parallel_at_a_time_then_registers_the_best()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 5, maxParallel: 2));
        Assert.Equal(Platform.Sweeps.V1.SweepState.Running, sweep.State);
        Assert.Equal(5, sweep.PlannedTrials);

        var accuracies = new Dictionary<int, double> { [1] = 0.90, [2] = 0.97, [3] = 0.80, [4] = 0.95, [5] = 0.93 };
        var dispatched = new List<TrainModel>();
        for (var round = 0; round < 10; round++)
        {
            await host.AdvanceAsync();
            var active = await host.ActiveJobsAsync(sweep.Id);
            if (active.Count == 0 || !active[0].EvaluateOnly) break;
            Assert.True(active.Count <= 2, $"{active.Count} trials active at once; max_parallel is 2");
            dispatched.AddRange(host.PublishedOf<TrainModel>().Where(c => active.Any(j => j.Id == c.JobId)));
            var trial = active[0];
            await host.CompleteAsync(trial.Id, accuracies[trial.TrialNumber!.Value]);
        }

        Assert.All(dispatched, command => Assert.True(command.EvaluateOnly));
        var registering = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Registering, registering.State);
        Assert.Equal([2, 4, 5, 1, 3], registering.Trials.Select(t => t.Number));
        Assert.Equal(2, registering.BestTrial.Number);
        Assert.Equal(0.97, registering.BestTrial.Objective);
        Assert.Equal(["learning_rate", "number_of_leaves"], registering.BestTrial.Parameters.Keys.Order());

        // The final job trains the best trial's exact spec, registers it and tags the version with the sweep.
        var final = Assert.Single(await host.ActiveJobsAsync(sweep.Id));
        var best = await host.QueryAsync(db => db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == Guid.Parse(registering.BestTrial.JobId)));
        Assert.False(final.EvaluateOnly);
        Assert.Equal(best.Spec.Hyperparameters, final.Spec.Hyperparameters);
        Assert.Equal(best.Spec with { Hyperparameters = final.Spec.Hyperparameters }, final.Spec);
        var command = Assert.Single(host.DispatchesOf(final.Id.ToString()));
        Assert.False(command.EvaluateOnly);
        Assert.Equal(new Dictionary<string, string> { ["sweep"] = sweep.Id, ["sweep_trial"] = "2" }, command.Tags);

        await host.CompleteAsync(final.Id, 0.97, modelVersion: 3);
        await host.AdvanceAsync();
        var done = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Succeeded, done.State);
        Assert.Equal(3, done.ModelVersion);
        Assert.Equal(5, done.TrialsSucceeded);
    }

    [Fact]
    public async Task A_bayesian_sweep_stores_each_suggestion_learnt_from_the_stored_results_before_dispatch()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var spec = SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 10, maxParallel: 1, seed: 4);
        spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.Bayesian;
        var sweep = await host.SubmitSweepAsync(spec);
        Assert.Equal(Platform.Sweeps.V1.SearchAlgorithm.Bayesian, sweep.Spec.Algorithm);
        var definition = await host.QueryAsync(db => db.Sweeps.AsNoTracking().Select(s => s.Definition).SingleAsync());

        var records = new List<TrialRecord>();
        for (var number = 1; number <= 10; number++)
        {
            await host.AdvanceAsync();
            var trial = Assert.Single(await host.ActiveJobsAsync(sweep.Id));
            Assert.Equal(number, trial.TrialNumber);
            // Stored (and dispatched) is exactly what the search suggests from the results stored so far, so a
            // restarted scheduler that recomputes it from the rows gets the same trial.
            var expected = SearchSpace.Suggest(definition, number, records);
            Assert.Equal(expected.Parameters, trial.Spec.Hyperparameters.Where(p => expected.Parameters.ContainsKey(p.Key)).ToDictionary());
            Assert.Single(host.DispatchesOf(trial.Id.ToString()));

            var rate = double.Parse(trial.Spec.Hyperparameters["learning_rate"], System.Globalization.CultureInfo.InvariantCulture);
            var accuracy = 1 - Math.Abs(Math.Log(rate / 0.05));
            await host.CompleteAsync(trial.Id, accuracy);
            records.Add(new TrialRecord(number, "lightgbm", expected.Parameters, null, true, -accuracy));
        }
        await host.AdvanceAsync();

        var registering = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Registering, registering.State);
        Assert.Equal(records.Min(o => o.Loss), -registering.BestTrial.Objective);
    }

    [Fact]
    public async Task Successive_halving_promotes_the_best_of_a_rung_with_more_budget_and_registers_the_best_of_the_top_rung()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var spec = SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 13, maxParallel: 1, seed: 2);
        spec.Algorithm = Platform.Sweeps.V1.SearchAlgorithm.SuccessiveHalving;
        spec.Budget = new Budget { Hyperparameter = "number_of_iterations", Min = 10, Max = 90 };
        var sweep = await host.SubmitSweepAsync(spec);
        Assert.Equal(3, sweep.Spec.Budget.ReductionFactor);

        var budgets = new List<int>();
        for (var number = 1; number <= 13; number++)
        {
            await host.AdvanceAsync();
            var trial = Assert.Single(await host.ActiveJobsAsync(sweep.Id));
            var budget = int.Parse(trial.Spec.Hyperparameters["number_of_iterations"], System.Globalization.CultureInfo.InvariantCulture);
            budgets.Add(budget);
            // More budget, better; and a better learning rate, better.
            var rate = double.Parse(trial.Spec.Hyperparameters["learning_rate"], System.Globalization.CultureInfo.InvariantCulture);
            await host.CompleteAsync(trial.Id, (budget / 100.0) - Math.Abs(Math.Log(rate / 0.05) / 10));
        }
        await host.AdvanceAsync();

        // 10, 10, 10, then the best of three goes on to 30, ... and one configuration reaches 90.
        Assert.Equal([10, 10, 10, 30], budgets.Take(4));
        Assert.Contains(90, budgets);
        var registering = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Registering, registering.State);
        Assert.Equal(90, registering.BestTrial.Budget);
        Assert.Equal(registering.Trials.Where(t => t.Budget == 90).Max(t => t.Objective), registering.BestTrial.Objective);
        var final = Assert.Single(await host.ActiveJobsAsync(sweep.Id));
        Assert.Equal("90", final.Spec.Hyperparameters["number_of_iterations"]);
    }

    [Fact]
    public async Task Past_its_time_budget_a_sweep_suggests_no_more_trials_lets_running_ones_finish_and_registers_the_best()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var spec = SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 10, maxParallel: 2);
        spec.TimeBudgetSeconds = 10;
        var sweep = await host.SubmitSweepAsync(spec);
        Assert.Equal(sweep.CreatedAt.ToDateTimeOffset().AddSeconds(10), sweep.Deadline.ToDateTimeOffset());
        await host.AdvanceAsync();
        var trials = await host.ActiveJobsAsync(sweep.Id);
        Assert.Equal(2, trials.Count);

        await host.CompleteAsync(trials[0].Id, 0.9);
        await host.AdvanceAsync();
        Assert.Equal(3, (await host.GetSweepAsync(sweep.Id)).TrialsCreated); // within the budget: trial 3 took the free place

        host.Clock.Advance(TimeSpan.FromSeconds(11)); // within the workers' 30 s leases
        await host.CompleteAsync(trials[1].Id, 0.95);
        await host.AdvanceAsync();
        var running = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Running, running.State);
        Assert.Equal(3, running.TrialsCreated); // no trial 4: the budget has passed
        Assert.Equal(1, running.TrialsActive); // trial 3 is not cancelled

        var third = Assert.Single(await host.ActiveJobsAsync(sweep.Id));
        await host.CompleteAsync(third.Id, 0.8);
        await host.AdvanceAsync();
        var registering = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Registering, registering.State);
        Assert.Equal(2, registering.BestTrial.Number);
    }

    [Fact]
    public async Task Two_passes_at_once_store_each_trial_once()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 20, maxParallel: 6));

        // Two scheduler replicas (or a pass and a restarted scheduler) advancing the same sweep at the same moment.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<SweepProgress>().AdvanceAsync(Guid.Parse(sweep.Id), CancellationToken.None);
        })));
        await host.AdvanceAsync();

        var numbers = (await host.ActiveJobsAsync(sweep.Id)).Select(j => j.TrialNumber!.Value).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6], numbers);
        Assert.Equal(6, (await host.GetSweepAsync(sweep.Id)).TrialsCreated);
    }

    [Fact]
    public async Task Failed_trials_are_counted_and_max_failed_ends_the_sweep_cancelling_the_rest()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 10, maxParallel: 3, maxFailed: 2));
        await host.AdvanceAsync();
        var trials = await host.ActiveJobsAsync(sweep.Id);

        await host.DeliverAsync(new TrainingJobFailed(trials[0].Id, 1, "bad leaves", Permanent: true, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
        await host.AdvanceAsync();
        var afterOne = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Running, afterOne.State);
        Assert.Equal(1, afterOne.TrialsFailed);
        Assert.Equal(3, afterOne.TrialsActive); // the failed trial's place went to trial 4

        await host.DeliverAsync(new TrainingJobFailed(trials[1].Id, 1, "bad leaves", Permanent: true, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
        await host.AdvanceAsync();

        var failed = await host.GetSweepAsync(sweep.Id);
        Assert.Equal(Platform.Sweeps.V1.SweepState.Failed, failed.State);
        Assert.Contains("max_failed = 2", failed.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, failed.TrialsActive);
        Assert.Empty(await host.ActiveJobsAsync(sweep.Id));
        Assert.Equal(4, failed.TrialsCreated);
    }

    [Fact]
    public async Task A_trial_that_ends_wakes_the_supervisor_for_its_sweep_and_the_next_trial_is_stored_at_once()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 10, maxParallel: 2));
        var signal = host.Services.GetRequiredService<SweepSignal>();
        var supervisor = host.Services.GetRequiredService<SweepSupervisor>();
        Assert.Null(signal.Take()); // the submission asked for a pass over every sweep
        await host.AdvanceAsync();
        var trials = await host.ActiveJobsAsync(sweep.Id);
        var plain = await host.SubmitPenguinsAsync();

        await host.CompleteAsync(Guid.Parse(plain.Id), 0.9);
        var afterPlainJob = signal.Take();
        await host.CompleteAsync(trials[0].Id, 0.9);
        await host.DeliverAsync(new TrainingJobFailed(trials[1].Id, 1, "bad leaves", Permanent: true, SchedulerTestHost.WorkerName, host.Clock.GetUtcNow()));
        var woken = signal.Take();
        Assert.NotNull(woken);
        await supervisor.AdvanceAsync(woken, CancellationToken.None);

        Assert.Empty(afterPlainJob!);
        Assert.Equal([Guid.Parse(sweep.Id)], woken);
        Assert.Equal([3, 4], (await host.ActiveJobsAsync(sweep.Id)).Select(j => j.TrialNumber!.Value));
    }

    [Fact]
    public async Task Cancelling_a_sweep_cancels_its_trials_and_tells_their_workers_to_stop()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins(), maxTrials: 10, maxParallel: 3));
        await host.AdvanceAsync();
        var trials = await host.ActiveJobsAsync(sweep.Id);
        Assert.Equal(3, trials.Count);

        var cancelled = await host.CallAsync((s, r, c) => s.CancelSweep(r, c), new CancelSweepRequest { SweepId = sweep.Id, Reason = "enough" });
        await host.AdvanceAsync();

        Assert.Equal(Platform.Sweeps.V1.SweepState.Cancelled, cancelled.State);
        Assert.All(cancelled.Trials, t => Assert.Equal(Platform.Jobs.V1.JobState.Cancelled, t.State));
        Assert.Equal(trials.Select(t => t.Id).Order(), host.PublishedOf<AttemptToStop>().Select(s => s.JobId).Order());
        Assert.Equal(3, (await host.GetSweepAsync(sweep.Id)).TrialsCreated);
    }

    [Fact]
    public async Task Another_tenants_sweep_is_not_found()
    {
        await using var host = await SchedulerTestHost.StartAsync();
        var sweep = await host.SubmitSweepAsync(SweepHost.Spec(host.ModelStore.AddPenguins()));

        var error = await Assert.ThrowsAsync<RpcException>(() => host.GetSweepAsync(sweep.Id, tenantId: "acme"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
