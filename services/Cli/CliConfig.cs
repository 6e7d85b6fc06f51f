using System.Text.Json;

namespace Platform.Cli;

/// <summary>
/// The optional config file, <c>$PLATFORM_CONFIG</c> or <c>~/.config/platformctl/config.json</c>
/// (<c>$XDG_CONFIG_HOME/platformctl/config.json</c> when set), for settings one would otherwise repeat:
/// <code>{ "gateway": "https://platform.example.com:443", "transfers": "https://…", "apiKey": "plk_…", "tenant": "acme", "serving": "https://…" }</code>
/// Options win over environment variables, which win over the file. Keep the file readable by you only: it holds a key.
/// </summary>
public sealed record CliConfig(string? Gateway, string? Transfers, string? ApiKey, string? Tenant, string? Serving = null)
{
    public const string PathVariable = "PLATFORM_CONFIG";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the file when there is one; a file that is not valid JSON is an error naming it.</summary>
    public static CliConfig Load(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var path = FilePath(environment);
        if (path is null || !File.Exists(path)) return new CliConfig(null, null, null, null);
        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), Json) ?? new CliConfig(null, null, null, null);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not a valid platformctl config file: {ex.Message}");
        }
    }

    private static string? FilePath(Func<string, string?> environment)
    {
        if (environment(PathVariable) is { Length: > 0 } explicitPath) return explicitPath;
        var configHome = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
            : environment("HOME") is { Length: > 0 } home ? Path.Combine(home, ".config") : null;
        return configHome is null ? null : Path.Combine(configHome, "platformctl", "config.json");
    }
}
