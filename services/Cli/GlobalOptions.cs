using System.CommandLine;
using System.CommandLine.Parsing;

namespace Platform.Cli;

/// <summary>
/// Options every command takes: where the gateway is, the API key, and which tenant to act for. Each comes from the
/// option, else its environment variable, else the config file (<see cref="CliConfig"/>).
/// </summary>
public sealed class GlobalOptions
{
    /// <summary>The gateway of the standalone platform (<c>make up</c>).</summary>
    public const string DefaultGateway = "http://127.0.0.1:5080";

    public const string GatewayVariable = "PLATFORM_GATEWAY";
    public const string TenantVariable = "PLATFORM_TENANT";
    public const string TransfersVariable = "PLATFORM_TRANSFERS";
    public const string ApiKeyVariable = "PLATFORM_API_KEY";
    public const string ServingVariable = "PLATFORM_SERVING";

    public GlobalOptions(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var config = new Lazy<CliConfig>(() => CliConfig.Load(environment));
        string? Setting(ArgumentResult result, string variable, Func<CliConfig, string?> fromFile)
        {
            if (environment(variable) is { Length: > 0 } value) return value;
            try
            {
                return fromFile(config.Value) is { Length: > 0 } configured ? configured : null;
            }
            catch (CliException ex)
            {
                result.AddError(ex.Message);
                return null;
            }
        }

        Gateway = new Option<Uri>("--gateway")
        {
            Description = $"Address of the platform's gateway [env: {GatewayVariable}; config: gateway]",
            HelpName = "url",
            Recursive = true,
            CustomParser = result => ParseGateway(result, result.Tokens[0].Value),
            DefaultValueFactory = result => ParseGateway(result, Setting(result, GatewayVariable, c => c.Gateway) ?? DefaultGateway),
        };
        ApiKey = new Option<string?>("--api-key")
        {
            Description = $"API key to call with (see `keys create`); none in open standalone mode [env: {ApiKeyVariable}; config: apiKey]",
            HelpName = "key",
            Recursive = true,
            DefaultValueFactory = result => Setting(result, ApiKeyVariable, c => c.ApiKey),
        };
        Tenant = new Option<string?>("--tenant")
        {
            Description = $"Tenant to act for: your key's own when not set; another needs the admin scope [env: {TenantVariable}; config: tenant]",
            HelpName = "id",
            Recursive = true,
            DefaultValueFactory = result => Setting(result, TenantVariable, c => c.Tenant),
        };
        Transfers = new Option<Uri?>("--transfers")
        {
            Description = "Address of the gateway's byte stream (its HTTP/1.1 transfers port, e.g. http://127.0.0.1:5082): " +
                          $"model downloads then move their bytes there instead of over gRPC [env: {TransfersVariable}; config: transfers]",
            HelpName = "url",
            Recursive = true,
            CustomParser = result => ParseAddress(result, "--transfers", result.Tokens[0].Value),
            DefaultValueFactory = result => Setting(result, TransfersVariable, c => c.Transfers) is { } value ? ParseAddress(result, "--transfers", value) : null,
        };
        Serving = new Option<Uri?>("--serving")
        {
            Description = "Address of the serving service (predictions and monitoring), when it is not the gateway's " +
                          $"(in a cluster it is its own Service; the standalone platform serves both on one port) [env: {ServingVariable}; config: serving]",
            HelpName = "url",
            Recursive = true,
            CustomParser = result => ParseAddress(result, "--serving", result.Tokens[0].Value),
            DefaultValueFactory = result => Setting(result, ServingVariable, c => c.Serving) is { } value ? ParseAddress(result, "--serving", value) : null,
        };
    }

    /// <summary>The serving service's address; null means the gateway's.</summary>
    public Option<Uri?> Serving { get; }

    /// <summary>The API key, sent as <c>authorization: Bearer …</c> on every call; null sends none.</summary>
    public Option<string?> ApiKey { get; }

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
