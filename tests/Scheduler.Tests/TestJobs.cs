using Platform.Datasets.V1;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests;

/// <summary>Shorthands for submitting jobs in tests.</summary>
public static class TestJobs
{
    /// <summary>A valid multiclass LightGBM job on <paramref name="dataset"/>.</summary>
    public static SubmitJobRequest Request(Dataset dataset, string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new SubmitJobRequest
        {
            RequestId = requestId ?? "",
            Spec = new JobSpec
            {
                DatasetId = dataset.Id,
                Task = TrainingTask.MulticlassClassification,
                LabelColumn = "species",
                Trainer = "lightgbm",
                Seed = 1,
            },
        };
    }

    /// <summary>Submits a valid job for a fresh penguins data set of <paramref name="tenantId"/>.</summary>
    public static async Task<Job> SubmitPenguinsAsync(this SchedulerTestHost host, string tenantId = "default", string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        return await host.SubmitAsync(Request(host.ModelStore.AddPenguins(tenantId), requestId), tenantId);
    }
}
