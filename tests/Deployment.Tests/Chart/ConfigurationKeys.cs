using System.Text.RegularExpressions;

namespace Platform.Deployment.Tests.Chart;

/// <summary>
/// Whether the services read a setting the chart gives them: <c>A__B__C</c> is the configuration key <c>A:B:C</c>, and
/// some file under services/ must name both its section (<c>"A</c>, as a string) and its key (<c>C</c>, as a word),
/// e.g. <c>Section = "Worker"</c> next to a property <c>ShutdownGrace</c>. An entry of a map or a list
/// (<c>Messaging__Submission__Publishers__tenant-acme</c>, <c>Authentication__Jwt__SigningKeys__0</c>) is read when its
/// parent is a collection property there (<c>Dictionary&lt;string, string&gt; Publishers</c>). A misspelt key then fails
/// here instead of being ignored by the service at run time.
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
        if (parts.Length >= 3)
        {
            var collection = new Regex($@"\b(I?Dictionary|IReadOnlyDictionary|I?List|IReadOnlyList)<[^;{{}}]*>\??\s+{Regex.Escape(parts[^2])}\b");
            if (Sources.Value.Any(source => source.Contains($"\"{section}", StringComparison.Ordinal) && collection.IsMatch(source))) return null;
        }
        if (!Identifier().IsMatch(key)) return $"{name}: {key} is not a setting's name, and {parts[^2]} is not a map or list a service reads";
        var keyWord = new Regex($@"\b{Regex.Escape(key)}\b");
        var read = Sources.Value.Any(source =>
            source.Contains($"\"{section}", StringComparison.Ordinal) && keyWord.IsMatch(source)
            || section == "ConnectionStrings" && source.Contains($"\"{key}\"", StringComparison.Ordinal));
        return read ? null : $"{name}: no service reads the configuration key {string.Join(':', parts)}";
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
