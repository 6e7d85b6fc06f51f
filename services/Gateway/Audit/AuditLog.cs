using Microsoft.EntityFrameworkCore;
using Platform.Authentication;
using Platform.Gateway.Data;

namespace Platform.Gateway.Audit;

/// <summary>
/// The audit log: one row per state-changing public call (and per refused attempt of an authenticated caller), with
/// who, for which tenant, what, on which resource, when, from where and the outcome. It records names and ids only:
/// never request contents, data, keys or tokens. Kept in the gateway's database; read with <c>ListAuditEvents</c>.
/// </summary>
public sealed class AuditLog(GatewayDbContext db, TimeProvider time, ILogger<AuditLog> logger) : IRefusedCallLog
{
    /// <summary>A known caller's refused attempt to change state: recorded as PermissionDenied.</summary>
    Task IRefusedCallLog.RecordAsync(Caller caller, string action, HttpContext http) =>
        RecordAsync(caller, action, "", nameof(global::Grpc.Core.StatusCode.PermissionDenied), AuditInterceptor.ClientAddress(http));

    /// <summary>Records one event; a failure to write it is logged and does not fail the call that was made.</summary>
    public async Task RecordAsync(Caller caller, string action, string resource, string outcome, string clientAddress)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var now = time.GetUtcNow();
        db.AuditEvents.Add(new AuditEventRecord
        {
            Id = Guid.CreateVersion7(now),
            At = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond)),
            Actor = Clip(caller.Name, 200),
            ActorTenantId = caller.HomeTenant,
            TenantId = Clip(caller.Tenant, 63),
            Credential = caller.Credential,
            Action = Clip(action, 200),
            Resource = Clip(resource, 300),
            Outcome = Clip(outcome, 32),
            ClientAddress = Clip(clientAddress, 64),
        });
        try
        {
            // The call's own cancellation does not apply: what happened is recorded even if the caller went away.
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateException ex)
        {
            logger.LogError(ex, "Could not record the audit event of {Action} by {Actor} ({Outcome})", action, caller.Name, outcome);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>Events newest first, filtered, after <paramref name="after"/> (paging).</summary>
    public async Task<IReadOnlyList<AuditEventRecord>> ListAsync(
        string? tenantId, string? actor, DateTimeOffset? since, (DateTimeOffset At, Guid Id)? after, int limit, CancellationToken cancellationToken)
    {
        var query = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrEmpty(tenantId)) query = query.Where(e => e.TenantId == tenantId);
        if (!string.IsNullOrEmpty(actor)) query = query.Where(e => e.Actor == actor);
        if (since is { } from) query = query.Where(e => e.At >= from);
        if (after is { } cursor) query = query.Where(e => e.At < cursor.At || (e.At == cursor.At && e.Id.CompareTo(cursor.Id) < 0));
        return await query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Cuts a value to fit its column and replaces control characters, so no value can forge a line of a report.</summary>
    public static string Clip(string value, int max)
    {
        ArgumentNullException.ThrowIfNull(value);
        var clean = string.Create(Math.Min(value.Length, max), value, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = char.IsControl(source[i]) ? '?' : source[i];
        });
        return clean;
    }
}
