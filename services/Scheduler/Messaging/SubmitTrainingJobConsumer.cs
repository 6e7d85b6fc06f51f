using MassTransit;
using MassTransit.Middleware;
using Platform.Contracts;
using Platform.Scheduler.Jobs;
using Platform.Scheduler.Sweeps;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// The public message-queue submission (docs/messaging.md): a plain JSON <see cref="SubmitTrainingJob"/> from
/// any AMQP client becomes a job exactly as <c>JobService.SubmitJob</c> would make it, with source "amqp", for the
/// tenant of its publisher (<see cref="SubmissionPublishers"/>), never merely the one its body names.
/// An invalid submission creates nothing; it is answered with <see cref="TrainingJobRejected"/> on the publisher's
/// tenant's routing key and acknowledged, never retried, because the same message would fail the same way forever.
/// A submission whose publisher cannot be vouched for creates nothing either and goes to the <c>_error</c> queue.
/// </summary>
/// <remarks>
/// A message with a <see cref="SubmitTrainingJob.Sweep"/> submits a sweep instead (<see cref="SweepSubmission"/>): same
/// queue, same publisher and tenant rules, same rejections, its job fields the base of every trial.
/// </remarks>
public sealed class SubmitTrainingJobConsumer(
    JobSubmission submission, SweepSubmission sweeps, SubmissionPublishers publishers, TimeProvider time, ILogger<SubmitTrainingJobConsumer> logger)
    : IConsumer<SubmitTrainingJob>
{
    public async Task Consume(ConsumeContext<SubmitTrainingJob> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = context.Message;
        var delivery = SubmissionDelivery.Of(context);
        SubmissionPublisher publisher;
        try
        {
            publisher = publishers.Identify(delivery);
        }
        catch (UnidentifiedSubmissionException ex)
        {
            logger.LogWarning("Refused message-queue submission {RequestId} (message id {MessageId}): {Reason}",
                Echo.ValueOrNull(message.RequestId), Echo.ValueOrNull(delivery.MessageId), ex.Message);
            throw;
        }

        var tenantId = publisher.TenantId;
        try
        {
            tenantId = publisher.TenantOf(message.TenantId);
            var request = new JobSubmissionRequest
            {
                TenantId = tenantId,
                RequestId = message.RequestId,
                DatasetId = message.DatasetId,
                Task = message.Task,
                LabelColumn = message.LabelColumn,
                Trainer = message.Trainer,
                Hyperparameters = message.Hyperparameters,
                Seed = message.Seed ?? 0,
                ModelName = message.ModelName,
                HoldoutFraction = message.HoldoutFraction ?? 0,
                Priority = message.Priority ?? 0,
                Queue = message.Queue,
                MaxRunSeconds = message.MaxRunSeconds ?? 0,
                Preparation = message.Preparation,
                Evaluation = message.Evaluation,
                Source = JobSources.Amqp,
            };
            if (message.Sweep is { } sweepRequest)
            {
                var sweep = await sweeps.SubmitAsync(request, sweepRequest.ToProto(), context.CancellationToken);
                logger.LogInformation("Message-queue submission {RequestId} of tenant {TenantId} is sweep {SweepId}",
                    message.RequestId, tenantId, sweep.Id);
                return;
            }
            var job = await submission.SubmitAsync(request, context.CancellationToken);
            logger.LogInformation("Message-queue submission {RequestId} of tenant {TenantId} is job {JobId}",
                message.RequestId, tenantId, job.Id);
        }
        catch (InvalidArgumentException ex) when (message.Sweep is not null)
        {
            // A sweep's own fields live under "sweep" in the message, its base's at the top as a job's.
            var field = ex.Field.StartsWith("spec.base.", StringComparison.Ordinal) ? "spec." + ex.Field["spec.base.".Length..]
                : ex.Field.StartsWith("spec.", StringComparison.Ordinal) ? "sweep." + ex.Field["spec.".Length..]
                : ex.Field;
            await RejectAsync(context, delivery, tenantId ?? Tenant.Default, field, field + ex.Message[ex.Field.Length..]);
        }
        catch (InvalidArgumentException ex)
        {
            await RejectAsync(context, delivery, tenantId ?? Tenant.Default, ex.Field, ex.Message);
        }
        catch (NotFoundException ex)
        {
            await RejectAsync(context, delivery, tenantId ?? Tenant.Default, "spec.dataset_id", $"spec.dataset_id: {ex.Message}");
        }
    }

    /// <summary>Answers the publisher's tenant, naming the field as the message names it.</summary>
    private async Task RejectAsync(ConsumeContext<SubmitTrainingJob> context, SubmissionDelivery delivery, string tenantId, string apiField, string apiReason)
    {
        var rejection = TrainingJobRejections.Create(tenantId, context.Message.RequestId, delivery,
            SubmissionFields.FromApiField(apiField), SubmissionFields.FromApiReason(apiField, apiReason), time.GetUtcNow());
        logger.LogWarning("Rejected message-queue submission {RequestId} of tenant {TenantId}: {Reason}",
            rejection.RequestId, tenantId, rejection.Reason);
        await TrainingJobRejections.SendAsync(context, rejection, context.CancellationToken);
    }
}

/// <summary>
/// Binds the consumer to the one hand-named public queue (and its fanout exchange of the same name) and
/// reads plain JSON there: <c>application/json</c>, or no content type at all, with or without MassTransit's
/// message-type header. MassTransit publishers can still send the enveloped form.
/// </summary>
public sealed class SubmitTrainingJobConsumerDefinition : ConsumerDefinition<SubmitTrainingJobConsumer>
{
    public SubmitTrainingJobConsumerDefinition()
    {
        EndpointName = SubmitTrainingJob.QueueName;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitTrainingJobConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.ConfigureReceive(receive => receive.UseFilter(new SubmitterAddressesIgnoredFilter()));
        // Setting the error pipe replaces MassTransit's default, so the default's two filters follow ours.
        var rejectUnreadable = new UnreadableSubmissionFilter(context.GetRequiredService<SubmissionPublishers>(),
            context.GetRequiredService<TimeProvider>(), context.GetRequiredService<ILoggerFactory>().CreateLogger<UnreadableSubmissionFilter>());
        endpointConfigurator.ConfigureError(error =>
        {
            error.UseFilter(rejectUnreadable);
            error.UseFilter(new ErrorCopyWithoutUserIdFilter());
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        // Only what can pass: the model store or the database briefly unreachable. Invalid input is handled by the consumer;
        // a publisher nobody vouches for stays unknown however often it is asked.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<UnidentifiedSubmissionException>();
            retry.Intervals(500, 2_000, 10_000);
        });
    }
}
