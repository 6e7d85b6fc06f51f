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
    public const string TransfersVariable = "PLATFORM_TRANSFERS";

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
        Transfers = new Option<Uri?>("--transfers")
        {
            Description = "Address of the gateway's byte stream (its HTTP/1.1 transfers port, e.g. http://127.0.0.1:5082): " +
                          $"model downloads then move their bytes there instead of over gRPC [env: {TransfersVariable}]",
            HelpName = "url",
            Recursive = true,
            CustomParser = result => ParseAddress(result, "--transfers", result.Tokens[0].Value),
            DefaultValueFactory = result => environment(TransfersVariable) is { Length: > 0 } value ? ParseAddress(result, "--transfers", value) : null,
        };
    }

    public Option<Uri> Gateway { get; }

    public Option<string?> Tenant { get; }

    /// <summary>The gateway's byte-stream address, when the user gave one; null means gRPC for everything.</summary>
    public Option<Uri?> Transfers { get; }

    private static Uri ParseGateway(ArgumentResult result, string value) => ParseAddress(result, "--gateway", value);

    private static Uri ParseAddress(ArgumentResult result, string option, string value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        result.AddError($"{option}: '{value}' is not an http:// or https:// address");
        return null!;
    }
}
