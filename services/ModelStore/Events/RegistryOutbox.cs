using System.Text.Json;
using Platform.Contracts;
using Platform.ModelStore.Data;
using Platform.ServiceDefaults.Messaging;

namespace Platform.ModelStore.Events;

/// <summary>
/// Writes registry events into the outbox table as part of the caller's unit of work: the event row commits or rolls
/// back with the change it reports, so a committed change always has its event and a rolled-back one never does.
/// After committing, call <see cref="Committed"/> so the publisher sends it at once instead of at its next poll.
/// </summary>
public sealed class RegistryOutbox(OutboxSignal<ModelStoreDbContext> signal, TimeProvider time)
{
    /// <summary>The event contracts the outbox carries, by the type name stored in each row.</summary>
    public static readonly IReadOnlyDictionary<string, Type> MessageTypes = new[]
    {
        typeof(ModelVersionRegistered), typeof(ModelAliasMoved), typeof(ModelVersionDeleted),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>Adds <paramref name="message"/> to <paramref name="db"/>'s pending changes; it is saved with them.</summary>
    public void Add<T>(ModelStoreDbContext db, string tenantId, T message) where T : class
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!MessageTypes.ContainsKey(typeof(T).Name))
            throw new ArgumentException($"{typeof(T).Name} is not a registry event.", nameof(message));
        var now = StoreTime.Now(time);
        db.OutboxMessages.Add(new OutboxMessageRecord
        {
            MessageId = Guid.CreateVersion7(now),
            TenantId = tenantId,
            MessageType = typeof(T).Name,
            Payload = JsonSerializer.Serialize(message, JsonText.Options),
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>Tells this process's publisher that events were committed.</summary>
    public void Committed() => signal.Notify();

    /// <summary>Reads a row's payload back as its contract type.</summary>
    public static (object Message, Type Type) Read(OutboxMessageRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var type = MessageTypes.TryGetValue(row.MessageType, out var known)
            ? known
            : throw new InvalidOperationException($"Outbox message {row.MessageId} has the unknown type {Echo.Quote(row.MessageType)}.");
        var message = JsonSerializer.Deserialize(row.Payload, type, JsonText.Options)
                      ?? throw new InvalidOperationException($"Outbox message {row.MessageId} has an empty payload.");
        return (message, type);
    }
}
