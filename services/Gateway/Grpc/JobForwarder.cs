using Grpc.Core;
using Platform.Jobs.V1;

namespace Platform.Gateway.Grpc;

/// <summary>The public <see cref="JobService"/>, served by the scheduler.</summary>
internal sealed class JobForwarder(JobService.JobServiceClient scheduler) : JobService.JobServiceBase
{
    public override Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.SubmitJobAsync);

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.GetJobAsync);

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.ListJobsAsync);

    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobUpdate> responseStream, ServerCallContext context) =>
        BackendCall.ServerStreamingAsync(request, responseStream, context, scheduler.WatchJob);

    public override Task<ListTrainersResponse> ListTrainers(ListTrainersRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.ListTrainersAsync);

    public override Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.CancelJobAsync);

    public override Task<Job> RerunJob(RerunJobRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.RerunJobAsync);
}
