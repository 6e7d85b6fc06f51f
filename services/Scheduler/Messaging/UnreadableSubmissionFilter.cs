using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using Platform.Contracts;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// In the submission endpoint's error pipe: answers a message that could not be read as a
/// <see cref="SubmitTrainingJob"/> (not JSON at all, or a number where text is expected) with a
/// <see cref="TrainingJobRejected"/> naming the JSON property, so the submitter learns why. Like every rejection it
/// goes to the publisher's tenant, and only when the publisher is vouched for (<see cref="SubmissionPublishers"/>).
/// The message then goes on to the endpoint's <c>_error</c> queue as usual, where operators can inspect it. Other
/// failures (the database unreachable after every retry) are not the submitter's fault and pass through untouched.
/// </summary>
internal sealed class UnreadableSubmissionFilter(SubmissionPublishers publishers, TimeProvider time, ILogger logger) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (FindJsonError(context.Exception) is { } error)
        {
            var delivery = SubmissionDelivery.Of(context);
            var (requestId, claimedTenant) = ReadIdentity(context);
            var (field, reason) = SubmissionFields.DescribeUnreadable(error, context.Body.GetBytes());
            if (TenantToAnswer(delivery, claimedTenant) is { } tenantId)
            {
                var rejection = TrainingJobRejections.Create(tenantId, requestId, delivery, field, reason, time.GetUtcNow());
                logger.LogWarning("Rejected unreadable message-queue submission {RequestId} of tenant {TenantId}: {Reason}",
                    rejection.RequestId, tenantId, rejection.Reason);
                try
                {
                    await TrainingJobRejections.SendAsync(context.SendEndpointProvider, rejection, context.CancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Could not send the rejection of submission {RequestId}", rejection.RequestId);
                }
            }
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("unreadableSubmission");

    /// <summary>The tenant a rejection may go to; null when nobody vouches for the publisher (it is logged as refused instead).</summary>
    private string? TenantToAnswer(SubmissionDelivery delivery, string? claimedTenant)
    {
        try
        {
            var publisher = publishers.Identify(delivery);
            // In-process only: the body names the tenant, when it names a valid one.
            return publisher.TenantId ?? (string.IsNullOrEmpty(claimedTenant) ? Tenant.Default : Tenant.Validate(claimedTenant));
        }
        catch (Exception ex) when (ex is UnidentifiedSubmissionException or InvalidArgumentException)
        {
            logger.LogWarning("Refused unreadable message-queue submission (message id {MessageId}): {Reason}",
                Echo.ValueOrNull(delivery.MessageId), ex.Message);
            return null;
        }
    }

    private static JsonException? FindJsonError(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is JsonException json) return json;
            if (current is not SerializationException) return null;
        }
        return null;
    }

    /// <summary>The request and tenant ids, when the body is a JSON object that has them as text.</summary>
    private static (string? RequestId, string? TenantId) ReadIdentity(ReceiveContext context)
    {
        try
        {
            using var document = JsonDocument.Parse(context.Body.GetBytes());
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
            var properties = document.RootElement.EnumerateObject().ToList();
            string? Text(string name) => properties
                .Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.String)
                .Select(p => p.Value.GetString())
                .FirstOrDefault();
            return (Text(nameof(SubmitTrainingJob.RequestId)), Text(nameof(SubmitTrainingJob.TenantId)));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
