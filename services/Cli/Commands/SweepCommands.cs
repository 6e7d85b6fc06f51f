using Spectre.Console;
using System.CommandLine;
using Google.Protobuf;
using Platform.Cli.Output;
using Platform.Sweeps.V1;

namespace Platform.Cli.Commands;

/// <summary><c>platformctl sweeps submit|list|show|watch|cancel|report</c> (docs/sweeps.md).</summary>
public static class SweepCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("sweeps", "Hyperparameter sweeps: many trials, the best model registered")
        {
            Submit(run),
            List(run),
            Show(run),
            Watch(run),
            Cancel(run),
            Report(run),
        };
    }

    private static Command Submit(CommandRunner run)
    {
        var file = new Argument<FileInfo>("spec") { Description = "A JSON file holding a SweepSpec (protobuf JSON: base, trainers, objective, algorithm, limits, seed)" };
        var requestId = new Option<string?>("--request-id") { Description = "Makes the submission idempotent within the tenant" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the sweep's id" };
        var command = new Command("submit", "Submit a sweep described in a JSON file") { file, requestId, quiet };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var path = parse.GetRequiredValue(file);
            if (!path.Exists) throw new CliException($"{path.FullName} does not exist");
            SweepSpec spec;
            try
            {
                spec = JsonParser.Default.Parse<SweepSpec>(await File.ReadAllTextAsync(path.FullName, cancellationToken));
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new CliException($"{path.Name} is not a sweep spec: {ex.Message}");
            }
            var sweep = await gateway.Sweeps.SubmitSweepAsync(
                new SubmitSweepRequest { Spec = spec, RequestId = parse.GetValue(requestId) ?? "" }, cancellationToken: cancellationToken);
            run.Terminal.Out.WriteLine(parse.GetValue(quiet) ? sweep.Id : $"Submitted sweep {sweep.Id} ({sweep.PlannedTrials} trials)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CommandRunner run)
    {
        var command = new Command("list", "List the tenant's sweeps, newest first");
        run.SetAction(command, async (_, gateway, cancellationToken) =>
        {
            var response = await gateway.Sweeps.ListSweepsAsync(new ListSweepsRequest(), cancellationToken: cancellationToken);
            var table = Tables.Create("Id", "State", "Trials", "Objective", "Best", "Model", "Created");
            foreach (var sweep in response.Sweeps)
                table.Row(sweep.Id, sweep.State, SweepReport.Progress(sweep), SweepReport.Objective(sweep.Spec.Objective),
                    sweep.BestTrial is { } best ? SweepReport.Value(best) : "", SweepReport.Model(sweep), Formats.Time(sweep.CreatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Sweep id" };
        var command = new Command("show", "Show a sweep and its leaderboard, best trial first") { id };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var sweep = await gateway.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            SweepReport.Print(run.Terminal, sweep);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Watch(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Sweep id" };
        var command = new Command("watch", "Follow a sweep until it ends; exit code 0 only if it succeeded") { id };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            using var call = gateway.Sweeps.WatchSweep(new WatchSweepRequest { SweepId = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            Sweep? last = null;
            if (run.Terminal.IsLive)
            {
                // A terminal: the progress bar and the leaderboard's top, redrawn on every change.
                await run.Terminal.Out.Live(new Markup("[grey]waiting for the sweep…[/]")).AutoClear(true).StartAsync(async live =>
                {
                    while (await call.ResponseStream.MoveNext(cancellationToken))
                    {
                        last = call.ResponseStream.Current;
                        live.UpdateTarget(SweepReport.Live(last));
                    }
                });
            }
            else
            {
                // Logs and pipes: one line per change.
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    last = call.ResponseStream.Current;
                    var best = last.BestTrial is { } b ? $", best trial {b.Number}: {SweepReport.Value(b)}" : "";
                    run.Terminal.Out.WriteLine($"{last.State}: {SweepReport.Progress(last)}{best}");
                }
            }
            if (last is null) return ExitCodes.Error;
            SweepReport.Print(run.Terminal, last);
            return last.State == SweepState.Succeeded ? ExitCodes.Success : ExitCodes.JobUnsuccessful;
        });
        return command;
    }

    private static Command Report(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Sweep id" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder to write into; default sweep-<id>" };
        var command = new Command("report", "Write a sweep report: report.md, the objective per trial and each hyperparameter against it (PNG)") { id, output };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var sweep = await gateway.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            var folder = parse.GetValue(output)?.FullName ?? Path.GetFullPath($"sweep-{sweep.Id}");
            var files = await SweepReport.WriteAsync(sweep, folder, cancellationToken);
            run.Terminal.Out.WriteLine($"Wrote {files.Count} files to {folder}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Cancel(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Sweep id" };
        var reason = new Option<string?>("--reason") { Description = "Why, recorded on each cancelled trial" };
        var command = new Command("cancel", "Cancel a sweep and its queued and running trials") { id, reason };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var sweep = await gateway.Sweeps.CancelSweepAsync(
                new CancelSweepRequest { SweepId = parse.GetRequiredValue(id), Reason = parse.GetValue(reason) ?? "" }, cancellationToken: cancellationToken);
            run.Terminal.Out.WriteLine($"Sweep {sweep.Id} is {sweep.State}");
            return ExitCodes.Success;
        });
        return command;
    }
}
