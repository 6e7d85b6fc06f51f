using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Jobs.V1;
using Platform.Sweeps.V1;
using Platform.Training.Catalogue;

namespace Platform.Scheduler.Tests.Sweeps;

/// <summary>
/// The benchmark trainers (docs/benchmarks.md) are off unless <c>Scheduler:BenchmarkTrainers</c> is on, which no test host
/// of this project sets: a production scheduler refuses them, naming the trainer and the setting, and does not list them.
/// </summary>
public sealed class BenchmarkTrainerTests
{
    [Fact]
    public async Task A_benchmark_trainer_is_refused_naming_it_and_is_not_listed_when_the_setting_is_off()
    {
        Assert.False(TrainerCatalogue.OffersBenchmarkTrainers, "no test in this process may turn the benchmark trainers on");
        await using var host = await SchedulerTestHost.StartAsync();
        var dataset = host.ModelStore.AddPenguins();
        var spec = new SweepSpec
        {
            Base = new JobSpec { DatasetId = dataset.Id, Task = TrainingTask.Regression, LabelColumn = "body_mass_g" },
            Objective = new Objective { Metric = "rmse" },
            MaxTrials = 4,
            MaxParallel = 2,
        };
        spec.Trainers.Add(new SweepTrainer
        {
            Name = BenchmarkTrainers.Wait,
            Hyperparameters = { ["wait_ms"] = "0" },
            Space = { new SearchDimension { Name = "x", FloatRange = new FloatRange { Min = 0, Max = 1 } } },
        });

        var sweep = await Assert.ThrowsAsync<RpcException>(() => host.SubmitSweepAsync(spec));
        var job = await Assert.ThrowsAsync<RpcException>(() => host.SubmitAsync(new SubmitJobRequest
        {
            Spec = new JobSpec { DatasetId = dataset.Id, Task = TrainingTask.Regression, LabelColumn = "body_mass_g", Trainer = BenchmarkTrainers.Wait },
        }));
        var listed = await host.CallAsync((s, r, c) => s.ListTrainers(r, c), new ListTrainersRequest());

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (sweep.StatusCode, job.StatusCode));
        Assert.StartsWith("spec.trainers[0].name: 'benchmark_wait' is a benchmark trainer", sweep.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("spec.trainer: 'benchmark_wait' is a benchmark trainer", job.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Scheduler:BenchmarkTrainers=true", job.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(listed.Trainers, t => t.Name == BenchmarkTrainers.Wait);
        Assert.Contains(listed.Trainers, t => t.Name == "lightgbm");
        Assert.Equal(0, await host.QueryAsync(db => db.Sweeps.CountAsync()));
        Assert.Equal(0, await host.QueryAsync(db => db.TrainingJobs.CountAsync()));
    }
}
