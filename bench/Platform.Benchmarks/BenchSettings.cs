namespace Platform.Benchmarks;

/// <summary>Process settings a benchmark takes from one of its environment variables, for runtime experiments.</summary>
public static class BenchSettings
{
    /// <summary>
    /// Adds to <paramref name="settings"/> the <c>NAME=value</c> pairs, <c>;</c>-separated, that <paramref name="variable"/>
    /// holds (nothing when it is unset).
    /// </summary>
    public static void AddFrom(string variable, IDictionary<string, string> settings)
    {
        foreach (var setting in (Environment.GetEnvironmentVariable(variable) ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = setting.Split('=', 2);
            settings[pair[0]] = pair.Length == 2 ? pair[1] : "";
        }
    }
}
