using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Jobs.V1;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training;
using Platform.Training.Catalogue;

namespace Platform.Scheduler.Grpc;

/// <summary><c>platform.jobs.v1.JobService</c>: every call acts for the tenant of the <c>x-tenant-id</c> header.</summary>
public sealed class JobGrpcService(
    SchedulerDbContext db,
    JobSubmission submission,
    JobWatchFeed feed,
    JobTracker tracker,
    FoldProgress folds,
    PendingReasons pendingReasons,
    TimeProvider time) : JobService.JobServiceBase
{
    /// <summary>ListJobs page size when the request gives none.</summary>
    public const int DefaultPageSize = 50;
    /// <summary>Largest ListJobs page; larger requests are served this many.</summary>
    public const int MaxPageSize = 500;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var spec = request.Spec ?? throw new InvalidArgumentException("spec", "is required");
        var job = await submission.SubmitAsync(spec.ToSubmissionRequest(Tenant.From(context), request.RequestId, JobSources.Grpc), context.CancellationToken);
        return job.ToProto();
    }

    /// <summary>A new job with exactly the stored spec of an earlier one; see <see cref="JobSubmission.RerunAsync"/>.</summary>
    public override async Task<Job> RerunJob(RerunJobRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var job = await submission.RerunAsync(new JobRerunRequest
        {
            TenantId = Tenant.From(context),
            JobId = ParseJobId(request.JobId),
            RequestId = request.RequestId,
            Priority = request.HasPriority ? request.Priority : null,
            Queue = request.HasQueue ? request.Queue : null,
            Source = JobSources.Grpc,
        }, context.CancellationToken);
        return job.ToProto();
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var job = await FindAsync(Tenant.From(context), request.JobId, context.CancellationToken);
        var proto = job.ToProto();
        if (await pendingReasons.ExplainAsync(db, job, context.CancellationToken) is { } pending) proto.Pending = pending.ToProto();
        if (job.Spec.Evaluation?.ParallelFolds == true && job.ParentJobId is null)
        {
            var folds = await db.TrainingJobs.AsNoTracking().Where(j => j.ParentJobId == job.Id).OrderBy(j => j.Fold).ToListAsync(context.CancellationToken);
            proto.Folds.Add(folds.Select(f => f.ToFoldProto()));
        }
        return proto;
    }

    /// <summary>
    /// Ends a queued or running job Cancelled; its worker is told to stop at its next heartbeat and the commit
    /// gate refuses its model. An ended job is returned as it is; one registering its model is refused.
    /// </summary>
    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var job = await FindAsync(Tenant.From(context), request.JobId, context.CancellationToken);
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "" : request.Reason.Trim();
        // The caller asked; a client going away now must not leave the cancellation half-applied.
        await tracker.ApplyAsync(job.Id, nameof(CancelJob), j => j.Cancel(reason, time.GetUtcNow()), CancellationToken.None);
        job = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == job.Id, CancellationToken.None);
        // Its folds stop with it (the supervisor's pass would catch them too, a second later).
        if (job.State == Jobs.JobState.Cancelled && job.Spec.Evaluation?.ParallelFolds == true)
            await folds.CancelFoldsAsync(job.Id, $"job {job.Id} was cancelled", CancellationToken.None);
        if (!job.State.IsTerminal())
            throw new FailedPreconditionException($"job {job.Id} is registering its model (attempt {job.Attempt}) and can no longer be cancelled");
        return job.ToProto();
    }

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var tenantId = Tenant.From(context);
        if (request.PageSize < 0) throw new InvalidArgumentException("page_size", "must not be negative");
        var pageSize = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var state = JobMapping.FromProto(request.State);
        var after = JobPageToken.Decode(request.PageToken);

        var query = db.TrainingJobs.AsNoTracking().Where(j => j.TenantId == tenantId);
        if (state is { } wanted) query = query.Where(j => j.State == wanted);
        if (!string.IsNullOrEmpty(request.RequestId)) query = query.Where(j => j.RequestId == request.RequestId);
        if (after is { } token)
            query = query.Where(j => j.CreatedAt < token.CreatedAt || (j.CreatedAt == token.CreatedAt && j.Id.CompareTo(token.Id) < 0));

        // One more than a page tells whether another page follows.
        var jobs = await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Take(pageSize + 1).ToListAsync(context.CancellationToken);

        var response = new ListJobsResponse();
        response.Jobs.Add(jobs.Take(pageSize).Select(j => j.ToProto()));
        if (jobs.Count > pageSize)
        {
            var last = jobs[pageSize - 1];
            response.NextPageToken = new JobPageToken(last.CreatedAt, last.Id).Encode();
        }
        return response;
    }

    /// <summary>
    /// First the job as it is now, then one update per new event until a terminal state. The stream reads nothing
    /// itself: it subscribes to the <see cref="JobWatchFeed"/>, whose one reader serves every stream of this process.
    /// </summary>
    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobUpdate> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        using var watch = feed.Watch(Tenant.From(context), ParseJobId(request.JobId));
        await foreach (var update in watch.Updates.ReadAllAsync(cancellationToken))
        {
            if (update.Events.Count == 0)
            {
                await responseStream.WriteAsync(new JobUpdate
                {
                    Job = update.Job.ToProto(),
                    Message = update.Latest?.Message ?? "",
                    At = Timestamp.FromDateTimeOffset(update.Latest?.At ?? update.Job.CreatedAt),
                });
                if (update.Job.State.IsTerminal()) return;
                continue;
            }
            foreach (var jobEvent in update.Events)
            {
                await responseStream.WriteAsync(new JobUpdate
                {
                    Job = update.Job.AsOf(jobEvent),
                    Message = jobEvent.Message,
                    At = Timestamp.FromDateTimeOffset(jobEvent.At),
                });
                if (jobEvent.State.IsTerminal()) return;
            }
        }
    }

    public override Task<ListTrainersResponse> ListTrainers(ListTrainersRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Training.TrainingTask? task = null;
        if (request.Task != Platform.Jobs.V1.TrainingTask.Unspecified)
            task = TrainingTasks.TryParse(JobMapping.FromProtoTask(request.Task), out var parsed)
                ? parsed
                : throw new InvalidArgumentException("task", $"{(int)request.Task} is not a training task");
        var response = new ListTrainersResponse();
        response.Trainers.Add(TrainerCatalogue.List(task).Select(t => t.ToProto()));
        return Task.FromResult(response);
    }

    private static Guid ParseJobId(string jobId)
    {
        if (string.IsNullOrWhiteSpace(jobId)) throw new InvalidArgumentException("job_id", "is required");
        return Guid.TryParse(jobId, out var id) ? id : throw new InvalidArgumentException("job_id", $"'{jobId}' is not a job id");
    }

    private async Task<TrainingJob> FindAsync(string tenantId, string jobId, CancellationToken cancellationToken)
    {
        var id = ParseJobId(jobId);
        // Another tenant's job is indistinguishable from one that does not exist.
        return await db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id && j.TenantId == tenantId, cancellationToken)
            ?? throw new NotFoundException("job", jobId);
    }
}
