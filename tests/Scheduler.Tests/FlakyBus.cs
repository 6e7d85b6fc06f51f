using System.Reflection;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Scheduler.Tests;

/// <summary>
/// A broker that can be switched off: while <see cref="Down"/>, every publish through <see cref="IPublishEndpoint"/>
/// fails as it would with RabbitMQ unreachable; otherwise publishes go to the real (test) bus.
/// </summary>
public sealed class FlakyBus
{
    public bool Down { get; set; } = true;

    /// <summary>A publish endpoint over <paramref name="bus"/> that honours <see cref="Down"/>.</summary>
    public IPublishEndpoint Over(IBus bus)
    {
        var proxy = DispatchProxy.Create<IPublishEndpoint, Proxy>();
        ((Proxy)(object)proxy).Bind(this, bus);
        return proxy;
    }

    public class Proxy : DispatchProxy
    {
        private FlakyBus _flaky = null!;
        private IBus _bus = null!;

        internal void Bind(FlakyBus flaky, IBus bus)
        {
            _flaky = flaky;
            _bus = bus;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (_flaky.Down && targetMethod.Name == nameof(IPublishEndpoint.Publish))
                return Task.FromException(new InvalidOperationException("The broker is unreachable (test)."));
            return targetMethod.Invoke(_bus, args);
        }
    }
}

public static class FlakyBusExtensions
{
    /// <summary>Routes the scheduler's publishes through a <see cref="FlakyBus"/> that starts down.</summary>
    public static IServiceCollection AddBrokenBus(this IServiceCollection services)
    {
        services.AddSingleton<FlakyBus>();
        services.RemoveAll<IPublishEndpoint>();
        services.AddScoped(provider => provider.GetRequiredService<FlakyBus>().Over(provider.GetRequiredService<IBus>()));
        return services;
    }
}
