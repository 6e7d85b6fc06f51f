using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Platform.Admin.V1;
using Platform.Cli.Output;

namespace Platform.Cli.Commands;

/// <summary>
/// <c>keys create|list|revoke</c>: API keys (the admin scope). A key belongs to the tenant the command acts for
/// (<c>--tenant</c>, else the caller's own); it is printed once, on its own line, and cannot be shown again.
/// </summary>
public static class KeyCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("keys", "API keys: create, list and revoke them (needs the admin scope)") { CreateKey(run), List(run), Revoke(run) };
    }

    private static Command CreateKey(CommandRunner run)
    {
        var name = new Argument<string>("name") { Description = "What the key is for (e.g. ci-pipeline)" };
        var scopes = new Option<string[]>("--scope")
        {
            Description = "A scope the key gets (repeat): datasets:read, datasets:write, jobs:submit, jobs:read, models:read, " +
                          "models:write, models:approve, data:erase, admin",
            HelpName = "scope",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var expires = new Option<int?>("--expires-in-days") { Description = "Expire the key after this many days (default: never)", HelpName = "days" };
        var command = new Command("create", "Create an API key for the tenant the command acts for; prints the key once") { name, scopes, expires };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new CreateApiKeyRequest { Name = parse.GetRequiredValue(name) };
            request.Scopes.AddRange(parse.GetRequiredValue(scopes));
            if (parse.GetValue(expires) is { } days) request.ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(days));
            var created = await gateway.Admin.CreateApiKeyAsync(request, cancellationToken: cancellationToken);
            run.Terminal.Error.WriteLine(
                $"created API key {created.Key.Id} ({created.Key.Name}) for tenant {created.Key.TenantId}: {string.Join(", ", created.Key.Scopes)}. " +
                "It is shown once, below: store it now (e.g. export PLATFORM_API_KEY=...).");
            run.Terminal.Out.Profile.Out.Writer.WriteLine(created.Secret);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CommandRunner run)
    {
        var revoked = new Option<bool>("--include-revoked") { Description = "Also list revoked keys" };
        var command = new Command("list", "List API keys (of --tenant when given, else of every tenant); never their secrets") { revoked };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var tenant = parse.GetValue<string?>("--tenant") ?? "";
            var keys = await Tables.AllPagesAsync<ApiKey>(async token =>
            {
                var page = await gateway.Admin.ListApiKeysAsync(new ListApiKeysRequest
                {
                    TenantId = tenant, IncludeRevoked = parse.GetValue(revoked), PageToken = token,
                }, cancellationToken: cancellationToken);
                return (page.Keys.AsEnumerable(), page.NextPageToken);
            });
            var table = Tables.Create("Id", "Name", "Tenant", "Scopes", "Created", "Expires", "Revoked");
            foreach (var key in keys)
                table.Row(key.Id, key.Name, key.TenantId, string.Join(" ", key.Scopes), $"{Formats.Time(key.CreatedAt)} by {key.CreatedBy}",
                    key.ExpiresAt is null ? "never" : Formats.Time(key.ExpiresAt),
                    key.RevokedAt is null ? "" : $"{Formats.Time(key.RevokedAt)} by {key.RevokedBy}");
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "The key's id (from `keys list`)" };
        var command = new Command("revoke", "Revoke an API key: calls with it are refused from then on") { id };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var key = await gateway.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            run.Terminal.Out.Profile.Out.Writer.WriteLine($"revoked API key {key.Id} ({key.Name}) of tenant {key.TenantId}");
            return ExitCodes.Success;
        });
        return command;
    }
}
