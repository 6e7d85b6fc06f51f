using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Platform.Admin.V1;
using Platform.Authentication.ApiKeys;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// The gateway's internal <see cref="ApiKeyDirectory"/>: a key's record by id, for the other public services (serving),
/// which check the secret against the hash themselves (<see cref="GatewayApiKeyDirectory"/>). Read through the same
/// cache as the gateway's own lookups. Mapped for internal callers only (the service credential).
/// </summary>
internal sealed class ApiKeyDirectoryGrpcService(ApiKeyStore keys) : ApiKeyDirectory.ApiKeyDirectoryBase
{
    public override async Task<FindApiKeyResponse> FindApiKey(FindApiKeyRequest request, ServerCallContext context)
    {
        // A malformed id cannot name a key: answered like an unknown one, without a query.
        if (ApiKeyFormat.IdOf($"{ApiKeyFormat.Prefix}{request.Id}_x") is null) return new FindApiKeyResponse();
        if (await keys.FindAsync(request.Id, context.CancellationToken) is not { } record) return new FindApiKeyResponse();
        var response = new FindApiKeyResponse
        {
            Found = true, Id = record.Id, Name = record.Name, TenantId = record.TenantId, SecretHash = record.SecretHash,
            ExpiresAt = record.ExpiresAt?.ToTimestamp(), RevokedAt = record.RevokedAt?.ToTimestamp(),
        };
        response.Scopes.AddRange(record.ScopeList);
        return response;
    }
}
