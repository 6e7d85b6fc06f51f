using System.Globalization;
using System.Threading.RateLimiting;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.RateLimiting;
using Platform.Authentication;
using Platform.ServiceDefaults.Errors;

namespace Platform.Gateway.Security;

/// <summary>
/// <c>RateLimits</c>: how much one caller (one API key, or one token subject) may ask of the gateway, with ASP.NET
/// Core's rate limiter after authentication: a token bucket of <see cref="RequestsPerSecond"/> calls per second with
/// bursts up to <see cref="Burst"/>, and at most <see cref="ConcurrentStreams"/> streaming calls at once (uploads,
/// downloads, watches, byte-stream transfers). Over either, the call is refused at once with ResourceExhausted naming
/// the limit; other callers are not affected. 0 turns a limit off.
/// </summary>
public sealed class RateLimits
{
    public const string Section = "RateLimits";

    public int RequestsPerSecond { get; set; } = 50;
    public int Burst { get; set; } = 100;
    public int ConcurrentStreams { get; set; } = 8;

    /// <summary>Registers the limiter (the gateway's <c>UseRateLimiter</c> applies it).</summary>
    public static void Add(WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection(Section).Get<RateLimits>() ?? new RateLimits();
        if (limits.RequestsPerSecond < 0 || limits.Burst < 0 || limits.ConcurrentStreams < 0)
            throw new InvalidOperationException($"{Section}: RequestsPerSecond, Burst and ConcurrentStreams must not be negative (0 means no limit).");
        builder.Services.AddRateLimiter(options =>
        {
            // Streams first: the middleware tries each call twice (an attempt, then a wait that fails at once with no
            // queue), and a bucket checked before a full stream cap would lose a token on each try.
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    limits.ConcurrentStreams > 0 && IsStream(http) && Caller.Of(http) is { } caller
                        ? RateLimitPartition.GetConcurrencyLimiter(caller.Partition, _ => new ConcurrencyLimiterOptions
                        {
                            PermitLimit = limits.ConcurrentStreams,
                            QueueLimit = 0,
                        })
                        : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    limits.RequestsPerSecond > 0 && Caller.Of(http) is { } caller
                        ? RateLimitPartition.GetTokenBucketLimiter(caller.Partition, _ => new TokenBucketRateLimiterOptions
                        {
                            TokenLimit = Math.Max(limits.Burst, limits.RequestsPerSecond),
                            TokensPerPeriod = limits.RequestsPerSecond,
                            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                            QueueLimit = 0,
                        })
                        : RateLimitPartition.GetNoLimiter("")));
            options.OnRejected = (context, _) =>
            {
                var message = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? $"{Section}:RequestsPerSecond: more than {limits.RequestsPerSecond} calls per second (bursts of {limits.Burst}) with this credential; " +
                      $"retry in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} s"
                    : $"{Section}:ConcurrentStreams: at most {limits.ConcurrentStreams} streaming calls (uploads, downloads, watches) at once with this credential";
                return new ValueTask(CallRejection.WriteAsync(context.HttpContext, StatusCode.ResourceExhausted, message));
            };
        });
    }

    /// <summary>Whether a call keeps its connection busy for long: a gRPC stream or a byte-stream transfer.</summary>
    private static bool IsStream(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc) return grpc.Method.Type != MethodType.Unary;
        return AccessTable.ActionOf(endpoint) is { } action && AccessTable.Rules.ContainsKey(action);
    }
}
