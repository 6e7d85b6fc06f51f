using System.CommandLine;
using System.CommandLine.Parsing;

namespace Platform.Cli;

/// <summary>Options every command takes: where the gateway is and which tenant to act for.</summary>
public sealed class GlobalOptions
{
    /// <summary>The gateway of the standalone platform (<c>make up</c>).</summary>
    public const string DefaultGateway = "http://127.0.0.1:5080";

    public const string GatewayVariable = "PLATFORM_GATEWAY";
    public const string TenantVariable = "PLATFORM_TENANT";

    public GlobalOptions(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        Gateway = new Option<Uri>("--gateway")
        {
            Description = $"Address of the platform's gateway [env: {GatewayVariable}]",
            HelpName = "url",
            Recursive = true,
            CustomParser = result => ParseGateway(result, result.Tokens[0].Value),
            DefaultValueFactory = result => ParseGateway(result, environment(GatewayVariable) is { Length: > 0 } value ? value : DefaultGateway),
        };
        Tenant = new Option<string?>("--tenant")
        {
            Description = $"Tenant to act for; the platform's default tenant when not set [env: {TenantVariable}]",
            HelpName = "id",
            Recursive = true,
            DefaultValueFactory = _ => environment(TenantVariable) is { Length: > 0 } value ? value : null,
        };
    }

    public Option<Uri> Gateway { get; }

    public Option<string?> Tenant { get; }

    private static Uri ParseGateway(ArgumentResult result, string value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        result.AddError($"--gateway: '{value}' is not an http:// or https:// address");
        return null!;
    }
}
