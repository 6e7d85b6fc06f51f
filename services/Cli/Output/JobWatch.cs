using Grpc.Core;
using Platform.Jobs.V1;
using Spectre.Console;

namespace Platform.Cli.Output;

/// <summary>
/// Follows a job to its end. On a terminal: one live progress bar per stage. Elsewhere (CI logs, pipes): one
/// plain line per change of state or stage and per tenth of progress, so logs stay short and readable.
/// </summary>
public static class JobWatch
{
    /// <summary>Follows the job, prints its outcome and returns the exit code: success only if it succeeded.</summary>
    public static async Task<int> RunAsync(Terminal terminal, GatewayConnection gateway, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        ArgumentNullException.ThrowIfNull(gateway);
        using var call = gateway.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
        var updates = call.ResponseStream.ReadAllAsync(cancellationToken);
        var last = terminal.IsLive ? await FollowLiveAsync(terminal.Out, updates) : await FollowPlainAsync(terminal.Out, updates);

        // The stream closes after a terminal state; if it closed sooner, ask for the job as it is now.
        if (last is null || !Formats.IsTerminal(last.State))
            last = await gateway.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, cancellationToken: cancellationToken);
        if (!Formats.IsTerminal(last.State))
            throw new CliException($"the watch of job {jobId} ended while the job was {last.State}");

        terminal.Out.WriteLine($"Job {last.Id} {last.State}");
        JobReport.PrintOutcome(terminal, last);
        return last.State == JobState.Succeeded ? ExitCodes.Success : ExitCodes.JobUnsuccessful;
    }

    /// <summary>What the job is doing, as one label: the state while queued or ended, else the stage.</summary>
    public static string Activity(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.State == JobState.Running && !string.IsNullOrEmpty(job.Stage)
            ? job.Stage
            : job.State.ToString().ToLowerInvariant();
    }

    private static Task<Job?> FollowLiveAsync(IAnsiConsole console, IAsyncEnumerable<JobUpdate> updates) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                Job? job = null;
                ProgressTask? stage = null;
                await foreach (var update in updates)
                {
                    job = update.Job;
                    var activity = Markup.Escape(Activity(job));
                    if (stage?.Description != activity)
                    {
                        // A new stage means the previous one is done, unless the job has just failed in it.
                        if (stage is not null && job.State is not (JobState.Failed or JobState.Cancelled or JobState.TimedOut))
                            stage.Value = stage.MaxValue;
                        stage?.StopTask();
                        stage = context.AddTask(activity, maxValue: 1.0);
                    }
                    stage.IsIndeterminate = job.State == JobState.Queued;
                    stage.Value = job.State == JobState.Succeeded ? 1.0 : job.Progress;
                    if (Formats.IsTerminal(job.State)) stage.StopTask();
                }
                stage?.StopTask();
                return job;
            });

    private static async Task<Job?> FollowPlainAsync(IAnsiConsole console, IAsyncEnumerable<JobUpdate> updates)
    {
        Job? job = null;
        (string Activity, int Tenths)? printed = null;
        await foreach (var update in updates)
        {
            job = update.Job;
            var now = (Activity(job), (int)Math.Floor(Math.Clamp(job.Progress, 0, 1) * 10));
            if (printed == now) continue;
            printed = now;
            var at = Formats.Time(update.At ?? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow));
            console.WriteLine($"{at}  {now.Item1,-12} {Formats.Percent(job.Progress),4}  {update.Message}".TrimEnd());
        }
        return job;
    }
}
