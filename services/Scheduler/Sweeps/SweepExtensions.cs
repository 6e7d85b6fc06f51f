namespace Platform.Scheduler.Sweeps;

/// <summary>Wiring of the sweeps part of the scheduler.</summary>
public static class SweepExtensions
{
    /// <summary>Submission, progress, the supervisor's signal and <c>Sweeps</c> options (<see cref="SweepOptions"/>); no hosted service.</summary>
    internal static IServiceCollection AddSweepsCore(this IServiceCollection services)
    {
        services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section)
            .Validate(o => o.PassInterval > TimeSpan.Zero, "Sweeps:PassInterval must be positive.");
        services.AddSingleton<SweepSignal>();
        services.AddScoped<SweepSubmission>();
        services.AddScoped<SweepProgress>();
        services.AddScoped<SweepGrpcService>();
        services.AddSingleton<SweepSupervisor>();
        return services;
    }
}
