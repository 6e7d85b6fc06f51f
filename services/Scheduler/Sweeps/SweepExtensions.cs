namespace Platform.Scheduler.Sweeps;

/// <summary>Wiring of the sweeps part of the scheduler.</summary>
public static class SweepExtensions
{
    /// <summary>Submission, progress, the gRPC service and the supervisor (not hosted: the host adds it and binds <see cref="SweepOptions"/>).</summary>
    internal static IServiceCollection AddSweepsCore(this IServiceCollection services)
    {
        services.AddOptions<SweepOptions>().Validate(o => o.PassInterval > TimeSpan.Zero, "Sweeps:PassInterval must be positive.");
        services.AddSingleton<SweepSignal>();
        services.AddScoped<SweepSubmission>();
        services.AddScoped<SweepProgress>();
        services.AddScoped<SweepGrpcService>();
        services.AddSingleton<SweepSupervisor>();
        return services;
    }
}
