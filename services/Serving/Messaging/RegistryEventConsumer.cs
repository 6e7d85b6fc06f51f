using MassTransit;
using Platform.Contracts;
using Platform.Serving.Models;

namespace Platform.Serving.Messaging;

/// <summary>
/// The registry's events, as far as serving cares: an alias moved, a model got a new version (its latest), a version was
/// deleted. Each moves the references this replica serves (<see cref="ServedModels"/>): the hot swap. Handled once the
/// new version is loaded, so when the message is acknowledged this replica answers with it.
/// </summary>
internal sealed class RegistryEventConsumer(ServedModels models)
    : IConsumer<ModelAliasMoved>, IConsumer<ModelVersionRegistered>, IConsumer<ModelVersionDeleted>
{
    public Task Consume(ConsumeContext<ModelAliasMoved> context) =>
        models.AliasMovedAsync(context.Message.TenantId, context.Message.ModelName, context.Message.Alias, context.CancellationToken);

    public Task Consume(ConsumeContext<ModelVersionRegistered> context) =>
        models.VersionRegisteredAsync(context.Message.TenantId, context.Message.ModelName, context.CancellationToken);

    public Task Consume(ConsumeContext<ModelVersionDeleted> context) =>
        models.VersionDeletedAsync(context.Message.TenantId, context.Message.ModelName, context.Message.VersionId, context.CancellationToken);
}

/// <summary>
/// Every replica must hear every registry event (each has its own warm models), so each gets a queue of its own, named
/// after the replica and deleted when it goes (a temporary endpoint), instead of sharing one as competing consumers do.
/// Events a replica misses while it is away or the broker is down are caught by the periodic check of its references.
/// </summary>
internal sealed class RegistryEventConsumerDefinition : ConsumerDefinition<RegistryEventConsumer>
{
    public RegistryEventConsumerDefinition()
    {
        Endpoint(endpoint =>
        {
            endpoint.InstanceId = ReplicaName();
            endpoint.Temporary = true;
        });
        // Events about different models are independent; one reference's refreshes are serialized by ServedModels. A
        // refresh that cannot reach the store is logged, not thrown: the periodic check tries again.
        ConcurrentMessageLimit = 8;
    }

    /// <summary>This process among the replicas: the host name (a pod's name in Kubernetes) and the process id.</summary>
    private static string ReplicaName()
    {
        var name = new string([.. $"{Environment.MachineName}-{Environment.ProcessId}".ToLowerInvariant()
            .Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        return name.Length > 60 ? name[^60..] : name;
    }
}

/// <summary>Outcomes reported over the bus (<see cref="ReportPredictionOutcome"/>): the same check and store as <c>ReportOutcome</c>.</summary>
internal sealed class ReportPredictionOutcomeConsumer(Logging.PredictionLog log, TimeProvider time) : IConsumer<ReportPredictionOutcome>
{
    public Task Consume(ConsumeContext<ReportPredictionOutcome> context)
    {
        var message = context.Message;
        ServiceDefaults.Tenancy.Tenant.Validate(message.TenantId, "tenantId");
        log.OutcomeReported(Logging.Outcomes.Check(message.TenantId, message.RequestId, message.Row, message.Label, message.Value, "amqp", time));
        return Task.CompletedTask;
    }
}

/// <summary>Outcomes are small and independent: many at once; a malformed one is not retried (it would fail the same way).</summary>
internal sealed class ReportPredictionOutcomeConsumerDefinition : ConsumerDefinition<ReportPredictionOutcomeConsumer>
{
    public ReportPredictionOutcomeConsumerDefinition() => ConcurrentMessageLimit = 32;
}
