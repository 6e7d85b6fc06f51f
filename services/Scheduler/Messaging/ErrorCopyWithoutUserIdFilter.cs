using MassTransit;
using MassTransit.Context;
using RabbitMQ.Client;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// In the submission endpoint's error pipe, before the move to <c>_error</c>: MassTransit's move copies every AMQP
/// property, but RabbitMQ refuses a message whose <c>user_id</c> is not the user of the publishing connection (here
/// the scheduler's, not the submitter's), which would close the channel and send the message round forever. The copy
/// in <c>_error</c> therefore has no <c>user_id</c>; the user that published it is kept in the header
/// <see cref="PublisherHeader"/> for operators (a header anyone could write, so nothing trusts it).
/// </summary>
internal sealed class ErrorCopyWithoutUserIdFilter : IFilter<ExceptionReceiveContext>
{
    /// <summary>Header of the <c>_error</c> copy naming the RabbitMQ user that published the submission.</summary>
    public const string PublisherHeader = "x-publisher-user-id";

    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) || !amqp.Properties.IsUserIdPresent())
            return next.Send(context);
        context.ExceptionHeaders.Set(PublisherHeader, amqp.Properties.UserId);
        return next.Send(new WithoutUserId(context, new DeliveryWithoutUserId(amqp)));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("errorCopyWithoutUserId");

    /// <summary>The failed delivery as the move sees it: everything as received, but the RabbitMQ properties without <c>user_id</c>.</summary>
    private sealed class WithoutUserId(ExceptionReceiveContext context, DeliveryWithoutUserId delivery) : ReceiveContextProxy(context), ExceptionReceiveContext
    {
        public Exception Exception => context.Exception;

        public DateTime ExceptionTimestamp => context.ExceptionTimestamp;

        public ExceptionInfo ExceptionInfo => context.ExceptionInfo;

        public SendHeaders ExceptionHeaders => context.ExceptionHeaders;

        public override bool TryGetPayload<TPayload>(out TPayload payload)
            where TPayload : class
        {
            if (delivery is TPayload replaced)
            {
                payload = replaced;
                return true;
            }
            return base.TryGetPayload(out payload);
        }
    }

    private sealed class DeliveryWithoutUserId(RabbitMqBasicConsumeContext received) : RabbitMqBasicConsumeContext
    {
        private readonly BasicProperties _properties = WithoutUser(received.Properties);

        public string Exchange => received.Exchange;

        public string ConsumerTag => received.ConsumerTag;

        public ulong DeliveryTag => received.DeliveryTag;

        public IReadOnlyBasicProperties Properties => _properties;

        public string? RoutingKey => received.RoutingKey;

        private static BasicProperties WithoutUser(IReadOnlyBasicProperties properties)
        {
            var copy = new BasicProperties(properties);
            copy.ClearUserId();
            return copy;
        }
    }
}
