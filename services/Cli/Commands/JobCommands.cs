using System.CommandLine;
using Spectre.Console;
using Platform.Cli.Output;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.Cli.Commands;

/// <summary><c>jobs submit | rerun | list | show | watch</c>.</summary>
public static class JobCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("jobs", "Submit training jobs and follow them")
        {
            Submit(run),
            Rerun(run),
            List(run),
            Show(run),
            Watch(run),
        };
    }

    private static Command Submit(CommandRunner run)
    {
        var spec = new JobSpecOptions();
        var requestId = new Option<string?>("--request-id") { Description = "Makes the submission idempotent: submitting the same id again returns the first job", HelpName = "id" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the job until it ends (exit code says whether it succeeded)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the job id" };
        var command = new Command("submit", "Submit a training job (every JobSpec field has a flag; docs/training.md)");
        foreach (var option in spec.All) command.Options.Add(option);
        command.Options.Add(requestId);
        command.Options.Add(watch);
        command.Options.Add(quiet);
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var job = await gateway.Jobs.SubmitJobAsync(
                new SubmitJobRequest { Spec = spec.Build(parse), RequestId = parse.GetValue(requestId) ?? "" }, cancellationToken: cancellationToken);
            return await AnnounceAsync(run, gateway, job, "", parse.GetValue(quiet), parse.GetValue(watch), cancellationToken);
        });
        return command;
    }

    private static Command Rerun(CommandRunner run)
    {
        var id = new Argument<string?>("id") { Description = "Id of the job whose spec is run again", Arity = ArgumentArity.ZeroOrOne };
        var model = new Option<string?>("--model") { Description = "Instead of a job id: re-run the job that trained this model's version", HelpName = "name" };
        var version = new Option<int>("--version") { Description = "With --model: the version (default: the latest)", HelpName = "n" };
        var requestId = new Option<string?>("--request-id") { Description = "Makes the re-run idempotent: the same id again returns the first new job", HelpName = "id" };
        var priority = new Option<int?>("--priority") { Description = "Priority of the new job (default: the earlier job's)", HelpName = "n" };
        var queue = new Option<string?>("--queue") { Description = "Queue of the new job (default: the earlier job's)", HelpName = "name" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow the new job until it ends (exit code says whether it succeeded)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the new job's id" };
        var command = new Command("rerun", "Run a job's exact spec again (same data set content, trainer, hyperparameters and seed) as a new job")
        {
            id, model, version, requestId, priority, queue, watch, quiet,
        };
        command.Validators.Add(result =>
        {
            var byId = result.GetValue(id) is not null;
            var byModel = result.GetValue(model) is not null;
            if (byId == byModel) result.AddError("give either a job id or --model (with --version), not both");
            else if (!byModel && result.GetResult(version) is { Implicit: false }) result.AddError("--version goes with --model");
        });
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var jobId = parse.GetValue(id);
            if (parse.GetValue(model) is { } modelName)
            {
                // The model version's lineage names the job that trained it.
                var trained = await gateway.Models.GetModelVersionAsync(
                    new GetModelVersionRequest { ModelName = modelName, Version = parse.GetValue(version) }, cancellationToken: cancellationToken);
                jobId = trained.JobId.Length > 0
                    ? trained.JobId
                    : throw new CliException($"{modelName} version {trained.Version} was uploaded, not trained by a job: there is nothing to re-run");
            }
            var request = new RerunJobRequest { JobId = jobId!, RequestId = parse.GetValue(requestId) ?? "" };
            if (parse.GetValue(priority) is { } p) request.Priority = p;
            if (parse.GetValue(queue) is { } q) request.Queue = q;
            var job = await gateway.Jobs.RerunJobAsync(request, cancellationToken: cancellationToken);
            return await AnnounceAsync(run, gateway, job, $", a re-run of job {job.RerunOf}", parse.GetValue(quiet), parse.GetValue(watch), cancellationToken);
        });
        return command;
    }

    /// <summary>Prints the new job (only its id when <paramref name="quiet"/>) and, when asked, follows it to its end.</summary>
    private static async Task<int> AnnounceAsync(
        CommandRunner run, GatewayConnection gateway, Job job, string detail, bool quiet, bool watch, CancellationToken cancellationToken)
    {
        run.Terminal.Out.WriteLine(quiet ? job.Id : $"Submitted job {job.Id} ({job.State}){detail}");
        return watch ? await JobWatch.RunAsync(run.Terminal, gateway, job.Id, cancellationToken) : ExitCodes.Success;
    }

    private static Command List(CommandRunner run)
    {
        var command = new Command("list", "List the tenant's jobs, newest first");
        run.SetAction(command, async (_, gateway, cancellationToken) =>
        {
            var jobs = await Tables.AllPagesAsync<Job>(async token =>
            {
                var page = await gateway.Jobs.ListJobsAsync(new ListJobsRequest { PageToken = token }, cancellationToken: cancellationToken);
                return (page.Jobs, page.NextPageToken);
            });
            var table = Tables.Create("Id", "State", "Task", "Trainer", "Dataset", "Model", "Created");
            foreach (var job in jobs)
            {
                var model = job.Result is { } result ? $"{result.ModelName} v{result.ModelVersion}" : "";
                table.Row(job.Id, job.State, Formats.Task(job.Spec.Task), job.Spec.Trainer, job.Spec.DatasetId, model, Formats.Time(job.CreatedAt));
            }
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("show", "Show a job, its spec and, once it has ended, its result") { id };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var job = await gateway.Jobs.GetJobAsync(new GetJobRequest { JobId = parse.GetRequiredValue(id) }, cancellationToken: cancellationToken);
            JobReport.Print(run.Terminal, job);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Watch(CommandRunner run)
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("watch", "Follow a job until it ends; exit code 0 only if it succeeded") { id };
        run.SetAction(command, (parse, gateway, cancellationToken) =>
            JobWatch.RunAsync(run.Terminal, gateway, parse.GetRequiredValue(id), cancellationToken));
        return command;
    }
}
