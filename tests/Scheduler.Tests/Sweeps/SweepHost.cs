using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Contracts;
using Platform.Jobs.V1;
using Platform.Scheduler.Sweeps;
using Platform.ServiceDefaults.Grpc;
using Platform.ServiceDefaults.Tenancy;
using Platform.Sweeps.V1;
using Sweep = Platform.Sweeps.V1.Sweep;

namespace Platform.Scheduler.Tests.Sweeps;

/// <summary>The sweep calls and steps on a <see cref="SchedulerTestHost"/>.</summary>
internal static class SweepHost
{
    private static readonly ErrorMappingInterceptor Interceptor = new(NullLogger<ErrorMappingInterceptor>.Instance);

    /// <summary>A random sweep of LightGBM over learning rate and leaves on <paramref name="dataset"/>.</summary>
    public static SweepSpec Spec(Datasets.V1.Dataset dataset, int maxTrials = 5, int maxParallel = 2, int maxFailed = 0, int seed = 11)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var spec = new SweepSpec
        {
            Base = new JobSpec { DatasetId = dataset.Id, Task = Platform.Jobs.V1.TrainingTask.MulticlassClassification, LabelColumn = "species", Seed = 1 },
            Objective = new Objective { Metric = "accuracy" },
            Algorithm = Platform.Sweeps.V1.SearchAlgorithm.Random,
            MaxTrials = maxTrials,
            MaxParallel = maxParallel,
            MaxFailed = maxFailed,
            Seed = seed,
        };
        var lightgbm = new Platform.Sweeps.V1.SweepTrainer { Name = "lightgbm" };
        lightgbm.Space.Add(new Platform.Sweeps.V1.SearchDimension
        {
            Name = "learning_rate", FloatRange = new FloatRange { Min = 0.01, Max = 0.3, Scale = Scale.Log },
        });
        lightgbm.Space.Add(new Platform.Sweeps.V1.SearchDimension { Name = "number_of_leaves", IntRange = new IntRange { Min = 4, Max = 64 } });
        spec.Trainers.Add(lightgbm);
        return spec;
    }

    public static async Task<TResponse> CallAsync<TRequest, TResponse>(this SchedulerTestHost host,
        Func<SweepGrpcService, TRequest, ServerCallContext, Task<TResponse>> method, TRequest request, string tenantId = Tenant.Default)
        where TRequest : class
        where TResponse : class
    {
        await using var scope = host.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<SweepGrpcService>();
        using var context = TestServerCallContext.ForTenant(tenantId);
        return await Interceptor.UnaryServerHandler(request, context, (r, c) => method(service, r, c));
    }

    public static Task<Sweep> SubmitSweepAsync(this SchedulerTestHost host, SweepSpec spec, string tenantId = Tenant.Default) =>
        host.CallAsync((s, r, c) => s.SubmitSweep(r, c), new SubmitSweepRequest { Spec = spec }, tenantId);

    public static Task<Sweep> GetSweepAsync(this SchedulerTestHost host, string id, string tenantId = Tenant.Default) =>
        host.CallAsync((s, r, c) => s.GetSweep(r, c), new GetSweepRequest { SweepId = id }, tenantId);

    /// <summary>One sweep pass, then one dispatch pass (as the woken supervisors would).</summary>
    public static async Task AdvanceAsync(this SchedulerTestHost host)
    {
        await host.Services.GetRequiredService<SweepSupervisor>().AdvanceAllAsync(CancellationToken.None);
        await host.SuperviseAsync();
    }

    /// <summary>The sweep's jobs that are not over, oldest first.</summary>
    public static Task<List<Scheduler.Jobs.TrainingJob>> ActiveJobsAsync(this SchedulerTestHost host, string sweepId) =>
        host.QueryAsync(db => db.TrainingJobs.AsNoTracking()
            .Where(j => j.SweepId == Guid.Parse(sweepId) && j.State != Scheduler.Jobs.JobState.Succeeded && j.State != Scheduler.Jobs.JobState.Failed
                && j.State != Scheduler.Jobs.JobState.Cancelled && j.State != Scheduler.Jobs.JobState.TimedOut)
            .OrderBy(j => j.TrialNumber).ToListAsync());

    /// <summary>Reports a completed attempt 1 of <paramref name="jobId"/> with <paramref name="accuracy"/>, as a worker would.</summary>
    public static Task CompleteAsync(this SchedulerTestHost host, Guid jobId, double accuracy, int modelVersion = 0) =>
        host.DeliverAsync(new TrainingJobCompleted
        {
            JobId = jobId,
            Attempt = 1,
            ModelName = "penguins",
            ModelVersion = modelVersion,
            ModelSha256 = new string('a', 64),
            Metrics = new Dictionary<string, double> { ["accuracy"] = accuracy },
            TrainingSeconds = 0.1,
            Worker = SchedulerTestHost.WorkerName,
            At = host.Clock.GetUtcNow(),
        });
}
