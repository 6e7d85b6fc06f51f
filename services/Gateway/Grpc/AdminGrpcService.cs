using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Platform.Admin.V1;
using Platform.Authentication;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Audit;
using Platform.Gateway.Data;
using Platform.ServiceDefaults.Errors;

namespace Platform.Gateway.Grpc;

/// <summary>The gateway's own <see cref="AdminService"/>: API keys and the audit log (the <c>admin</c> scope, see <see cref="AccessTable"/>).</summary>
internal sealed class AdminGrpcService(ApiKeyStore keys, AuditLog audit, ILogger<AdminGrpcService> logger) : AdminService.AdminServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;

    public override async Task<CreatedApiKey> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var caller = Caller.Of(context);
        var tenant = string.IsNullOrEmpty(request.TenantId) ? caller.Tenant : request.TenantId;
        var (record, key) = await keys.CreateAsync(request.Name, tenant, request.Scopes, request.ExpiresAt?.ToDateTimeOffset(),
            caller.Name, context.CancellationToken);
        logger.LogInformation("{Actor} created API key {KeyId} for tenant {TenantId} with {Scopes}", caller.Name, record.Id, record.TenantId, record.Scopes);
        return new CreatedApiKey { Key = ToProto(record), Secret = key };
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var size = PageSize(request.PageSize);
        var after = Cursor(request.PageToken, id => id);
        var page = await keys.ListAsync(request.TenantId, request.IncludeRevoked, after, size + 1, context.CancellationToken);
        var response = new ListApiKeysResponse();
        response.Keys.AddRange(page.Take(size).Select(ToProto));
        if (page.Count > size) response.NextPageToken = Token(page[size - 1].CreatedAt, page[size - 1].Id);
        return response;
    }

    public override async Task<ApiKey> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context)
    {
        var caller = Caller.Of(context);
        var record = await keys.RevokeAsync(request.Id, caller.Name, context.CancellationToken);
        logger.LogInformation("{Actor} revoked API key {KeyId}", caller.Name, record.Id);
        return ToProto(record);
    }

    public override async Task<ListAuditEventsResponse> ListAuditEvents(ListAuditEventsRequest request, ServerCallContext context)
    {
        var size = PageSize(request.PageSize);
        var after = Cursor(request.PageToken, id => Guid.TryParse(id, out var guid) ? guid : throw BadToken());
        var page = await audit.ListAsync(request.TenantId, request.Actor, request.Since?.ToDateTimeOffset(), after, size + 1, context.CancellationToken);
        var response = new ListAuditEventsResponse();
        response.Events.AddRange(page.Take(size).Select(e => new AuditEvent
        {
            Id = e.Id.ToString(), At = Timestamp.FromDateTimeOffset(e.At), Actor = e.Actor, ActorTenantId = e.ActorTenantId,
            TenantId = e.TenantId, Credential = e.Credential, Action = e.Action, Resource = e.Resource, Outcome = e.Outcome,
            ClientAddress = e.ClientAddress,
        }));
        if (page.Count > size) response.NextPageToken = Token(page[size - 1].At, page[size - 1].Id.ToString());
        return response;
    }

    private static ApiKey ToProto(ApiKeyRecord record)
    {
        var key = new ApiKey
        {
            Id = record.Id, Name = record.Name, TenantId = record.TenantId, CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
            CreatedBy = record.CreatedBy, RevokedBy = record.RevokedBy ?? "",
        };
        key.Scopes.AddRange(record.ScopeList);
        if (record.ExpiresAt is { } expires) key.ExpiresAt = Timestamp.FromDateTimeOffset(expires);
        if (record.RevokedAt is { } revoked) key.RevokedAt = Timestamp.FromDateTimeOffset(revoked);
        return key;
    }

    private static int PageSize(int requested) => requested switch
    {
        < 0 => throw new InvalidArgumentException("page_size", "must not be negative"),
        0 => DefaultPageSize,
        _ => Math.Min(requested, MaxPageSize),
    };

    /// <summary>Page tokens are the last row's time (ticks) and id, base64: opaque to clients, checked when read.</summary>
    private static string Token(DateTimeOffset at, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{at.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{id}"));

    private static (DateTimeOffset, T)? Cursor<T>(string token, Func<string, T> parseId)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('|', 2);
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                return (new DateTimeOffset(ticks, TimeSpan.Zero), parseId(parts[1]));
        }
        catch (FormatException)
        {
        }
        catch (ArgumentOutOfRangeException)
        {
        }
        throw BadToken();
    }

    private static InvalidArgumentException BadToken() => new("page_token", "is not a token this list returned");
}
