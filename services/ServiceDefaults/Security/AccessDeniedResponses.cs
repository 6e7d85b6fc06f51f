using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Platform.ServiceDefaults.Errors;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// What a caller sees when authentication or authorization refuses a call: <c>Unauthenticated</c> (no credential, or
/// one that is not valid: the reason says which) or <c>PermissionDenied</c> (the reasons name the missing scope), as
/// a gRPC status or, on the byte stream, problem details with the same title. Nothing else about the platform is told.
/// </summary>
internal sealed class AccessDeniedResponses : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await next(context);
            return;
        }
        if (authorizeResult.Challenged)
        {
            var challenge = await ChallengeAsync(context, policy);
            await CallRejection.WriteAsync(context, challenge.Status, challenge.Message);
            return;
        }
        var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(reason => reason.Message).ToList() ?? [];
        var message = reasons.Count > 0 ? string.Join("; ", reasons)
            : policy.AuthenticationSchemes.Contains(ServiceCredential.Scheme)
                ? "only the platform's own services may call this"
                : "the caller may not do this";
        await CallRejection.WriteAsync(context, StatusCode.PermissionDenied, message);
    }

    private static async Task<(StatusCode Status, string Message)> ChallengeAsync(HttpContext context, AuthorizationPolicy policy)
    {
        foreach (var scheme in policy.AuthenticationSchemes)
        {
            // Authentication results are kept for the request: this reads the result the policy saw.
            var result = await context.AuthenticateAsync(scheme);
            // A credential that could not be checked (the service that knows it does not answer) is not a bad one.
            if (result.Failure is UnavailableException unavailable) return (StatusCode.Unavailable, unavailable.Message);
            if (result.Failure is { } failure) return (StatusCode.Unauthenticated, failure.Message);
        }
        return (StatusCode.Unauthenticated, policy.AuthenticationSchemes.Contains(ServiceCredential.Scheme)
            ? $"only the platform's own services may call this (no {ServiceCredential.Header})"
            : "no credential: send `authorization: Bearer <API key or token>`");
    }
}
