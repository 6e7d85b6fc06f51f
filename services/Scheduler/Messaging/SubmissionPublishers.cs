using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// What the transport says about one delivery of a submission: whether it came through RabbitMQ and the AMQP
/// properties the platform reads (<c>user_id</c>, vouched for by the broker; <c>message_id</c> and
/// <c>correlation_id</c>, echoed in a rejection).
/// </summary>
internal sealed record SubmissionDelivery(bool ThroughBroker, string? UserId, string? MessageId, string? CorrelationId)
{
    /// <summary>
    /// The delivery of a consume or receive context. Without RabbitMQ's properties it came over the in-memory bus,
    /// which only code in this process can publish to (standalone mode and unit tests).
    /// </summary>
    public static SubmissionDelivery Of(PipeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp))
            return new(true, amqp.Properties.UserId, amqp.Properties.MessageId, amqp.Properties.CorrelationId);
        var message = context as MessageContext;
        return new(false, null, message?.MessageId?.ToString(), message?.CorrelationId?.ToString());
    }
}

/// <summary>The publisher of a submission as far as the platform can vouch for it.</summary>
/// <param name="TenantId">The publisher's tenant; null for an in-process delivery, whose body names the tenant.</param>
/// <param name="Name">The publisher, for messages: "RabbitMQ user 'tenant-acme'".</param>
internal sealed record SubmissionPublisher(string? TenantId, string Name)
{
    /// <summary>A delivery over the in-memory bus: only this process publishes there, so the body is believed.</summary>
    public static SubmissionPublisher InProcess { get; } = new(null, "this process");

    /// <summary>
    /// The tenant a submission claiming <paramref name="claimed"/> belongs to: the publisher's. A body may leave
    /// <c>tenantId</c> out; naming another tenant is refused (field <c>tenant_id</c>), whatever that tenant is.
    /// </summary>
    public string TenantOf(string? claimed)
    {
        if (TenantId is null) return string.IsNullOrEmpty(claimed) ? Tenant.Default : Tenant.Validate(claimed, "tenant_id");
        if (!string.IsNullOrEmpty(claimed) && !string.Equals(claimed, TenantId, StringComparison.Ordinal))
            throw new InvalidArgumentException("tenant_id",
                $"'{Echo.Value(claimed)}' is not the publisher's tenant: {Name} stands for '{TenantId}'; leave tenantId out or write '{TenantId}'");
        return TenantId;
    }
}

/// <summary>
/// A submission that came through the broker without an identity the platform accepts: no <c>user_id</c>, or one that
/// <c>Messaging:Submission:Publishers</c> does not list. Nobody can be told (its tenant is unknown), so it is not
/// retried but moved to the endpoint's <c>_error</c> queue, where the reason is in its headers.
/// </summary>
public sealed class UnidentifiedSubmissionException(string message) : Exception(message);

/// <summary>
/// Tells whose a submission is (docs/messaging.md, "Submitting as a tenant"): the tenant mapped to the RabbitMQ user in
/// the message's <c>user_id</c> property (<see cref="SubmissionOptions.Publishers"/>), or the one tenant of a trusted
/// single-tenant deployment (<see cref="SubmissionOptions.TrustedTenant"/>). Read on every message, so a reloaded
/// configuration applies at once.
/// </summary>
public sealed class SubmissionPublishers(IOptionsMonitor<SubmissionOptions> options)
{
    /// <summary>The publisher of <paramref name="delivery"/>; throws <see cref="UnidentifiedSubmissionException"/> when there is none to vouch for.</summary>
    internal SubmissionPublisher Identify(SubmissionDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!delivery.ThroughBroker) return SubmissionPublisher.InProcess;
        var current = options.CurrentValue;
        if (!string.IsNullOrEmpty(current.TrustedTenant))
            return new(current.TrustedTenant, $"this single-tenant deployment ({SubmissionOptions.Section}:{nameof(SubmissionOptions.TrustedTenant)})");
        if (string.IsNullOrEmpty(delivery.UserId))
            throw new UnidentifiedSubmissionException(
                "the message has no user_id property: publish with user_id set to your RabbitMQ user name (the broker checks it), see docs/messaging.md");
        var user = delivery.UserId;
        return current.Publishers.TryGetValue(user, out var tenant)
            ? new(tenant, $"RabbitMQ user '{user}'")
            : throw new UnidentifiedSubmissionException(
                $"RabbitMQ user '{Echo.Value(user)}' publishes for no tenant ({SubmissionOptions.Section}:{nameof(SubmissionOptions.Publishers)} does not list it)");
    }
}
