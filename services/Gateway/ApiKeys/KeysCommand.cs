using System.Globalization;
using Platform.Authentication;
using Platform.ServiceDefaults.Hosting;
using Platform.ServiceDefaults.Persistence;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// <c>dotnet Platform.Gateway.dll keys create --tenant T --scope S [--scope S]… [--name N] [--expires-in-days D]</c>
/// (also <c>keys list</c>, <c>keys revoke ID</c>): key administration from the host itself, for the first admin key
/// of a new cluster, before anyone holds a key to call <c>AdminService</c> with (docs/security.md, "Bootstrap").
/// Prints the new key once, on its own line; it cannot be shown again.
/// </summary>
internal sealed class KeysCommand(IConfiguration configuration) : IHostCommand
{
    private const string Usage =
        "usage: keys create --tenant <id> --scope <scope> [--scope <scope>]... [--name <name>] [--expires-in-days <n>] | keys list | keys revoke <id>";

    public string Name => "keys";

    public async Task<int> RunAsync(IServiceProvider services, string[] args, CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Database:CreateOnStartup", false))
        {
            // Standalone: the SQLite files may not exist yet (a cluster runs `migrate` first).
            foreach (var initializer in services.GetServices<IDatabaseInitializer>())
                await initializer.InitializeAsync(services, cancellationToken);
        }
        await using var scope = services.CreateAsyncScope();
        var keys = scope.ServiceProvider.GetRequiredService<ApiKeyStore>();
        try
        {
            switch (args)
            {
                case ["create", .. var options]:
                    var (record, key) = await keys.CreateAsync(Value(options, "--name") ?? "bootstrap", Value(options, "--tenant") ?? "",
                        Values(options, "--scope"), Expiry(keys, Value(options, "--expires-in-days")), "host", cancellationToken);
                    Console.Error.WriteLine($"created API key {record.Id} ({record.Name}) for tenant {record.TenantId}: {record.Scopes}. " +
                                            "It is shown once, below; store it now.");
                    Console.WriteLine(key);
                    return 0;
                case ["list"]:
                    foreach (var k in await keys.ListAsync(null, includeRevoked: true, null, 500, cancellationToken))
                        Console.WriteLine($"{k.Id}  {k.TenantId,-20} {k.Name,-24} {k.Scopes}{(k.RevokedAt is null ? "" : "  (revoked)")}");
                    return 0;
                case ["revoke", var id]:
                    var revoked = await keys.RevokeAsync(id, "host", cancellationToken);
                    Console.Error.WriteLine($"revoked API key {revoked.Id} ({revoked.Name})");
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ServiceDefaults.Errors.PlatformException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}\n{Usage}");
            return 1;
        }
    }

    private static string? Value(string[] options, string name) =>
        Array.IndexOf(options, name) is var i and >= 0 && i + 1 < options.Length ? options[i + 1] : null;

    private static List<string> Values(string[] options, string name) =>
        options.Select((option, i) => (option, i)).Where(o => o.option == name && o.i + 1 < options.Length)
            .Select(o => options[o.i + 1]).ToList();

    private static DateTimeOffset? Expiry(ApiKeyStore keys, string? days) =>
        days is null ? null : keys.Now().AddDays(double.Parse(days, CultureInfo.InvariantCulture));
}
