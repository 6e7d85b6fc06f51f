namespace Platform.ModelStore.Data;

/// <summary>Timestamps for new rows.</summary>
internal static class StoreTime
{
    /// <summary>
    /// The current time, truncated to the microseconds PostgreSQL keeps, so that what a call returns right
    /// after writing equals what a later read returns (list page tokens depend on it).
    /// </summary>
    public static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
