namespace Platform.Gateway;

public static class GatewayExtensions
{
    /// <summary>Registers the gRPC clients of the backends (<c>Services:Scheduler</c>, <c>Services:ModelStore</c>).</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        // TODO(gateway helper)
        return builder;
    }

    /// <summary>Maps the public API: DatasetService, JobService, ModelService.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        return app;
    }
}
