using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using Platform.Contracts;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// In the submission endpoint's error pipe: answers a message that could not be read as a
/// <see cref="SubmitTrainingJob"/> (not JSON at all, or a number where text is expected) with a
/// <see cref="TrainingJobRejected"/> naming the JSON path, so the submitter learns why. The message then goes on
/// to the endpoint's <c>_error</c> queue as usual, where operators can inspect it. Other failures (the database
/// unreachable after every retry) are not the submitter's fault and pass through untouched.
/// </summary>
internal sealed class UnreadableSubmissionFilter(TimeProvider time, ILogger logger) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (FindJsonError(context.Exception) is { } error)
        {
            var (requestId, tenantId) = ReadIdentity(context);
            var field = error.Path is null or "$" ? "body" : error.Path.TrimStart('$', '.');
            var reason = $"{field}: the message is not a valid submission ({error.Message})";
            logger.LogWarning("Rejected unreadable message-queue submission {RequestId}: {Reason}", requestId, reason);
            try
            {
                var endpoint = await context.PublishEndpointProvider.GetPublishSendEndpoint<TrainingJobRejected>();
                await endpoint.Send(new TrainingJobRejected(requestId, tenantId, field, reason, time.GetUtcNow()), context.CancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not publish the rejection of submission {RequestId}", requestId);
            }
        }
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("unreadableSubmission");

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
