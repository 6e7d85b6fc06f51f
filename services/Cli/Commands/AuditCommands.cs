using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Platform.Admin.V1;
using Platform.Cli.Output;

namespace Platform.Cli.Commands;

/// <summary><c>audit</c>: the audit log of state-changing calls (the admin scope), newest first.</summary>
public static class AuditCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var since = new Option<string?>("--since")
        {
            Description = "Only events from this time on: an ISO time (2026-12-01T08:00Z) or an age (30m, 12h, 7d)",
            HelpName = "time",
        };
        var actor = new Option<string?>("--actor") { Description = "Only events of this caller (as the log names it)", HelpName = "name" };
        var limit = new Option<int>("--limit") { Description = "At most this many events", DefaultValueFactory = _ => 50, HelpName = "n" };
        var command = new Command("audit", "Show the audit log: who changed what, for which tenant (of --tenant when given, else every tenant), and how it ended")
        {
            since, actor, limit,
        };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new ListAuditEventsRequest
            {
                TenantId = parse.GetValue<string?>("--tenant") ?? "",
                Actor = parse.GetValue(actor) ?? "",
                PageSize = Math.Clamp(parse.GetValue(limit), 1, 500),
            };
            if (parse.GetValue(since) is { } from) request.Since = Timestamp.FromDateTimeOffset(ParseSince(from));
            var events = await gateway.Admin.ListAuditEventsAsync(request, cancellationToken: cancellationToken);
            var table = Tables.Create("Time", "Actor", "Tenant", "Action", "Resource", "Outcome", "From");
            foreach (var e in events.Events)
                table.Row(Formats.Time(e.At), e.Actor, e.TenantId == e.ActorTenantId ? e.TenantId : $"{e.TenantId} (as admin of {e.ActorTenantId})",
                    e.Action, e.Resource, e.Outcome, e.ClientAddress);
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static DateTimeOffset ParseSince(string value)
    {
        if (value.Length > 1 && int.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var age = value[^1] switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => (TimeSpan?)null,
            };
            if (age is { } ago) return DateTimeOffset.UtcNow - ago;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new CliException($"--since: '{value}' is neither a time (2026-12-01T08:00Z) nor an age (30m, 12h, 7d)");
    }
}
