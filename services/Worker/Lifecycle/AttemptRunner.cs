using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Training.Catalogue;
using Platform.Worker.Training;

namespace Platform.Worker.Lifecycle;

/// <summary>
/// Runs the attempts of this worker in the background, at most <see cref="WorkerOptions.Concurrency"/> at once
/// (docs/scheduling.md). <see cref="TrainModelConsumer"/> hands each command here and the delivery is
/// acknowledged at once, so the broker never holds a message for a training's duration (its
/// <c>consumer_timeout</c> cannot fire) and the attempt lives under the scheduler's lease, renewed by
/// <see cref="WorkerHeartbeatService"/>. On shutdown the worker drains: it takes no new attempts, gives running
/// ones <see cref="WorkerOptions.ShutdownGrace"/> to finish, then stops the rest and hands them back with
/// <see cref="TrainingJobReleased"/> so that another worker takes them at once.
/// </summary>
public sealed class AttemptRunner(
    IServiceScopeFactory scopes,
    IBus bus,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<AttemptRunner> logger) : IHostedLifecycleService
{
    /// <summary>The stop reason of attempts handed back at shutdown.</summary>
    public const string ShutdownReason = "worker shutting down";

    /// <summary>How many ended attempts a worker remembers, to drop late duplicates of their commands.</summary>
    private const int RememberedEndedAttempts = 1024;

    private readonly ConcurrentDictionary<(Guid JobId, int Attempt), AttemptHandle> _running = new();
    // Attempts that ran here and ended: a duplicate delivery arriving after the end must not train them again.
    private readonly HashSet<(Guid JobId, int Attempt)> _ended = [];
    private readonly Queue<(Guid JobId, int Attempt)> _endedOrder = new();
    private readonly Lock _gate = new();

    /// <summary>What <see cref="TryStart"/> did with a command.</summary>
    public enum StartOutcome
    {
        /// <summary>Running now.</summary>
        Started,
        /// <summary>This attempt runs or ran here (a duplicate delivery): nothing to do.</summary>
        AlreadyRunning,
        /// <summary>No free slot: hand the command back to the queue.</summary>
        Full,
        /// <summary>Shutting down: hand the command back to the queue.</summary>
        Draining,
    }

    /// <summary>True once shutdown has begun: no new attempts.</summary>
    public bool Draining { get; private set; }

    public int Capacity => options.Value.Concurrency;

    /// <summary>The attempts running now.</summary>
    public IReadOnlyCollection<AttemptHandle> Running => [.. _running.Values];

    /// <summary>Starts the attempt in the background if a slot is free.</summary>
    public StartOutcome TryStart(TrainModel job)
    {
        ArgumentNullException.ThrowIfNull(job);
        AttemptHandle handle;
        lock (_gate)
        {
            if (_running.ContainsKey((job.JobId, job.Attempt)) || _ended.Contains((job.JobId, job.Attempt))) return StartOutcome.AlreadyRunning;
            if (Draining) return StartOutcome.Draining;
            if (_running.Count >= Capacity) return StartOutcome.Full;
            handle = new AttemptHandle(job, AskToCommitAsync);
            _running[(job.JobId, job.Attempt)] = handle;
        }
        _ = Task.Run(() => RunAsync(handle));
        return StartOutcome.Started;
    }

    /// <summary>Stops the attempt if it runs here (told so by the scheduler).</summary>
    public bool Stop(Guid jobId, int attempt, string reason)
    {
        if (!_running.TryGetValue((jobId, attempt), out var handle)) return false;
        logger.LogInformation("Stopping job {JobId} attempt {Attempt}: {Reason}", jobId, attempt, reason);
        handle.Stop(reason);
        return true;
    }

    private async Task RunAsync(AttemptHandle handle)
    {
        var job = handle.Job;
        var worker = options.Value.Name;
        try
        {
            await bus.Publish(new TrainingJobStarted(job.JobId, job.Attempt, worker, time.GetUtcNow()), handle.CancellationToken);
            await using var scope = scopes.CreateAsyncScope();
            if (BenchmarkTrainers.IsBenchmarkTrainer(job.Trainer))
                await scope.ServiceProvider.GetRequiredService<BenchmarkTrial>().RunAsync(job, bus, handle);
            else
                await scope.ServiceProvider.GetRequiredService<TrainingAttempt>().TrainAsync(job, bus, handle);
        }
        // Stopped: whatever the cancellation surfaced as (OperationCanceledException, or a cancelled gRPC call).
        catch (Exception) when (handle.CancellationToken.IsCancellationRequested)
        {
            if (handle.StopReason == ShutdownReason)
            {
                logger.LogInformation("Handing job {JobId} attempt {Attempt} back: the worker is shutting down", job.JobId, job.Attempt);
                await PublishReleasedAsync(job, worker);
            }
            else
                logger.LogInformation("Job {JobId} attempt {Attempt} stopped: {Reason}", job.JobId, job.Attempt, handle.StopReason);
        }
        catch (Exception exception)
        {
            // TrainingAttempt reports its own failures; this is the bus refusing Started, or a bug. The lease
            // expires without heartbeats for this attempt, and the scheduler runs it again.
            logger.LogError(exception, "Job {JobId} attempt {Attempt} ended unexpectedly", job.JobId, job.Attempt);
        }
        finally
        {
            lock (_gate)
            {
                _running.TryRemove((job.JobId, job.Attempt), out _);
                if (_ended.Add((job.JobId, job.Attempt))) _endedOrder.Enqueue((job.JobId, job.Attempt));
                if (_endedOrder.Count > RememberedEndedAttempts) _ended.Remove(_endedOrder.Dequeue());
            }
            handle.MarkEnded();
            handle.Dispose();
        }
    }

    private async Task PublishReleasedAsync(TrainModel job, string worker)
    {
        try
        {
            await bus.Publish(new TrainingJobReleased(job.JobId, job.Attempt, worker, ShutdownReason, time.GetUtcNow()));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The lease expires instead; the job only waits longer.
            logger.LogWarning(exception, "Could not hand job {JobId} attempt {Attempt} back", job.JobId, job.Attempt);
        }
    }

    private async Task<CommitDecision> AskToCommitAsync(AttemptHandle handle)
    {
        var client = bus.CreateRequestClient<CommitAttempt>(options.Value.CommitTimeout);
        var response = await client.GetResponse<CommitDecision>(
            new CommitAttempt(handle.Job.JobId, handle.Job.Attempt, options.Value.Name) { At = time.GetUtcNow() }, handle.CancellationToken);
        return response.Message;
    }

    /// <summary>
    /// Shutdown, before any service stops (so the bus can still carry the hand-backs): stop taking work, let
    /// running attempts finish within the grace period, then hand back those not registering their model.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        lock (_gate) Draining = true;
        var running = Running;
        if (running.Count == 0) return;
        logger.LogInformation("Shutting down: waiting up to {Grace} for {Count} running attempt(s)", options.Value.ShutdownGrace, running.Count);
        var all = Task.WhenAll(running.Select(h => h.Ended));
        await Task.WhenAny(all, Task.Delay(options.Value.ShutdownGrace, time, cancellationToken));
        foreach (var handle in Running.Where(h => !h.Committing)) handle.Stop(ShutdownReason);
        // Stopped attempts end within moments; one that is registering its model is worth the wait.
        await Task.WhenAny(Task.WhenAll(Running.Select(h => h.Ended)), Task.Delay(Timeout.Infinite, cancellationToken));
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.BenchmarkTrainers)
            logger.LogWarning("Worker:BenchmarkTrainers is on: this worker runs {Trainer}, which does no ML work; never in production", BenchmarkTrainers.Wait);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
