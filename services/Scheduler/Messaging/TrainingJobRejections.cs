using MassTransit;
using Platform.Contracts;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// Where a rejected submission is answered: the topic exchange <see cref="TrainingJobRejected.ExchangeName"/> with the
/// submitter's tenant as routing key. RabbitMQ's topic permissions (read <c>^tenant$</c> on that exchange) then let a
/// tenant's user bind only to its own rejections (docs/messaging.md), so no subscriber reads another tenant's
/// request or data set ids.
/// </summary>
internal static class TrainingJobRejections
{
    /// <summary>Longest reason sent: it may quote values from the message.</summary>
    private const int MaxReasonLength = 1000;

    /// <summary>Durable topic exchange, declared by the first send (and by deploy/rabbitmq/provision-tenant.sh).</summary>
    private static readonly Uri Destination = new($"exchange:{TrainingJobRejected.ExchangeName}?type=topic");

    /// <summary>A rejection for <paramref name="tenantId"/>, echoing the submission's ids (shortened).</summary>
    public static TrainingJobRejected Create(string tenantId, string? requestId, SubmissionDelivery delivery, string field, string reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return new TrainingJobRejected
        {
            RequestId = EchoedText.ShortenOrNull(requestId),
            TenantId = tenantId,
            SubmissionMessageId = EchoedText.ShortenOrNull(delivery.MessageId),
            SubmissionCorrelationId = EchoedText.ShortenOrNull(delivery.CorrelationId),
            Field = EchoedText.Shorten(field),
            Reason = EchoedText.Shorten(reason, MaxReasonLength),
            At = at,
        };
    }

    /// <summary>Sends <paramref name="rejection"/> to its tenant's routing key.</summary>
    public static async Task SendAsync(ISendEndpointProvider endpoints, TrainingJobRejected rejection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(rejection);
        var endpoint = await endpoints.GetSendEndpoint(Destination);
        await endpoint.Send(rejection, context => context.TrySetRoutingKey(rejection.TenantId), cancellationToken);
    }
}
