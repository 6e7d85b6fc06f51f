using System.Collections;
using System.Diagnostics.CodeAnalysis;
using MassTransit;
using MassTransit.Context;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// First in the submission endpoint's receive pipe: hides the MassTransit headers that say where faults and responses
/// go (<c>MT-Fault-Address</c>, <c>MT-Response-Address</c>). Between the platform's services they serve
/// request/response; on the public queue they would let any publisher have the scheduler, with its own rights, declare
/// a queue or exchange of the publisher's choosing and send a fault there, another tenant's rejection queue included.
/// The scheduler never answers a submission anywhere but at the rejection exchange (<see cref="TrainingJobRejections"/>);
/// faults go where MassTransit publishes them for operators.
/// </summary>
internal sealed class SubmitterAddressesIgnoredFilter : IFilter<ReceiveContext>
{
    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Send(new WithoutReplyAddresses(context));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("submitterAddressesIgnored");

    private static bool IsReplyAddress(string key) =>
        string.Equals(key, MessageHeaders.FaultAddress, StringComparison.OrdinalIgnoreCase)
        || string.Equals(key, MessageHeaders.ResponseAddress, StringComparison.OrdinalIgnoreCase);

    /// <summary>The delivery as received, but for its transport headers (which the deserializer reads the addresses from).</summary>
    private sealed class WithoutReplyAddresses(ReceiveContext context) : ReceiveContextProxy(context), ReceiveContext
    {
        private readonly Headers _headers = new HeadersWithoutReplyAddresses(context.TransportHeaders);

        // Re-implemented: the proxy's own TransportHeaders is not virtual.
        Headers ReceiveContext.TransportHeaders => _headers;
    }

    private sealed class HeadersWithoutReplyAddresses(Headers headers) : Headers
    {
        public IEnumerable<KeyValuePair<string, object>> GetAll() => headers.GetAll().Where(h => !IsReplyAddress(h.Key));

        public bool TryGetHeader(string key, [NotNullWhen(true)] out object? value)
        {
            if (IsReplyAddress(key))
            {
                value = null;
                return false;
            }
            return headers.TryGetHeader(key, out value);
        }

        public T? Get<T>(string key, T? defaultValue = default)
            where T : class => IsReplyAddress(key) ? defaultValue : headers.Get(key, defaultValue);

        public T? Get<T>(string key, T? defaultValue = default)
            where T : struct => IsReplyAddress(key) ? defaultValue : headers.Get(key, defaultValue);

        public IEnumerator<HeaderValue> GetEnumerator() => headers.Where(h => !IsReplyAddress(h.Key)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
