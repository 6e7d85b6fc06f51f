using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Scheduler.Data;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Sweeps.V1;
using Proto = Platform.Sweeps.V1;

namespace Platform.Scheduler.Sweeps;

/// <summary><c>platform.sweeps.v1.SweepService</c>: every call acts for the tenant of the <c>x-tenant-id</c> header.</summary>
public sealed class SweepGrpcService(
    SchedulerDbContext db,
    SweepSubmission submission,
    SweepProgress progress,
    TimeProvider time,
    IOptions<SchedulerOptions> options) : SweepService.SweepServiceBase
{
    /// <summary>ListSweeps page size when the request gives none.</summary>
    public const int DefaultPageSize = 20;
    /// <summary>Largest ListSweeps page.</summary>
    public const int MaxPageSize = 100;

    public override async Task<Proto.Sweep> SubmitSweep(SubmitSweepRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var sweep = await submission.SubmitAsync(Tenant.From(context), request.RequestId, request.Spec, context.CancellationToken);
        return await DescribeAsync(sweep, withTrials: true, context.CancellationToken);
    }

    public override async Task<Proto.Sweep> GetSweep(GetSweepRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var sweep = await FindAsync(Tenant.From(context), request.SweepId, context.CancellationToken);
        return await DescribeAsync(sweep, withTrials: true, context.CancellationToken);
    }

    public override async Task<ListSweepsResponse> ListSweeps(ListSweepsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.PageSize < 0) throw new InvalidArgumentException("page_size", "must not be negative");
        var pageSize = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var tenantId = Tenant.From(context);
        var sweeps = await db.Sweeps.AsNoTracking().Where(s => s.TenantId == tenantId)
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Take(pageSize).ToListAsync(context.CancellationToken);
        var response = new ListSweepsResponse();
        foreach (var sweep in sweeps) response.Sweeps.Add(await DescribeAsync(sweep, withTrials: false, context.CancellationToken));
        return response;
    }

    /// <summary>The sweep now, then again whenever it or one of its trials changed (polled), until it has ended.</summary>
    public override async Task WatchSweep(WatchSweepRequest request, IServerStreamWriter<Proto.Sweep> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        var tenantId = Tenant.From(context);
        var sweep = await FindAsync(tenantId, request.SweepId, cancellationToken);
        Proto.Sweep? sent = null;
        while (true)
        {
            var now = await DescribeAsync(sweep, withTrials: true, cancellationToken);
            if (!now.Equals(sent)) await responseStream.WriteAsync(now, cancellationToken);
            sent = now;
            if (sweep.IsEnded) return;
            await Task.Delay(options.Value.WatchPollInterval, time, cancellationToken);
            sweep = await FindAsync(tenantId, request.SweepId, cancellationToken);
        }
    }

    public override async Task<Proto.Sweep> CancelSweep(CancelSweepRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var id = ParseSweepId(request.SweepId);
        // The caller asked; a client going away now must not leave the cancellation half-applied.
        var sweep = await progress.CancelAsync(Tenant.From(context), id, request.Reason?.Trim() ?? "", CancellationToken.None)
            ?? throw new NotFoundException("sweep", request.SweepId);
        return await DescribeAsync(sweep, withTrials: true, CancellationToken.None);
    }

    private async Task<Proto.Sweep> DescribeAsync(Sweep sweep, bool withTrials, CancellationToken cancellationToken)
    {
        var jobs = await db.TrainingJobs.AsNoTracking().Where(j => j.SweepId == sweep.Id).ToListAsync(cancellationToken);
        return sweep.ToProto(SweepLeaderboard.Of(sweep.Definition, jobs), withTrials);
    }

    private static Guid ParseSweepId(string sweepId)
    {
        if (string.IsNullOrWhiteSpace(sweepId)) throw new InvalidArgumentException("sweep_id", "is required");
        return Guid.TryParse(sweepId, out var id) ? id : throw new InvalidArgumentException("sweep_id", $"{Platform.Contracts.Echo.Quote(sweepId)} is not a sweep id");
    }

    private async Task<Sweep> FindAsync(string tenantId, string sweepId, CancellationToken cancellationToken)
    {
        var id = ParseSweepId(sweepId);
        // Another tenant's sweep is indistinguishable from one that does not exist.
        return await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.TenantId == tenantId, cancellationToken)
            ?? throw new NotFoundException("sweep", sweepId);
    }
}
