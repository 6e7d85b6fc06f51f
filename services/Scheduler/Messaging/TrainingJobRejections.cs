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
    /// <summary>Longest id echoed (a valid request id has at most 128 characters).</summary>
    private const int MaxIdLength = 128;

    /// <summary>Durable topic exchange, declared by the first send (and by deploy/rabbitmq/provision-tenant.sh).</summary>
    private static readonly Uri Destination = new($"exchange:{TrainingJobRejected.ExchangeName}?type=topic");

    /// <summary>A rejection for <paramref name="tenantId"/>, echoing the submission's ids (shortened).</summary>
    public static TrainingJobRejected Create(string tenantId, string? requestId, SubmissionDelivery delivery, string field, string reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return new TrainingJobRejected
        {
            RequestId = Echo.ValueOrNull(requestId, MaxIdLength),
            TenantId = tenantId,
            SubmissionMessageId = Echo.ValueOrNull(delivery.MessageId, MaxIdLength),
            SubmissionCorrelationId = Echo.ValueOrNull(delivery.CorrelationId, MaxIdLength),
            Field = Echo.Value(field),
            Reason = Echo.Message(reason),
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
