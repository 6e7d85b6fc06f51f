using System.Text.Json.Serialization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults.Messaging;

/// <summary>Which message transport the bus runs on.</summary>
public enum MessagingTransport
{
    /// <summary>RabbitMQ at <c>ConnectionStrings:RabbitMq</c> (an amqp:// URI).</summary>
    RabbitMq,
    /// <summary>MassTransit's in-memory transport: the embedded standalone mode and unit tests.</summary>
    InMemory,
}

public static class MessagingExtensions
{
    /// <summary>
    /// Registers the one MassTransit bus of this process. Each service adds its consumers through
    /// <paramref name="services"/> (for example <c>bus =&gt; bus.AddSchedulerConsumers()</c>), so a host
    /// that composes several services still has a single bus. Endpoints come from the consumer
    /// definitions and one kebab-case name formatter.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(
        this IHostApplicationBuilder builder, params Action<IBusRegistrationConfigurator>[] services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var transport = builder.Configuration.GetValue("Messaging:Transport", MessagingTransport.RabbitMq);
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            // MassTransit 8.4+ reports usage to masstransit.io after start. A platform that holds people's models and
            // data sends nothing to third parties on its own (and clusters without egress logged a failed lookup).
            bus.DisableUsageTelemetry();
            foreach (var add in services) add(bus);

            if (transport == MessagingTransport.InMemory)
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    AllowNonFiniteNumbers(cfg);
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }

            var uri = builder.Configuration.GetConnectionString("RabbitMq")
                ?? throw new InvalidOperationException(
                    "ConnectionStrings:RabbitMq is not set (environment variable ConnectionStrings__RabbitMq, e.g. amqp://guest:guest@localhost:5672/).");
            var broker = new Uri(uri);
            bus.UsingRabbitMq((context, cfg) =>
            {
                // amqps:// means TLS; Messaging:Tls names a private CA (ClientTls).
                cfg.Host(broker, host => ClientTls.ConfigureRabbitMq(host, broker, builder.Configuration));
                AllowNonFiniteNumbers(cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>
    /// Metrics can be NaN (ML.NET reports AUC as NaN on a one-class holdout): let them travel as "NaN"
    /// instead of failing to serialize the message that ends a job.
    /// </summary>
    private static void AllowNonFiniteNumbers(IBusFactoryConfigurator cfg) =>
        cfg.ConfigureJsonSerializerOptions(options =>
        {
            options.NumberHandling |= JsonNumberHandling.AllowNamedFloatingPointLiterals;
            return options;
        });
}
