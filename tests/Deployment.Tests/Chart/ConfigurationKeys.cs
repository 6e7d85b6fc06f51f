using System.Text.RegularExpressions;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// Whether the services read a setting the chart gives them: <c>A__B__C</c> is the configuration key <c>A:B:C</c>, and
/// some file under services/ must name both its section (<c>"A</c>, as a string) and its key (<c>C</c>, as a word),
/// e.g. <c>Section = "Worker"</c> next to a property <c>ShutdownGrace</c>. A misspelt key then fails here instead of
/// being ignored by the service at run time.
/// </summary>
internal static partial class ConfigurationKeys
{
    private static readonly Lazy<string[]> Sources = new(() =>
        Directory.EnumerateFiles(Repository.PathOf("services"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText).ToArray());

    /// <summary>Variables read by the .NET host itself, not by our code.</summary>
    private static readonly HashSet<string> HostVariables = ["DOTNET_ENVIRONMENT"];

    /// <summary>A problem for the environment variable <paramref name="name"/>, or null when a service reads it.</summary>
    public static string? Unread(string name, IEnumerable<string> otherValues)
    {
        if (HostVariables.Contains(name)) return null;
        if (name.StartsWith("PLATFORM_", StringComparison.Ordinal))
            // The chart's own helpers for Kubernetes' $(VAR) expansion: another variable must use it.
            return otherValues.Any(v => v.Contains($"$({name})", StringComparison.Ordinal)) ? null : $"{name} is set but no other variable uses $({name})";
        var parts = name.Split("__");
        if (parts.Length < 2) return $"{name} is not a configuration key (Section__Key)";
        var section = parts[0];
        var key = parts[^1];
        var keyWord = new Regex($@"\b{Regex.Escape(key)}\b");
        var read = Sources.Value.Any(source =>
            source.Contains($"\"{section}", StringComparison.Ordinal) && keyWord.IsMatch(source)
            || section == "ConnectionStrings" && source.Contains($"\"{key}\"", StringComparison.Ordinal));
        return read ? null : $"{name}: no service reads the configuration key {string.Join(':', parts)}";
    }
}
